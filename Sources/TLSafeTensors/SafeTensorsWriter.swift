import Foundation

extension SafeTensorsFile {
    /// Tensor names in the order the reference implementation lays them out: larger-alignment
    /// dtypes first (so every tensor starts aligned to its element size), then by name bytes.
    /// For an all-F32 file this is simply sorted names.
    var layoutOrder: [String] {
        tensors.keys.sorted { a, b in
            let ra = tensors[a]!.dtype.alignmentRank, rb = tensors[b]!.dtype.alignmentRank
            if ra != rb { return ra > rb }
            return a.utf8.lexicographicallyPrecedes(b.utf8)
        }
    }

    /// The JSON header, compact, `__metadata__` first (only when non-empty, keys sorted), padded
    /// with spaces so that 8 + N is a multiple of 8 and the data buffer starts 8-byte aligned.
    func headerBytes(order: [String]) throws -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        var first = true
        func separator() {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
        }
        if !metadata.isEmpty {
            separator()
            appendJSONString(Self.metadataKey, to: &out)
            out.append(contentsOf: Array(":{".utf8))
            for (i, key) in metadata.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                appendJSONString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                appendJSONString(metadata[key]!, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        var offset = 0
        for name in order {
            guard name != Self.metadataKey else {
                throw SafeTensorsError(path: "", kind: .invalidTensor, problem: "'\(Self.metadataKey)' is reserved and cannot name a tensor")
            }
            let tensor = tensors[name]!
            separator()
            appendJSONString(name, to: &out)
            out.append(contentsOf: Array(":{\"dtype\":".utf8))
            appendJSONString(tensor.dtype.rawValue, to: &out)
            out.append(contentsOf: Array(",\"shape\":[\(tensor.shape.map(String.init).joined(separator: ","))]".utf8))
            out.append(contentsOf: Array(",\"data_offsets\":[\(offset),\(offset + tensor.bytes.count)]}".utf8))
            offset += tensor.bytes.count
        }
        out.append(UInt8(ascii: "}"))
        let padding = (8 - out.count % 8) % 8
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: padding))
        return out
    }

    /// The complete file image.
    public func encoded() throws -> Data {
        let order = layoutOrder
        let header = try headerBytes(order: order)
        var data = Data()
        data.reserveCapacity(8 + header.count + tensors.values.reduce(0) { $0 + $1.bytes.count })
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: header)
        for name in order { data.append(contentsOf: tensors[name]!.bytes) }
        return data
    }

    /// Writes the file atomically: a temporary file in the same folder, fsync, then rename over
    /// `url`. The previous file at `url` survives intact if this throws or the process is killed.
    public func write(to url: URL) throws {
        let order = layoutOrder
        let header: [UInt8]
        do { header = try headerBytes(order: order) } catch let error as SafeTensorsError {
            throw SafeTensorsError(path: url.path, kind: error.kind, problem: error.problem)
        }
        try AtomicFileWriter(destination: url).write { handle in
            var prefix = Data()
            withUnsafeBytes(of: UInt64(header.count).littleEndian) { prefix.append(contentsOf: $0) }
            prefix.append(contentsOf: header)
            try handle.write(contentsOf: prefix)
            // One write per tensor keeps peak memory at the largest tensor, not the whole file.
            for name in order {
                try handle.write(contentsOf: Data(tensors[name]!.bytes))
            }
        }
    }
}
