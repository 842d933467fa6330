import TLIO

/// A decoded NumPy array (`.npy`), values converted to Float in C (row-major) order.
public struct NPYArray: Sendable, Equatable {
    public var shape: [Int]
    public var values: [Float]
    /// The NumPy dtype string from the header, e.g. `<f4`.
    public var dtype: String
}

/// Reads `.npy` files (format versions 1, 2 and 3).
///
/// Supported dtypes: `f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1` in either byte order.
/// Fortran-ordered arrays are transposed to C order.
public enum NPY {
    public static func read(_ path: String) throws -> NPYArray {
        try parse(try readFileBytes(path), file: path)
    }

    static func parse(_ b: [UInt8], file: String) throws -> NPYArray {
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY
        guard b.count >= 10, Array(b[0..<6]) == magic else {
            throw DataError(file: file, location: "byte 0", reason: "bad NPY magic number (expected \\x93NUMPY)")
        }
        let major = b[6]
        let headerLen: Int, headerStart: Int
        switch major {
        case 1: headerLen = Int(b[8]) | Int(b[9]) << 8; headerStart = 10
        case 2, 3:
            guard b.count >= 12 else { throw DataError(file: file, reason: "truncated NPY header") }
            headerLen = Int(b[8]) | Int(b[9]) << 8 | Int(b[10]) << 16 | Int(b[11]) << 24; headerStart = 12
        default: throw DataError(file: file, location: "byte 6", reason: "unsupported NPY format version \(major)")
        }
        guard headerStart + headerLen <= b.count else {
            throw DataError(file: file, reason: "truncated NPY header (needs \(headerLen) bytes)")
        }
        let header = String(decoding: b[headerStart..<(headerStart + headerLen)], as: UTF8.self)
        guard let descr = value(of: "descr", in: header), descr.count >= 3,
              let fortranText = value(of: "fortran_order", in: header),
              let shapeText = value(of: "shape", in: header) else {
            throw DataError(file: file, reason: "NPY header is not a {descr, fortran_order, shape} dictionary: \(header.prefix(80))")
        }
        let dtype = descr.trimmingCharacters(in: CharacterSet(charactersIn: "'\""))
        let fortran = fortranText == "True"
        var shape: [Int] = []
        let inner = shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
        for part in inner.split(separator: ",") {
            let t = part.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { continue }
            guard let d = Int(t), d >= 0 else { throw DataError(file: file, reason: "bad NPY shape \(shapeText)") }
            shape.append(d)
        }
        let chars = Array(dtype)
        guard chars.count >= 3, let size = Int(String(chars[2...])), "<>|=".contains(chars[0]) else {
            throw DataError(file: file, reason: "unsupported NPY dtype \(dtype)")
        }
        let order = chars[0], kind = chars[1]
        let bigEndian = order == ">"
        let supported: Set<String> = ["f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "b1"]
        guard supported.contains("\(kind)\(size)") else {
            throw DataError(file: file, reason: "unsupported NPY dtype \(dtype) (supported: float16/32/64, int8–64, uint8–64, bool)")
        }
        try DeclaredShape.checkSample(shape, file: file, field: "header shape")
        let dataStart = headerStart + headerLen
        var total = 1
        for d in shape {
            // Saturate instead of overflowing: anything above the file length is rejected below.
            let (t, overflow) = total.multipliedReportingOverflow(by: d)
            total = overflow ? Int.max : t
        }
        let available = b.count - dataStart
        guard total <= available, total * size == available else {
            throw DataError(file: file, reason: "NPY data size mismatch: shape \(shape) of \(dtype) needs \(total > available ? "more than \(available)" : String(total * size)) bytes, file has \(available)")
        }
        var values = [Float](repeating: 0, count: total)
        b.withUnsafeBufferPointer { src in
            let p = src.baseAddress! + dataStart
            @inline(__always) func raw(_ i: Int) -> UInt64 {
                var u: UInt64 = 0
                let o = i * size
                if bigEndian { for k in 0..<size { u = u << 8 | UInt64(p[o + k]) } }
                else { for k in stride(from: size - 1, through: 0, by: -1) { u = u << 8 | UInt64(p[o + k]) } }
                return u
            }
            switch (kind, size) {
            case ("f", 4) where !bigEndian:
                for i in 0..<total { values[i] = Float(bitPattern: UInt32(p[4*i]) | UInt32(p[4*i+1]) << 8 | UInt32(p[4*i+2]) << 16 | UInt32(p[4*i+3]) << 24) }
            case ("u", 1), ("b", 1): for i in 0..<total { values[i] = Float(p[i]) }
            case ("f", 2): for i in 0..<total { values[i] = floatFromHalfBits(UInt16(raw(i))) }  // not Float(Float16): see TLIO/HalfPrecision.swift
            case ("f", 4): for i in 0..<total { values[i] = Float(bitPattern: UInt32(raw(i))) }
            case ("f", 8): for i in 0..<total { values[i] = Float(Double(bitPattern: raw(i))) }
            case ("u", _): for i in 0..<total { values[i] = Float(raw(i)) }
            default:  // signed: sign-extend from `size` bytes
                let shift = UInt64(64 - 8 * size)
                for i in 0..<total { values[i] = Float(Int64(bitPattern: raw(i) << shift) >> Int64(shift)) }
            }
        }
        // Policy: values must be finite 32-bit numbers (as in CSV files).
        if kind == "f" || size == 8, let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw DataError(file: file, location: "element \(bad)", reason: "value \(values[bad]) is not a finite 32-bit number (values must be finite)")
        }
        if fortran && shape.count > 1 { values = fortranToC(values, shape: shape) }
        return NPYArray(shape: shape, values: values, dtype: dtype)
    }

    /// The text of `'key': value` in a Python dict literal (value up to the next top-level comma).
    private static func value(of key: String, in header: String) -> String? {
        guard let r = header.range(of: "'\(key)'") ?? header.range(of: "\"\(key)\"") else { return nil }
        var s = header[r.upperBound...].drop { $0 == " " }
        guard s.first == ":" else { return nil }
        s = s.dropFirst().drop { $0 == " " }
        var depth = 0, out = ""
        for c in s {
            if c == "(" || c == "[" { depth += 1 }
            if c == ")" || c == "]" { depth -= 1 }
            if (c == "," || c == "}") && depth == 0 { break }
            out.append(c)
        }
        return out.trimmingCharacters(in: .whitespaces)
    }

    /// Reorders column-major values into row-major order.
    static func fortranToC(_ v: [Float], shape: [Int]) -> [Float] {
        var out = [Float](repeating: 0, count: v.count)
        let rank = shape.count
        var fStrides = [Int](repeating: 1, count: rank)
        for d in 1..<rank { fStrides[d] = fStrides[d - 1] * shape[d - 1] }
        var idx = [Int](repeating: 0, count: rank)
        for c in 0..<v.count {
            var f = 0
            for d in 0..<rank { f += idx[d] * fStrides[d] }
            out[c] = v[f]
            var d = rank - 1
            while d >= 0 { idx[d] += 1; if idx[d] < shape[d] { break }; idx[d] = 0; d -= 1 }
        }
        return out
    }
}

/// Reads `.npz` archives (zip files of `.npy` members, stored or deflated).
public enum NPZ {
    /// All arrays in the archive, keyed by member name without `.npy`.
    public static func read(_ path: String) throws -> [String: NPYArray] {
        try decode(try readFileBytes(path), file: path)
    }

    /// All arrays in the archive bytes `bytes` (`path` names it in errors).
    static func decode(_ bytes: [UInt8], file path: String) throws -> [String: NPYArray] {
        var out: [String: NPYArray] = [:]
        for entry in try ZipArchive.entries(bytes, file: path) where entry.name.hasSuffix(".npy") {
            let data = try ZipArchive.extract(entry, from: bytes, file: path)
            let key = String(entry.name.dropLast(4))
            out[key] = try NPY.parse(data, file: path + ":" + entry.name)
        }
        return out
    }

    /// Loads a data set from an archive holding a features array `[N, ...]` and a labels array `[N]`.
    public static func loadDataset(_ path: String, featuresKey: String = "x", labelsKey: String = "y",
                                   classNames: [String]? = nil) throws -> Dataset {
        let arrays = try read(path)
        guard let x = arrays[featuresKey] else {
            throw DataError(file: path, reason: "no array \"\(featuresKey)\" (have \(arrays.keys.sorted().joined(separator: ", ")))")
        }
        guard let y = arrays[labelsKey] else {
            throw DataError(file: path, reason: "no array \"\(labelsKey)\" (have \(arrays.keys.sorted().joined(separator: ", ")))")
        }
        return try NPYLoader.makeDataset(x, y, file: path, classNames: classNames, labelsFrom: "array '\(labelsKey)' of \(path)")
    }
}

/// Builds data sets from a pair of `.npy` files.
public enum NPYLoader {
    public static func load(features: String, labels: String, classNames: [String]? = nil) throws -> Dataset {
        try makeDataset(try NPY.read(features), try NPY.read(labels), file: features, classNames: classNames, labelsFrom: labels)
    }

    static func makeDataset(_ x: NPYArray, _ y: NPYArray, file: String, classNames: [String]?, labelsFrom: String) throws -> Dataset {
        guard x.shape.count >= 1, y.shape.count == 1, x.shape[0] == y.shape[0] else {
            throw DataError(file: file, reason: "features shape \(x.shape) and labels shape \(y.shape) do not match ([N, ...] and [N])")
        }
        var labels: [Int] = []
        for (i, v) in y.values.enumerated() {
            guard v >= 0, v == v.rounded(), v < 1e9 else {
                throw DataError(file: file, location: "record \(i)", reason: "label \(v) is not a non-negative integer")
            }
            if let names = classNames, Int(v) >= names.count {
                throw DataError(file: file, location: "record \(i)", reason: "label \(Int(v)) out of range 0..<\(names.count)")
            }
            labels.append(Int(v))
        }
        var shape = Array(x.shape.dropFirst())
        if shape.isEmpty { shape = [1] }
        let names = try classNames ?? ClassTable.numberedNames(labels: labels, file: file) { "label record \($0)" }
        var d = try Dataset(features: x.values, sampleShape: shape, labels: labels, classNames: names, source: file)
        d.reading.labels = "labels from \(labelsFrom)"
        return d
    }
}

import Foundation
