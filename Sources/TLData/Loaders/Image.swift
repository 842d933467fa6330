import TLIO

/// A decoded image: `height × width × channels` Float pixels in [0, 1], channels-last.
public struct Image: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// 1 (gray) or 3 (RGB); alpha channels are dropped when decoding.
    public var channels: Int
    /// Pixel values `[H, W, C]`, scaled by 1/maxval.
    public var pixels: [Float]

    public init(width: Int, height: Int, channels: Int, pixels: [Float]) {
        self.width = width; self.height = height; self.channels = channels; self.pixels = pixels
    }

    /// Decodes a PNG, JPEG or PNM (P2/P3/P5/P6) file, chosen by its magic bytes.
    public static func read(_ path: String) throws -> Image {
        let b = try readFileBytes(path)
        if b.count >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF { return try JPEG.decode(b, file: path) }
        if b.count >= 8 && b[0] == 0x89 && b[1] == 0x50 && b[2] == 0x4E && b[3] == 0x47 { return try PNG.decode(b, file: path) }
        if b.count >= 2 && b[0] == UInt8(ascii: "P") { return try PNM.decode(b, file: path) }
        throw DataError(file: path, location: "byte 0", reason: "unreadable image: not a PNG, JPEG or PGM/PPM file (bad magic number)")
    }

    /// Checks a header's claimed size against the allocation budget before any pixel is decoded:
    /// the decoded 4-byte float pixels plus the decoder's own 8-bit or coefficient buffers.
    static func checkBudget(width: Int, height: Int, channels: Int, file: String, format: String) throws {
        do {
            try AllocationBudget.check(elements: [width, height, channels], bytesPerElement: 4 + 4,
                                       what: "decoding a \(width)x\(height) \(format)")
        } catch let e as BudgetError {
            throw DataError(file: file, location: "\(format) header", reason: e.description)
        }
    }

    /// The same image with `channels` channels (gray is replicated to RGB; RGB is averaged with
    /// ITU-R BT.601 luma weights to gray).
    public func converted(toChannels c: Int) -> Image {
        if c == channels { return self }
        var out = [Float](repeating: 0, count: width * height * c)
        for i in 0..<(width * height) {
            if channels == 1 {
                for k in 0..<c { out[i * c + k] = pixels[i] }
            } else if c == 1 {
                out[i] = 0.299 * pixels[3 * i] + 0.587 * pixels[3 * i + 1] + 0.114 * pixels[3 * i + 2]
            }
        }
        return Image(width: width, height: height, channels: c, pixels: out)
    }
}

/// Netpbm decoder: P2 (ASCII gray), P3 (ASCII RGB), P5 (binary gray), P6 (binary RGB); maxval up to 65535.
enum PNM {
    static func decode(_ b: [UInt8], file: String) throws -> Image {
        guard b.count >= 2, b[0] == UInt8(ascii: "P"), let kind = Int(String(UnicodeScalar(b[1]))), (2...6).contains(kind), kind != 4 else {
            throw DataError(file: file, location: "byte 0", reason: "bad PNM magic number (expected P2, P3, P5 or P6)")
        }
        var i = 2
        func skipSpaceAndComments() {
            while i < b.count {
                if b[i] == UInt8(ascii: "#") { while i < b.count && b[i] != 10 { i += 1 } }
                else if b[i] == 32 || (9...13).contains(b[i]) { i += 1 }
                else { break }
            }
        }
        func integer(_ what: String) throws -> Int {
            skipSpaceAndComments()
            var v = 0, digits = 0
            while i < b.count, b[i] &- 48 < 10 {
                v = v * 10 + Int(b[i] - 48); digits += 1; i += 1
                if v > 1 << 30 { throw DataError(file: file, location: "byte \(i)", reason: "PNM \(what) too large") }
            }
            guard digits > 0 else {
                throw DataError(file: file, location: "byte \(i)", reason: i >= b.count ? "truncated PNM file (reading \(what))" : "expected a number for PNM \(what)")
            }
            return v
        }
        let width = try integer("width"), height = try integer("height"), maxval = try integer("maxval")
        guard width > 0, height > 0 else { throw DataError(file: file, reason: "PNM size \(width)x\(height) is empty") }
        guard (1...65535).contains(maxval) else { throw DataError(file: file, reason: "PNM maxval \(maxval) out of range 1...65535") }
        let channels = (kind == 3 || kind == 6) ? 3 : 1
        let bytesPer = maxval > 255 ? 2 : 1
        let remaining = b.count - i
        // Validate the claimed size against the file length before allocating.
        let perSample = kind >= 5 ? bytesPer : 1
        let (area, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, area <= remaining / channels / perSample + 1 else {
            throw DataError(file: file, reason: "truncated PNM file: \(width)x\(height)x\(channels) samples cannot fit in \(remaining) bytes")
        }
        try Image.checkBudget(width: width, height: height, channels: channels, file: file, format: "PNM")
        let count = width * height * channels
        var pixels = [Float](repeating: 0, count: count)
        let scale = 1 / Float(maxval)
        if kind >= 5 {
            i += 1  // exactly one whitespace byte after maxval
            guard i + count * bytesPer <= b.count else {
                throw DataError(file: file, reason: "truncated PNM data: need \(count * bytesPer) bytes, have \(max(0, b.count - i))")
            }
            for k in 0..<count {
                let v = bytesPer == 1 ? Int(b[i + k]) : Int(b[i + 2 * k]) << 8 | Int(b[i + 2 * k + 1])
                pixels[k] = Float(min(v, maxval)) * scale
            }
        } else {
            for k in 0..<count {
                let v = try integer("sample \(k)")
                guard v <= maxval else { throw DataError(file: file, location: "sample \(k)", reason: "value \(v) exceeds maxval \(maxval)") }
                pixels[k] = Float(v) * scale
            }
        }
        return Image(width: width, height: height, channels: channels, pixels: pixels)
    }
}
