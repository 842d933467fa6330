import TLIO

/// Minimal zip reader: parses the end-of-central-directory record and the central directory
/// (zip64 included), and extracts stored or deflated members with their CRC-32 checked.
public enum ZipArchive {
    /// One member of the central directory.
    public struct Entry {
        public var name: String
        var method: Int
        var crc: UInt32
        var compressedSize: Int
        var size: Int
        var localHeaderOffset: Int
    }

    /// The central directory of the archive `b` (`file` names it in errors).
    public static func entries(_ b: [UInt8], file: String) throws -> [Entry] {
        func u16(_ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 }
        func u32(_ i: Int) -> Int { u16(i) | u16(i + 2) << 16 }
        func u64(_ i: Int) -> Int { u32(i) | u32(i + 4) << 32 }
        let n = b.count
        guard n >= 22 else { throw DataError(file: file, reason: "not a zip archive (too short)") }
        // The EOCD record is the last 22 bytes plus an optional comment of up to 65535 bytes.
        var eocd = -1
        var i = n - 22
        while i >= max(0, n - 22 - 65535) {
            if b[i] == 0x50 && b[i + 1] == 0x4B && b[i + 2] == 5 && b[i + 3] == 6 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else { throw DataError(file: file, reason: "not a zip archive (no end-of-central-directory record)") }
        var count = u16(eocd + 10)
        var cdSize = u32(eocd + 12)
        var cdOffset = u32(eocd + 16)
        if (count == 0xFFFF || cdOffset == 0xFFFF_FFFF || cdSize == 0xFFFF_FFFF) && eocd >= 20,
           u32(eocd - 20) == 0x0706_4B50 {
            let z = u64(eocd - 12)
            guard z >= 0, z <= n - 56, u32(z) == 0x0606_4B50 else {
                throw DataError(file: file, reason: "bad zip64 end-of-central-directory record")
            }
            count = u64(z + 32); cdSize = u64(z + 40); cdOffset = u64(z + 48)
        }
        guard count >= 0, count <= cdSize / 46 + 1 else {
            throw DataError(file: file, reason: "impossible zip entry count \(count) for a \(cdSize)-byte central directory")
        }
        guard cdOffset >= 0, cdSize >= 0, cdOffset <= n, cdSize <= n - cdOffset else {
            throw DataError(file: file, reason: "zip central directory out of bounds")
        }
        var out: [Entry] = []
        var p = cdOffset
        for k in 0..<count {
            guard p + 46 <= n, u32(p) == 0x0201_4B50 else {
                throw DataError(file: file, location: "entry \(k)", reason: "bad zip central directory header")
            }
            let flags = u16(p + 8)
            let method = u16(p + 10)
            let crc = UInt32(u32(p + 16))
            var csize = u32(p + 20), usize = u32(p + 24)
            let nameLen = u16(p + 28), extraLen = u16(p + 30), commentLen = u16(p + 32)
            var offset = u32(p + 42)
            guard p + 46 + nameLen + extraLen + commentLen <= n else {
                throw DataError(file: file, location: "entry \(k)", reason: "truncated zip central directory")
            }
            let name = String(decoding: b[(p + 46)..<(p + 46 + nameLen)], as: UTF8.self)
            // Zip64 extra field: replaces the 0xFFFFFFFF fields, in order usize, csize, offset.
            var e = p + 46 + nameLen
            let eEnd = e + extraLen
            while e + 4 <= eEnd {
                let id = u16(e), len = u16(e + 2)
                if id == 1 {
                    var q = e + 4
                    let fieldEnd = min(e + 4 + len, eEnd)
                    if usize == 0xFFFF_FFFF && q + 8 <= fieldEnd { usize = u64(q); q += 8 }
                    if csize == 0xFFFF_FFFF && q + 8 <= fieldEnd { csize = u64(q); q += 8 }
                    if offset == 0xFFFF_FFFF && q + 8 <= fieldEnd { offset = u64(q) }
                }
                e += 4 + len
            }
            guard flags & 1 == 0 else { throw DataError(file: file, location: name, reason: "encrypted zip entries are not supported") }
            // Sizes and offsets (zip64 ones are 64-bit, so possibly "negative") must lie inside the
            // archive, before the central directory.
            guard offset >= 0, csize >= 0, usize >= 0, offset <= cdOffset, csize <= cdOffset - offset,
                  30 + nameLen <= cdOffset - offset - csize else {
                throw DataError(file: file, location: "entry \(k) (\(name))", reason: "zip member out of range (offset \(offset), \(csize) bytes; the central directory starts at \(cdOffset))")
            }
            out.append(Entry(name: name, method: method, crc: crc, compressedSize: csize, size: usize, localHeaderOffset: offset))
            p += 46 + nameLen + extraLen + commentLen
        }
        try rejectOverlaps(out, file: file)
        return out
    }

    /// Members whose bytes (local header, name, data) overlap another's: a "zip bomb" reuses one
    /// compressed stream for many members; no archiver writes that.
    static func rejectOverlaps(_ entries: [Entry], file: String) throws {
        let spans = entries.map { e in (e, e.localHeaderOffset, e.localHeaderOffset + 30 + e.name.utf8.count + e.compressedSize) }
            .sorted { $0.1 < $1.1 }
        for (a, b) in zip(spans, spans.dropFirst()) where b.1 < a.2 {
            throw DataError(file: file, location: b.0.name, reason: "zip members overlap (\(a.0.name) runs to byte \(a.2), \(b.0.name) starts at byte \(b.1))")
        }
    }


    /// The uncompressed bytes of `e`, CRC-checked.
    public static func extract(_ e: Entry, from b: [UInt8], file: String) throws -> [UInt8] {
        let n = b.count
        let p = e.localHeaderOffset
        guard p >= 0, p <= n - 30, b[p] == 0x50, b[p + 1] == 0x4B, b[p + 2] == 3, b[p + 3] == 4 else {
            throw DataError(file: file, location: e.name, reason: "bad zip local header")
        }
        let nameLen = Int(b[p + 26]) | Int(b[p + 27]) << 8, extraLen = Int(b[p + 28]) | Int(b[p + 29]) << 8
        let start = p + 30 + nameLen + extraLen
        guard e.compressedSize >= 0, e.size >= 0, start <= n, e.compressedSize <= n - start else {
            throw DataError(file: file, location: e.name, reason: "zip entry data out of bounds (truncated archive?)")
        }
        guard e.size <= Inflate.defaultLimit else {
            throw DataError(file: file, location: e.name, reason: "member declares \(formatBytes(e.size)) uncompressed, over the limit of \(formatBytes(Inflate.defaultLimit)) for decompressed data (a quarter of TL_MEMORY_LIMIT_MB)")
        }
        let raw = Array(b[start..<(start + e.compressedSize)])
        let data: [UInt8]
        switch e.method {
        case 0:
            data = raw
        case 8:
            do {
                let sink = ByteSink(hint: e.size, inputSize: raw.count, limit: e.size)
                _ = try raw.withUnsafeBufferPointer { try Inflate.inflate($0, from: 0, into: sink) }
                data = sink.toArray()
            } catch let err as DataError {
                throw DataError(file: file, location: e.name, reason: err.reason)
            }
        default:
            throw DataError(file: file, location: e.name, reason: "unsupported zip compression method \(e.method) (stored and deflate only)")
        }
        guard data.count == e.size else {
            throw DataError(file: file, location: e.name, reason: "zip entry size mismatch (\(data.count) bytes, directory says \(e.size))")
        }
        guard CRC32.checksum(data) == e.crc else {
            throw DataError(file: file, location: e.name, reason: "zip entry CRC32 mismatch")
        }
        return data
    }
}
