/// From coefficients to pixels: libjpeg's accurate integer IDCT (jidctint "islow"), libjpeg's
/// "fancy" triangle upsampling for 2:1 horizontal and 2:1×2:1 chroma (box replication for
/// other factors), the JFIF YCbCr → RGB conversion in libjpeg's fixed point, then the EXIF
/// orientation.
extension JPEGDecoder {
    /// One component's samples after the IDCT: `blocksPerLine·8` wide.
    func componentPlane(_ c: JPEGComponent) -> [UInt8] {
        let stride = c.blocksPerLine * 8
        var plane = [UInt8](repeating: 0, count: stride * c.blocksPerColumn * 8)
        let q = quant[c.quantTable].map { Int($0) }
        let rows = min(c.blocksPerColumn, c.usedBlocksPerColumn), cols = min(c.blocksPerLine, c.usedBlocksPerLine)
        c.coefficients.withUnsafeBufferPointer { co in
            q.withUnsafeBufferPointer { q in
                plane.withUnsafeMutableBufferPointer { out in
                    var ws = [Int](repeating: 0, count: 64)
                    ws.withUnsafeMutableBufferPointer { ws in
                        for by in 0..<rows {
                            for bx in 0..<cols {
                                let block = co.baseAddress! + (by * c.blocksPerLine + bx) * 64
                                let dst = out.baseAddress! + by * 8 * stride + bx * 8
                                if JPEGDecoder.onlyDC(block) {
                                    // Both islow passes reduce to this for a block without AC terms.
                                    let p = JPEGDecoder.pass1Bits
                                    let v = JPEGDecoder.clamp((((Int(block[0]) * q[0]) << p + (1 << (p + 2))) >> (p + 3)) + 128)
                                    for r in 0..<8 { (dst + r * stride).update(repeating: v, count: 8) }
                                    continue
                                }
                                JPEGDecoder.idctIslow(block, q.baseAddress!, ws.baseAddress!, dst, stride)
                            }
                        }
                    }
                }
            }
        }
        return plane
    }

    static let constBits = 13, pass1Bits = 2

    /// True when the 63 AC coefficients of a block are zero (read as 16 words, DC masked out).
    @inline(__always)
    static func onlyDC(_ block: UnsafePointer<Int16>) -> Bool {
        UnsafeRawPointer(block).withMemoryRebound(to: UInt64.self, capacity: 16) { w in
            var bits = w[0] & ~UInt64(0xFFFF).littleEndian
            for i in 1..<16 { bits |= w[i] }
            return bits == 0
        }
    }

    /// libjpeg's jpeg_idct_islow: dequantise, 2-D 8×8 IDCT, level shift and clamp.
    @inline(__always)
    static func idctIslow(_ inp: UnsafePointer<Int16>, _ q: UnsafePointer<Int>, _ ws: UnsafeMutablePointer<Int>,
                          _ out: UnsafeMutablePointer<UInt8>, _ stride: Int) {
        let cb = constBits, p1 = pass1Bits
        for col in 0..<8 {
            if inp[8 + col] == 0 && inp[16 + col] == 0 && inp[24 + col] == 0 && inp[32 + col] == 0
                && inp[40 + col] == 0 && inp[48 + col] == 0 && inp[56 + col] == 0 {
                let dc = (Int(inp[col]) * q[col]) << p1
                for r in 0..<8 { ws[r * 8 + col] = dc }
                continue
            }
            func v(_ r: Int) -> Int { Int(inp[r * 8 + col]) * q[r * 8 + col] }
            let o = butterfly(v(0), v(1), v(2), v(3), v(4), v(5), v(6), v(7))
            let n = cb - p1, half = 1 << (n - 1)
            ws[col] = (o.0 + half) >> n; ws[8 + col] = (o.1 + half) >> n
            ws[16 + col] = (o.2 + half) >> n; ws[24 + col] = (o.3 + half) >> n
            ws[32 + col] = (o.4 + half) >> n; ws[40 + col] = (o.5 + half) >> n
            ws[48 + col] = (o.6 + half) >> n; ws[56 + col] = (o.7 + half) >> n
        }
        for row in 0..<8 {
            let w = ws + row * 8
            let dst = out + row * stride
            if w[1] == 0 && w[2] == 0 && w[3] == 0 && w[4] == 0 && w[5] == 0 && w[6] == 0 && w[7] == 0 {
                let n = p1 + 3
                let v = clamp(((w[0] + (1 << (n - 1))) >> n) + 128)
                for x in 0..<8 { dst[x] = v }
                continue
            }
            let o = butterfly(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7])
            let n = cb + p1 + 3, half = 1 << (n - 1)
            dst[0] = clamp(((o.0 + half) >> n) + 128); dst[1] = clamp(((o.1 + half) >> n) + 128)
            dst[2] = clamp(((o.2 + half) >> n) + 128); dst[3] = clamp(((o.3 + half) >> n) + 128)
            dst[4] = clamp(((o.4 + half) >> n) + 128); dst[5] = clamp(((o.5 + half) >> n) + 128)
            dst[6] = clamp(((o.6 + half) >> n) + 128); dst[7] = clamp(((o.7 + half) >> n) + 128)
        }
    }

    @inline(__always)
    static func clamp(_ v: Int) -> UInt8 { UInt8(truncatingIfNeeded: v < 0 ? 0 : v > 255 ? 255 : v) }

    /// The islow even/odd butterfly on one row or column, outputs scaled by 2^13.
    @inline(__always)
    static func butterfly(_ i0: Int, _ i1: Int, _ i2: Int, _ i3: Int, _ i4: Int, _ i5: Int, _ i6: Int, _ i7: Int) -> (Int, Int, Int, Int, Int, Int, Int, Int) {
        var z1 = (i2 + i6) * 4433
        var tmp2 = z1 + i6 * -15137
        var tmp3 = z1 + i2 * 6270
        var tmp0 = (i0 + i4) << constBits
        var tmp1 = (i0 - i4) << constBits
        let tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2
        tmp0 = i7; tmp1 = i5; tmp2 = i3; tmp3 = i1
        z1 = tmp0 + tmp3
        var z2 = tmp1 + tmp2, z3 = tmp0 + tmp2, z4 = tmp1 + tmp3
        let z5 = (z3 + z4) * 9633
        tmp0 *= 2446; tmp1 *= 16819; tmp2 *= 25172; tmp3 *= 12299
        z1 *= -7373; z2 *= -20995; z3 *= -16069; z4 *= -3196
        z3 += z5; z4 += z5
        tmp0 += z1 + z3; tmp1 += z2 + z4; tmp2 += z2 + z3; tmp3 += z1 + z4
        return (tmp10 + tmp3, tmp11 + tmp2, tmp12 + tmp1, tmp13 + tmp0, tmp13 - tmp0, tmp12 - tmp1, tmp11 - tmp2, tmp10 - tmp3)
    }

    /// A component's plane upsampled to the full image size (`width × height`).
    func upsampled(_ c: JPEGComponent, _ plane: [UInt8]) -> [UInt8] {
        let stride = c.blocksPerLine * 8
        let cw = (width * c.h + hMax - 1) / hMax, ch = (height * c.v + vMax - 1) / vMax
        let fx = hMax / c.h, fy = vMax / c.v
        var out = [UInt8](repeating: 0, count: width * height)
        var row = [Int](repeating: 0, count: cw)
        plane.withUnsafeBufferPointer { pl in out.withUnsafeMutableBufferPointer { o in row.withUnsafeMutableBufferPointer { rw in
        if fx == 1 && fy == 1 {
            for y in 0..<height { (o.baseAddress! + y * width).update(from: pl.baseAddress! + y * stride, count: width) }
        } else if fx == 2 && (fy == 1 || fy == 2) && hMax % c.h == 0 {
            // libjpeg h2v1 / h2v2 fancy upsampling: 3/4 nearer + 1/4 farther sample, per axis.
            for y in 0..<height {
                if fy == 1 {
                    for x in 0..<cw { rw[x] = Int(pl[y * stride + x]) }
                } else {
                    let sy = y / 2, ny = y % 2 == 0 ? max(sy - 1, 0) : min(sy + 1, ch - 1)
                    for x in 0..<cw { rw[x] = 3 * Int(pl[sy * stride + x]) + Int(pl[ny * stride + x]) }
                }
                let (b0, b1) = fy == 1 ? (1, 2) : (8, 7)
                let shift = fy == 1 ? 2 : 4
                let line = o.baseAddress! + y * width
                // Edge columns (replicated neighbours), then the interior pairs without branches.
                line[0] = UInt8(truncatingIfNeeded: fy == 1 ? rw[0] : (rw[0] * 4 + 8) >> 4)
                if width > 1 {
                    let last = cw - 1
                    let v = last == 0 ? (fy == 1 ? rw[0] : (rw[0] * 4 + 7) >> 4) : (rw[0] * 3 + rw[1] + b1) >> shift
                    line[1] = UInt8(truncatingIfNeeded: v)
                }
                var sx = 1
                while sx < cw - 1 && 2 * sx + 1 < width {
                    let t3 = rw[sx] * 3
                    line[2 * sx] = UInt8(truncatingIfNeeded: (t3 + rw[sx - 1] + b0) >> shift)
                    line[2 * sx + 1] = UInt8(truncatingIfNeeded: (t3 + rw[sx + 1] + b1) >> shift)
                    sx += 1
                }
                // The remaining columns (the last input column and an odd width's end).
                var x = max(2, 2 * sx)
                while x < width {
                    let s = x / 2
                    let v: Int
                    if x % 2 == 0 {
                        v = (rw[s] * 3 + rw[s - 1] + b0) >> shift
                    } else {
                        v = s == cw - 1 ? (fy == 1 ? rw[s] : (rw[s] * 4 + 7) >> 4) : (rw[s] * 3 + rw[s + 1] + b1) >> shift
                    }
                    line[x] = UInt8(truncatingIfNeeded: v)
                    x += 1
                }
            }
        } else {
            for y in 0..<height {
                let sy = min(y / fy, ch - 1)
                for x in 0..<width { o[y * width + x] = pl[sy * stride + min(x / fx, cw - 1)] }
            }
        }
        } } }
        return out
    }

    /// The decoded image (orientation applied).
    mutating func output() throws -> (width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        let planes = components.map { upsampled($0, componentPlane($0)) }
        var pixels: [UInt8]
        let n = width * height
        if planes.count == 1 {
            pixels = planes[0]
        } else {
            pixels = [UInt8](repeating: 0, count: 3 * n)
            let rgb = adobeTransform == 0 && !sawJFIF
            let t = JPEGColor.shared
            let (p0, p1, p2) = (planes[0], planes[1], planes[2])
            p0.withUnsafeBufferPointer { y0 in p1.withUnsafeBufferPointer { cb0 in p2.withUnsafeBufferPointer { cr0 in
            t.crR.withUnsafeBufferPointer { crR in t.cbB.withUnsafeBufferPointer { cbB in
            t.crG.withUnsafeBufferPointer { crG in t.cbG.withUnsafeBufferPointer { cbG in
            pixels.withUnsafeMutableBufferPointer { out in
                for i in 0..<n {
                    let y = Int(y0[i]), cb = Int(cb0[i]), cr = Int(cr0[i])
                    if rgb {
                        out[3 * i] = UInt8(y); out[3 * i + 1] = UInt8(cb); out[3 * i + 2] = UInt8(cr)
                    } else {
                        out[3 * i] = JPEGDecoder.clamp(y + crR[cr])
                        out[3 * i + 1] = JPEGDecoder.clamp(y + ((cbG[cb] + crG[cr]) >> 16))
                        out[3 * i + 2] = JPEGDecoder.clamp(y + cbB[cb])
                    }
                }
            } } } } } } } }
        }
        let c = planes.count == 1 ? 1 : 3
        return JPEGOrientation.apply(orientation, width: width, height: height, channels: c, pixels: pixels)
    }
}

/// libjpeg's fixed-point YCbCr → RGB tables (jdcolor.c, 16 fractional bits).
struct JPEGColor: Sendable {
    var crR = [Int](repeating: 0, count: 256), cbB = [Int](repeating: 0, count: 256)
    var crG = [Int](repeating: 0, count: 256), cbG = [Int](repeating: 0, count: 256)
    static let shared = JPEGColor()
    init() {
        func fix(_ x: Double) -> Int { Int(x * 65536 + 0.5) }
        let half = 1 << 15
        for i in 0..<256 {
            let x = i - 128
            crR[i] = (fix(1.40200) * x + half) >> 16
            cbB[i] = (fix(1.77200) * x + half) >> 16
            crG[i] = -fix(0.71414) * x
            cbG[i] = -fix(0.34414) * x + half
        }
    }
}
