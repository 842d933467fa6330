/// A JPEG decoder in pure Swift: baseline and progressive Huffman-coded, 8-bit, greyscale or
/// YCbCr (any sampling factors up to 4; 4:4:4, 4:2:2 and 4:2:0 upsampled like libjpeg's
/// "fancy" triangle filter), restart intervals and EXIF orientation. Arithmetic coding,
/// 12-bit, lossless, hierarchical and CMYK files are refused with a `DataError`.
///
/// The claimed size is checked against the file length and `maxPixels` before anything is
/// allocated, so a corrupt header cannot trigger an unbounded allocation.
public enum JPEG {
    /// Largest accepted image (width × height); larger claims are refused.
    public static let maxPixels = 1 << 28

    /// Decodes JPEG bytes to 8-bit pixels, `[H, W, C]` with C = 1 (grey) or 3 (RGB), with the
    /// EXIF orientation applied.
    public static func decode8(_ bytes: [UInt8], file: String = "") throws -> (width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        var d = JPEGDecoder(bytes: bytes, file: file)
        try d.run()
        return try d.output()
    }

    /// Decodes JPEG bytes to an `Image` (values in [0, 1]).
    public static func decode(_ bytes: [UInt8], file: String = "") throws -> Image {
        let r = try decode8(bytes, file: file)
        var f = [Float](repeating: 0, count: r.pixels.count)
        r.pixels.withUnsafeBufferPointer { p in f.withUnsafeMutableBufferPointer { o in
            for i in 0..<p.count { o[i] = Float(p[i]) * (1 / 255) }
        } }
        return Image(width: r.width, height: r.height, channels: r.channels, pixels: f)
    }
}

/// One colour component of the frame and its coefficient store.
struct JPEGComponent {
    var id: Int
    var h: Int, v: Int
    var quantTable: Int
    /// Blocks per line / column, padded to whole MCUs.
    var blocksPerLine = 0, blocksPerColumn = 0
    /// Blocks that hold image samples (not MCU padding), for non-interleaved scans.
    var usedBlocksPerLine = 0, usedBlocksPerColumn = 0
    var coefficients: [Int16] = []
    var dcTable = 0, acTable = 0
}

/// The decoder's state while it walks the markers of one file.
struct JPEGDecoder {
    let bytes: [UInt8]
    let file: String
    var pos = 0
    var quant = [[Int32]](repeating: [Int32](repeating: 0, count: 64), count: 4)
    var dcTables = [HuffmanTable?](repeating: nil, count: 4)
    var acTables = [HuffmanTable?](repeating: nil, count: 4)
    var components: [JPEGComponent] = []
    var width = 0, height = 0
    var hMax = 1, vMax = 1, mcusPerLine = 0, mcusPerColumn = 0
    var progressive = false
    var restartInterval = 0
    var orientation = 1
    var adobeTransform: Int? = nil
    var sawJFIF = false
    var scans = 0
    var finished = false

    init(bytes: [UInt8], file: String) { self.bytes = bytes; self.file = file }

    func fail(_ reason: String, at byte: Int? = nil) -> DataError {
        DataError(file: file, location: byte.map { "byte \($0)" } ?? "", reason: reason)
    }

    mutating func u16() throws -> Int {
        guard pos + 2 <= bytes.count else { throw fail("truncated JPEG file (in a marker segment)") }
        defer { pos += 2 }
        return Int(bytes[pos]) << 8 | Int(bytes[pos + 1])
    }

    /// Walks every marker up to EOI, decoding each scan into the coefficient stores.
    mutating func run() throws {
        guard bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else {
            throw fail("not a JPEG file (no start-of-image marker)", at: 0)
        }
        pos = 2
        while !finished {
            // Find the next marker (skip fill bytes; stray bytes between segments are tolerated like libjpeg).
            while pos < bytes.count && bytes[pos] != 0xFF { pos += 1 }
            while pos < bytes.count && bytes[pos] == 0xFF { pos += 1 }
            guard pos < bytes.count else {
                throw fail(scans > 0 ? "truncated JPEG file (no end-of-image marker)" : "truncated JPEG file (no image data)")
            }
            let marker = bytes[pos]
            let at = pos - 1
            pos += 1
            switch marker {
            case 0xD8, 0x01, 0xD0...0xD7: continue
            case 0xD9: finished = true
            case 0xC0, 0xC1, 0xC2: try readFrame(progressive: marker == 0xC2, at: at)
            case 0xC3: throw fail("lossless JPEG is not supported (only baseline and progressive Huffman JPEG)")
            case 0xC5, 0xC6, 0xC7: throw fail("hierarchical JPEG is not supported (only baseline and progressive Huffman JPEG)")
            case 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF, 0xCC:
                throw fail("arithmetic-coded JPEG is not supported (only Huffman-coded baseline and progressive JPEG)")
            case 0xC4: try readHuffmanTables()
            case 0xDB: try readQuantTables()
            case 0xDD:
                let len = try u16()
                guard len == 4 else { throw fail("bad restart-interval segment", at: at) }
                restartInterval = try u16()
            case 0xDA: try readScan(at: at)
            case 0xE1: try readAPP1()
            case 0xEE: try readAdobe()
            default:
                let len = try u16()
                guard len >= 2, pos + len - 2 <= bytes.count else { throw fail("truncated JPEG file (in a marker segment)", at: at) }
                if marker == 0xE0, len >= 7, bytes[pos] == 0x4A, bytes[pos + 1] == 0x46 { sawJFIF = true }
                pos += len - 2
            }
        }
        guard !components.isEmpty else { throw fail("JPEG file has no frame header") }
        guard scans > 0 else { throw fail("JPEG file has no image data") }
    }

    mutating func segment(_ at: Int) throws -> Range<Int> {
        let len = try u16()
        guard len >= 2, pos + len - 2 <= bytes.count else { throw fail("truncated JPEG file (in a marker segment)", at: at) }
        return pos..<(pos + len - 2)
    }

    mutating func readFrame(progressive p: Bool, at: Int) throws {
        let seg = try segment(at)
        guard components.isEmpty else { throw fail("JPEG file has more than one frame", at: at) }
        guard seg.count >= 6 else { throw fail("bad frame header", at: at) }
        let precision = Int(bytes[seg.lowerBound])
        guard precision == 8 else { throw fail("\(precision)-bit JPEG is not supported (only 8-bit)") }
        height = Int(bytes[seg.lowerBound + 1]) << 8 | Int(bytes[seg.lowerBound + 2])
        width = Int(bytes[seg.lowerBound + 3]) << 8 | Int(bytes[seg.lowerBound + 4])
        let n = Int(bytes[seg.lowerBound + 5])
        guard width > 0, height > 0 else { throw fail("JPEG size \(width)x\(height) is empty (DNL markers are not supported)") }
        guard n == 1 || n == 3 else {
            throw fail(n == 4 ? "CMYK/YCCK JPEG is not supported (only greyscale and YCbCr)" : "JPEG with \(n) components is not supported (only 1 or 3)")
        }
        guard seg.count >= 6 + 3 * n else { throw fail("bad frame header", at: at) }
        guard width * height <= JPEG.maxPixels else {
            throw fail("JPEG claims \(width)x\(height) pixels, more than the \(JPEG.maxPixels / 1_000_000) megapixel limit")
        }
        try Image.checkBudget(width: width, height: height, channels: n, file: file, format: "JPEG")
        progressive = p
        for i in 0..<n {
            let o = seg.lowerBound + 6 + 3 * i
            let h = Int(bytes[o + 1] >> 4), v = Int(bytes[o + 1] & 15), tq = Int(bytes[o + 2])
            guard (1...4).contains(h), (1...4).contains(v), tq < 4 else { throw fail("bad component \(i) in frame header", at: at) }
            components.append(JPEGComponent(id: Int(bytes[o]), h: h, v: v, quantTable: tq))
        }
        hMax = components.map(\.h).max() ?? 1
        vMax = components.map(\.v).max() ?? 1
        mcusPerLine = (width + 8 * hMax - 1) / (8 * hMax)
        mcusPerColumn = (height + 8 * vMax - 1) / (8 * vMax)
        // Every block costs at least one bit of entropy-coded data (its DC code), so a claim of
        // more blocks than 8 × the file's bytes cannot be real: refuse before allocating.
        let blocks = components.reduce(0) { $0 + mcusPerLine * $1.h * mcusPerColumn * $1.v }
        guard blocks <= 8 * bytes.count else {
            throw fail("JPEG claims \(width)x\(height) pixels, more than \(bytes.count) bytes can encode (corrupt or truncated header)")
        }
        for i in components.indices {
            let c = components[i]
            components[i].blocksPerLine = mcusPerLine * c.h
            components[i].blocksPerColumn = mcusPerColumn * c.v
            components[i].usedBlocksPerLine = ((width * c.h + hMax - 1) / hMax + 7) / 8
            components[i].usedBlocksPerColumn = ((height * c.v + vMax - 1) / vMax + 7) / 8
            components[i].coefficients = [Int16](repeating: 0, count: components[i].blocksPerLine * components[i].blocksPerColumn * 64)
        }
        pos = seg.upperBound
    }

    mutating func readQuantTables() throws {
        let seg = try segment(pos - 2)
        while pos < seg.upperBound {
            let pq = Int(bytes[pos] >> 4), tq = Int(bytes[pos] & 15)
            pos += 1
            guard tq < 4, pq <= 1, pos + 64 * (pq + 1) <= seg.upperBound else { throw fail("bad quantisation table", at: pos) }
            for k in 0..<64 {
                let v = pq == 0 ? Int32(bytes[pos + k]) : Int32(bytes[pos + 2 * k]) << 8 | Int32(bytes[pos + 2 * k + 1])
                quant[tq][JPEGTables.zigzag[k]] = v
            }
            pos += 64 * (pq + 1)
        }
        pos = seg.upperBound
    }

    mutating func readHuffmanTables() throws {
        let seg = try segment(pos - 2)
        while pos < seg.upperBound {
            guard pos + 17 <= seg.upperBound else { throw fail("bad Huffman table", at: pos) }
            let tc = Int(bytes[pos] >> 4), th = Int(bytes[pos] & 15)
            guard tc <= 1, th < 4 else { throw fail("bad Huffman table class/id", at: pos) }
            let counts = (0..<16).map { Int(bytes[pos + 1 + $0]) }
            let total = counts.reduce(0, +)
            pos += 17
            guard total <= 256, pos + total <= seg.upperBound else { throw fail("bad Huffman table", at: pos) }
            let table = try HuffmanTable(counts: counts, symbols: Array(bytes[pos..<(pos + total)]))
                .orThrow(fail("bad Huffman table (over-subscribed code lengths)", at: pos))
            if tc == 0 { dcTables[th] = table } else { acTables[th] = table }
            pos += total
        }
        pos = seg.upperBound
    }

    mutating func readAdobe() throws {
        let seg = try segment(pos - 2)
        if seg.count >= 12, bytes[seg.lowerBound] == 0x41, bytes[seg.lowerBound + 1] == 0x64 {  // "Ad"obe
            adobeTransform = Int(bytes[seg.lowerBound + 11])
        }
        pos = seg.upperBound
    }
}

extension Optional {
    func orThrow(_ error: @autoclosure () -> Error) throws -> Wrapped {
        guard let self else { throw error() }
        return self
    }
}
