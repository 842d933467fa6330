/// A decoded IDX array (the MNIST file format): big-endian dimensions and values.
public struct IDXArray: Sendable {
    public var shape: [Int]
    /// Values converted to Float (raw, unscaled).
    public var values: [Float]
    /// True when the element type was unsigned bytes (0x08).
    public var isUnsignedBytes: Bool
}

/// Loads IDX files (MNIST, Fashion-MNIST), raw or gzipped.
public enum IDXLoader {
    /// Fashion-MNIST class names in label order.
    public static let fashionMNISTClassNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    /// Reads one IDX file. The magic number, element type and every dimension are checked, and
    /// the byte length implied by the header must equal the file's length before anything is allocated.
    public static func read(_ path: String) throws -> IDXArray {
        let bytes = try readMaybeGzipped(path)
        return try parse(bytes, file: path)
    }

    static func parse(_ b: [UInt8], file: String) throws -> IDXArray {
        guard b.count >= 4 else { throw DataError(file: file, location: "byte 0", reason: "truncated IDX header (\(b.count) bytes)") }
        guard b[0] == 0, b[1] == 0 else {
            throw DataError(file: file, location: "byte 0", reason: "bad IDX magic number (expected 00 00 <type> <rank>)")
        }
        let elementSize: Int
        switch b[2] {
        case 0x08, 0x09: elementSize = 1
        case 0x0B: elementSize = 2
        case 0x0C, 0x0D: elementSize = 4
        case 0x0E: elementSize = 8
        default: throw DataError(file: file, location: "byte 2", reason: "unknown IDX element type 0x\(String(b[2], radix: 16))")
        }
        let rank = Int(b[3])
        guard rank >= 1 else { throw DataError(file: file, location: "byte 3", reason: "IDX rank 0") }
        let headerSize = 4 + 4 * rank
        guard b.count >= headerSize else { throw DataError(file: file, reason: "truncated IDX header (rank \(rank), \(b.count) bytes)") }
        var shape: [Int] = []
        var total = 1
        for d in 0..<rank {
            let o = 4 + 4 * d
            let v = Int(b[o]) << 24 | Int(b[o + 1]) << 16 | Int(b[o + 2]) << 8 | Int(b[o + 3])
            shape.append(v)
            // Overflow-safe: stop multiplying once the product exceeds the file length.
            let (t, overflow) = total.multipliedReportingOverflow(by: v)
            total = overflow ? Int.max : t
        }
        try DeclaredShape.checkSample(shape, file: file, field: "header dimensions")
        let expected = total > b.count ? Int.max : headerSize + total * elementSize  // total <= file length: no overflow
        guard expected == b.count else {
            let why = expected > b.count ? "truncated" : "has \(b.count - expected) extra bytes"
            throw DataError(file: file, reason: "IDX file \(why): header shape \(shape) needs \(expected == Int.max ? "more than \(b.count)" : String(expected)) bytes, file has \(b.count)")
        }
        var values = [Float](repeating: 0, count: total)
        b.withUnsafeBufferPointer { src in
            let p = src.baseAddress! + headerSize
            switch b[2] {
            case 0x08: for i in 0..<total { values[i] = Float(p[i]) }
            case 0x09: for i in 0..<total { values[i] = Float(Int8(bitPattern: p[i])) }
            case 0x0B: for i in 0..<total { values[i] = Float(Int16(bitPattern: UInt16(p[2 * i]) << 8 | UInt16(p[2 * i + 1]))) }
            case 0x0C, 0x0D:
                for i in 0..<total {
                    let u = UInt32(p[4 * i]) << 24 | UInt32(p[4 * i + 1]) << 16 | UInt32(p[4 * i + 2]) << 8 | UInt32(p[4 * i + 3])
                    values[i] = b[2] == 0x0C ? Float(Int32(bitPattern: u)) : Float(bitPattern: u)
                }
            default:
                for i in 0..<total {
                    var u: UInt64 = 0
                    for k in 0..<8 { u = u << 8 | UInt64(p[8 * i + k]) }
                    values[i] = Float(Double(bitPattern: u))
                }
            }
        }
        // Policy: values must be finite 32-bit numbers (as in CSV files).
        if b[2] >= 0x0D, let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw DataError(file: file, location: "element \(bad)", reason: "value \(values[bad]) is not a finite 32-bit number (values must be finite)")
        }
        return IDXArray(shape: shape, values: values, isUnsignedBytes: b[2] == 0x08)
    }

    /// Loads an images file and a labels file as a data set. Byte images are scaled to [0, 1];
    /// rank-3 images `[N, H, W]` get sample shape `[H, W, 1]`.
    public static func load(images: String, labels: String, classNames: [String]? = nil) throws -> Dataset {
        let img = try read(images)
        let lab = try read(labels)
        guard lab.shape.count == 1 else { throw DataError(file: labels, reason: "labels must be rank 1, found shape \(lab.shape)") }
        guard img.shape[0] == lab.shape[0] else {
            throw DataError(file: images, reason: "\(img.shape[0]) images but \(labels) has \(lab.shape[0]) labels")
        }
        var shape = Array(img.shape.dropFirst())
        if shape.count == 2 { shape.append(1) }
        if shape.isEmpty { shape = [1] }
        var features = img.values
        if img.isUnsignedBytes {
            for i in features.indices { features[i] *= 1.0 / 255.0 }
        }
        var intLabels: [Int] = []
        intLabels.reserveCapacity(lab.values.count)
        for (i, v) in lab.values.enumerated() {
            guard v >= 0, v == v.rounded(), v < 1e6 else {
                throw DataError(file: labels, location: "record \(i)", reason: "label \(v) is not a non-negative integer")
            }
            if let names = classNames, Int(v) >= names.count {
                throw DataError(file: labels, location: "record \(i)", reason: "label \(Int(v)) out of range 0..<\(names.count)")
            }
            intLabels.append(Int(v))
        }
        let names = try classNames ?? ClassTable.numberedNames(labels: intLabels, file: labels) { "record \($0)" }
        var d = try Dataset(features: features, sampleShape: shape, labels: intLabels, classNames: names, source: images)
        d.reading.labels = "labels from \(labels)"
        return d
    }

    /// Loads a directory holding the standard MNIST file names (`train-images-idx3-ubyte`,
    /// `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`), each
    /// optionally ending in `.gz`.
    public static func loadDirectory(_ dir: String, classNames: [String]? = nil) throws -> (train: Dataset, test: Dataset) {
        func find(_ stem: String) throws -> String {
            for candidate in [stem, stem + ".gz"] {
                let p = dir + "/" + candidate
                if FileManager.default.fileExists(atPath: p) { return p }
            }
            throw DataError(file: dir, reason: "missing \(stem) (or \(stem).gz)")
        }
        let train = try load(images: try find("train-images-idx3-ubyte"), labels: try find("train-labels-idx1-ubyte"), classNames: classNames)
        let test = try load(images: try find("t10k-images-idx3-ubyte"), labels: try find("t10k-labels-idx1-ubyte"), classNames: classNames)
        return (train, test)
    }
}

import Foundation
