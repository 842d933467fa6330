/// PNG decoder (non-interlaced; bit depths 1/2/4/8/16; gray, gray+alpha, RGB, RGBA, palette;
/// all five filter types). Every chunk CRC is verified; alpha is dropped.
enum PNG {
    static func decode(_ b: [UInt8], file: String) throws -> Image {
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        guard b.count >= 8, Array(b[0..<8]) == signature else {
            throw DataError(file: file, location: "byte 0", reason: "bad PNG signature")
        }
        func be32(_ i: Int) -> Int { Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3]) }
        var pos = 8
        var width = 0, height = 0, depth = 0, colorType = -1
        var palette: [UInt8] = []
        var idat: [UInt8] = []
        var sawEnd = false
        var chunkIndex = 0
        while pos < b.count {
            guard pos + 12 <= b.count else { throw DataError(file: file, location: "byte \(pos)", reason: "truncated PNG chunk header") }
            let len = be32(pos)
            guard len <= b.count - pos - 12 else {
                throw DataError(file: file, location: "byte \(pos)", reason: "truncated PNG chunk (length \(len) beyond end of file)")
            }
            let type = String(decoding: b[(pos + 4)..<(pos + 8)], as: UTF8.self)
            let dataStart = pos + 8
            let crc = UInt32(be32(dataStart + len))
            guard CRC32.checksum(b, (pos + 4)..<(dataStart + len)) == crc else {
                throw DataError(file: file, location: "chunk \(chunkIndex) (\(type))", reason: "PNG chunk CRC mismatch")
            }
            if chunkIndex == 0 && type != "IHDR" { throw DataError(file: file, reason: "PNG does not start with IHDR") }
            switch type {
            case "IHDR":
                guard len == 13 else { throw DataError(file: file, reason: "bad PNG IHDR length \(len)") }
                width = be32(dataStart); height = be32(dataStart + 4)
                depth = Int(b[dataStart + 8]); colorType = Int(b[dataStart + 9])
                guard b[dataStart + 10] == 0, b[dataStart + 11] == 0 else { throw DataError(file: file, reason: "unsupported PNG compression/filter method") }
                guard b[dataStart + 12] == 0 else { throw DataError(file: file, reason: "interlaced (Adam7) PNG is not supported") }
                let valid: [Int: [Int]] = [0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]]
                guard let depths = valid[colorType], depths.contains(depth) else {
                    throw DataError(file: file, reason: "invalid PNG color type \(colorType) / bit depth \(depth)")
                }
                guard width > 0, height > 0, width < 1 << 24, height < 1 << 24 else {
                    throw DataError(file: file, reason: "bad PNG size \(width)x\(height)")
                }
            case "PLTE": palette = Array(b[dataStart..<(dataStart + len)])
            case "IDAT": idat.append(contentsOf: b[dataStart..<(dataStart + len)])
            case "IEND": sawEnd = true
            default: break
            }
            pos = dataStart + len + 4
            chunkIndex += 1
            if sawEnd { break }
        }
        guard sawEnd else { throw DataError(file: file, reason: "truncated PNG (no IEND chunk)") }
        guard !idat.isEmpty else { throw DataError(file: file, reason: "PNG has no image data (IDAT)") }
        let samples = [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][colorType] ?? 4
        try Image.checkBudget(width: width, height: height, channels: samples, file: file, format: "PNG")
        let bitsPerPixel = samples * depth
        let rowBytes = (width * bitsPerPixel + 7) / 8
        let bpp = max(1, bitsPerPixel / 8)
        // DEFLATE expands at most ~1032:1, so a header claiming more than that is rejected
        // before the output buffer is sized from it.
        let (expected, overflow) = height.multipliedReportingOverflow(by: rowBytes + 1)
        guard !overflow, expected <= idat.count * 1032 + 1024 else {
            throw DataError(file: file, reason: "PNG size \(width)x\(height) cannot come from \(idat.count) bytes of image data (truncated?)")
        }
        if colorType == 3 && (palette.isEmpty || palette.count % 3 != 0) {
            throw DataError(file: file, reason: "palette PNG without a valid PLTE chunk")
        }
        var raw: [UInt8]
        do { raw = try Zlib.decompress(idat, limit: expected) } catch let e as DataError {
            throw DataError(file: file, location: "IDAT", reason: e.reason)
        }
        guard raw.count == expected else {
            throw DataError(file: file, location: "IDAT", reason: "image data has \(raw.count) bytes, expected \(expected) (truncated?)")
        }
        try unfilter(&raw, rows: height, rowBytes: rowBytes, bpp: bpp, file: file)
        return try expand(raw, width: width, height: height, depth: depth, colorType: colorType, rowBytes: rowBytes, palette: palette, file: file)
    }

    /// Undoes the per-row filters in place (None, Sub, Up, Average, Paeth).
    static func unfilter(_ d: inout [UInt8], rows: Int, rowBytes: Int, bpp: Int, file: String) throws {
        let stride = rowBytes + 1
        try d.withUnsafeMutableBufferPointer { p in
            for y in 0..<rows {
                let r = y * stride + 1
                let prev = r - stride  // only used when y > 0
                let filter = p[r - 1]
                switch filter {
                case 0: break
                case 1: for x in bpp..<max(bpp, rowBytes) { p[r + x] &+= p[r + x - bpp] }
                case 2: if y > 0 { for x in 0..<rowBytes { p[r + x] &+= p[prev + x] } }
                case 3:
                    for x in 0..<rowBytes {
                        let a = x >= bpp ? Int(p[r + x - bpp]) : 0
                        let up = y > 0 ? Int(p[prev + x]) : 0
                        p[r + x] &+= UInt8((a + up) >> 1)
                    }
                case 4:
                    for x in 0..<rowBytes {
                        let a = x >= bpp ? Int(p[r + x - bpp]) : 0
                        let up = y > 0 ? Int(p[prev + x]) : 0
                        let c = (x >= bpp && y > 0) ? Int(p[prev + x - bpp]) : 0
                        let pa = abs(up - c), pb = abs(a - c), pc = abs(a + up - 2 * c)
                        let pred = (pa <= pb && pa <= pc) ? a : (pb <= pc ? up : c)
                        p[r + x] &+= UInt8(pred)
                    }
                default:
                    throw DataError(file: file, location: "row \(y)", reason: "invalid PNG filter type \(filter)")
                }
            }
        }
    }

    /// Converts unfiltered scanlines into Float pixels (gray or RGB, alpha dropped).
    static func expand(_ d: [UInt8], width: Int, height: Int, depth: Int, colorType: Int, rowBytes: Int,
                       palette: [UInt8], file: String) throws -> Image {
        let samples = [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][colorType]!
        let outChannels = (colorType == 2 || colorType == 3 || colorType == 6) ? 3 : 1
        var out = [Float](repeating: 0, count: width * height * outChannels)
        let maxv = Float((1 << depth) - 1)
        for y in 0..<height {
            let r = y * (rowBytes + 1) + 1
            for x in 0..<width {
                // Sample s of pixel x on this row.
                func sample(_ s: Int) -> Int {
                    let idx = x * samples + s
                    switch depth {
                    case 8: return Int(d[r + idx])
                    case 16: return Int(d[r + 2 * idx]) << 8 | Int(d[r + 2 * idx + 1])
                    default:
                        let bit = idx * depth
                        let byte = Int(d[r + bit / 8])
                        return (byte >> (8 - depth - bit % 8)) & ((1 << depth) - 1)
                    }
                }
                let o = (y * width + x) * outChannels
                if colorType == 3 {
                    let i = sample(0)
                    guard 3 * i + 2 < palette.count else {
                        throw DataError(file: file, location: "row \(y)", reason: "palette index \(i) out of range (\(palette.count / 3) entries)")
                    }
                    for k in 0..<3 { out[o + k] = Float(palette[3 * i + k]) / 255 }
                } else {
                    for k in 0..<outChannels { out[o + k] = Float(sample(k)) / maxv }
                }
            }
        }
        return Image(width: width, height: height, channels: outChannels, pixels: out)
    }
}
