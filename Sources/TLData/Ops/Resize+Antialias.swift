/// Antialiased resizing: separable triangle (bilinear) filter whose support grows with the
/// downscale factor, so every source pixel contributes when shrinking (the same scheme as
/// PIL's `Image.resize(..., BILINEAR)`; plain bilinear when enlarging).
enum AntialiasedResize {
    /// Per output index: the first source index and its normalised weights.
    struct Taps {
        var start: [Int] = []
        var count: [Int] = []
        var weights: [Float] = []
        var stride = 0
    }

    static func taps(from input: Int, to output: Int) -> Taps {
        let scale = Double(input) / Double(output)
        let filterScale = max(scale, 1)
        let support = filterScale  // triangle support 1 × scale
        let stride = Int(support.rounded(.up)) * 2 + 1
        var t = Taps(stride: stride)
        t.weights = [Float](repeating: 0, count: output * stride)
        for i in 0..<output {
            let center = (Double(i) + 0.5) * scale
            let lo = max(Int(center - support + 0.5), 0)
            let hi = min(Int(center + support + 0.5), input)
            var w = [Double]()
            var sum = 0.0
            for x in lo..<max(hi, lo + 1) {
                let d = (Double(x) - center + 0.5) / filterScale
                let v = max(0, 1 - abs(d))
                w.append(v); sum += v
            }
            if sum == 0 { w = [1]; sum = 1 }
            t.start.append(min(lo, input - 1))
            t.count.append(min(w.count, stride))
            for (k, v) in w.prefix(stride).enumerated() { t.weights[i * stride + k] = Float(v / sum) }
        }
        return t
    }

    /// `src` `[h, w, c]` resized to `[oh, ow, c]`.
    static func resize(_ src: [Float], height h: Int, width w: Int, channels c: Int, toHeight oh: Int, toWidth ow: Int) -> [Float] {
        if h == oh && w == ow { return src }
        let tx = taps(from: w, to: ow), ty = taps(from: h, to: oh)
        // Horizontal pass: [h, w, c] → [h, ow, c].
        var mid = [Float](repeating: 0, count: h * ow * c)
        src.withUnsafeBufferPointer { s in
            tx.weights.withUnsafeBufferPointer { wts in
            mid.withUnsafeMutableBufferPointer { m in
                for y in 0..<h {
                    let row = y * w * c, orow = y * ow * c
                    for x in 0..<ow {
                        let st = tx.start[x], n = tx.count[x], wb = x * tx.stride
                        if c == 3 {
                            var a0: Float = 0, a1: Float = 0, a2: Float = 0
                            var p = row + st * 3
                            for j in 0..<n {
                                let wj = wts[wb + j]
                                a0 += wj * s[p]; a1 += wj * s[p + 1]; a2 += wj * s[p + 2]
                                p += 3
                            }
                            m[orow + x * 3] = a0; m[orow + x * 3 + 1] = a1; m[orow + x * 3 + 2] = a2
                            continue
                        }
                        for k in 0..<c {
                            var acc: Float = 0
                            for j in 0..<n { acc += wts[wb + j] * s[row + (st + j) * c + k] }
                            m[orow + x * c + k] = acc
                        }
                    }
                }
            }
            }
        }
        // Vertical pass: [h, ow, c] → [oh, ow, c].
        var out = [Float](repeating: 0, count: oh * ow * c)
        let line = ow * c
        mid.withUnsafeBufferPointer { m in
            out.withUnsafeMutableBufferPointer { o in
                for y in 0..<oh {
                    let st = ty.start[y], n = ty.count[y], wb = y * ty.stride
                    let orow = y * line
                    for j in 0..<n {
                        let wgt = ty.weights[wb + j], irow = (st + j) * line
                        for i in 0..<line { o[orow + i] += wgt * m[irow + i] }
                    }
                }
            }
        }
        return out
    }
}

extension Image {
    /// The image resized (antialiased) to `height × width`.
    public func resized(height oh: Int, width ow: Int) -> Image {
        Image(width: ow, height: oh, channels: channels,
              pixels: AntialiasedResize.resize(pixels, height: height, width: width, channels: channels, toHeight: oh, toWidth: ow))
    }

    /// The centre `height × width` region (the image must be at least that large).
    public func centreCropped(height oh: Int, width ow: Int) -> Image {
        if oh == height && ow == width { return self }
        let oy = max(0, (height - oh) / 2), ox = max(0, (width - ow) / 2)
        var out = [Float](repeating: 0, count: oh * ow * channels)
        for y in 0..<min(oh, height) {
            let s = ((y + oy) * width + ox) * channels, d = y * ow * channels
            let n = min(ow, width) * channels
            out[d..<(d + n)] = pixels[s..<(s + n)]
        }
        return Image(width: ow, height: oh, channels: channels, pixels: out)
    }
}
