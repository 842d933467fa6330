/// EXIF orientation: read from the APP1 "Exif" segment (TIFF IFD0 tag 0x0112) and applied to
/// the decoded pixels so images come out the way cameras meant them to be seen (as PIL's
/// `ImageOps.exif_transpose`). A malformed EXIF block is ignored, never an error.
extension JPEGDecoder {
    mutating func readAPP1() throws {
        let seg = try segment(pos - 2)
        defer { pos = seg.upperBound }
        let s = seg.lowerBound
        guard seg.count >= 14, bytes[s] == 0x45, bytes[s + 1] == 0x78, bytes[s + 2] == 0x69, bytes[s + 3] == 0x66,
              bytes[s + 4] == 0, bytes[s + 5] == 0 else { return }
        let t = s + 6  // TIFF header
        let little: Bool
        switch (bytes[t], bytes[t + 1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return
        }
        func u16(_ o: Int) -> Int? {
            guard o >= t, o + 2 <= seg.upperBound else { return nil }
            return little ? Int(bytes[o]) | Int(bytes[o + 1]) << 8 : Int(bytes[o]) << 8 | Int(bytes[o + 1])
        }
        func u32(_ o: Int) -> Int? {
            guard let a = u16(o), let b = u16(o + 2) else { return nil }
            return little ? a | b << 16 : a << 16 | b
        }
        guard let ifd = u32(t + 4), let count = u16(t + ifd) else { return }
        for i in 0..<min(count, 512) {
            let e = t + ifd + 2 + 12 * i
            guard let tag = u16(e) else { return }
            if tag == 0x0112, let v = u16(e + 8), (1...8).contains(v) { orientation = v; return }
        }
    }
}

/// The eight EXIF orientations as pixel transforms.
enum JPEGOrientation {
    /// Applies EXIF orientation `o` (1 = as stored) to `[H, W, C]` pixels.
    static func apply(_ o: Int, width: Int, height: Int, channels c: Int, pixels: [UInt8])
        -> (width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        guard o >= 2 && o <= 8 else { return (width, height, c, pixels) }
        let transposed = o >= 5
        let ow = transposed ? height : width, oh = transposed ? width : height
        var out = [UInt8](repeating: 0, count: pixels.count)
        for y in 0..<oh {
            for x in 0..<ow {
                // Source coordinates of output (x, y) for each orientation.
                let (sx, sy): (Int, Int)
                switch o {
                case 2: (sx, sy) = (width - 1 - x, y)                 // mirrored horizontally
                case 3: (sx, sy) = (width - 1 - x, height - 1 - y)    // rotated 180°
                case 4: (sx, sy) = (x, height - 1 - y)                // mirrored vertically
                case 5: (sx, sy) = (y, x)                             // transposed
                case 6: (sx, sy) = (y, height - 1 - x)                // rotate 90° clockwise to view
                case 7: (sx, sy) = (width - 1 - y, height - 1 - x)    // transversed
                default: (sx, sy) = (width - 1 - y, x)                // 8: rotate 90° counter-clockwise to view
                }
                let d = (y * ow + x) * c, s = (sy * width + sx) * c
                for k in 0..<c { out[d + k] = pixels[s + k] }
            }
        }
        return (ow, oh, c, out)
    }
}
