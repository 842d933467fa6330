// Depthwise (one filter per channel) 2-D convolution on channels-last images, one backend.
// Vectorised across channels (VF lanes = consecutive channels), no padded copy: each output
// pixel sums only the taps that fall inside the image, so per-side ("SAME", asymmetric)
// padding costs nothing. Single-threaded over the given rows or images; TLKernels splits
// the work across threads.
//
//     x:      [N, H, W, C]
//     weight: [KH, KW, C]          (tap-major: one C-vector per tap)
//     out:    [N, OH, OW, C]       out = clamp(Σ_taps x · w + bias, lower, upper)

/// Taps k in 0..<kernel whose input index start + k lies in 0..<extent.
@inline(__always)
func tapRange(_ start: Int, _ kernel: Int, _ extent: Int) -> Range<Int> {
    max(0, -start)..<max(max(0, -start), min(kernel, extent - start))
}

/// Forward over output rows `rowStart..<rowEnd` (row = n·OH + oy), with an optional per-channel
/// bias and a clamp (pass −∞, +∞ for none; 0, 6 fuses ReLU6).
public func depthwiseForwardRows(x: UnsafePointer<Float>, height: Int, width: Int, channels c: Int,
                                 kernelH: Int, kernelW: Int, strideH: Int, strideW: Int, padTop: Int, padLeft: Int,
                                 outH: Int, outW: Int, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                 lower: Float, upper: Float, rowStart: Int, rowEnd: Int, out: UnsafeMutablePointer<Float>) {
    let w = VF.scalarCount
    let full = c / w * w, tail = c - full
    let lo = VF(repeating: lower), hi = VF(repeating: upper)
    // Output columns whose whole window lies inside the image horizontally: there, four
    // neighbouring outputs are computed together, each weight vector loaded once for all four.
    let oxLo = min(outW, (padLeft + strideW - 1) / strideW)
    let oxHi = width - kernelW + padLeft >= 0 ? min(outW, (width - kernelW + padLeft) / strideW + 1) : 0
    for row in rowStart..<rowEnd {
        let n = row / outH, oy = row % outH
        let iy0 = oy * strideH - padTop
        let ys = tapRange(iy0, kernelH, height)
        let image = x + n * height * width * c
        let outRow = out + row * outW * c
        var ox = 0
        while ox < outW {
            if ox >= oxLo && ox + 4 <= oxHi && full > 0 {
                let ix0 = ox * strideW - padLeft
                let sx = strideW * c
                var ch = 0
                while ch < full {
                    var a0 = bias.map { loadV($0 + ch) } ?? VF()
                    var a1 = a0, a2 = a0, a3 = a0
                    for ky in ys {
                        var xr = image + ((iy0 + ky) * width + ix0) * c + ch
                        var wr = weight + ky * kernelW * c + ch
                        for _ in 0..<kernelW {
                            let wv = loadV(wr)
                            a0 = madd(a0, loadV(xr), wv)
                            a1 = madd(a1, loadV(xr + sx), wv)
                            a2 = madd(a2, loadV(xr + 2 * sx), wv)
                            a3 = madd(a3, loadV(xr + 3 * sx), wv)
                            xr += c
                            wr += c
                        }
                    }
                    let o = outRow + ox * c + ch
                    storeV(vMin(vMax(a0, lo), hi), o)
                    storeV(vMin(vMax(a1, lo), hi), o + c)
                    storeV(vMin(vMax(a2, lo), hi), o + 2 * c)
                    storeV(vMin(vMax(a3, lo), hi), o + 3 * c)
                    ch += w
                }
                if tail > 0 {
                    for j in 0..<4 {
                        depthwisePixelTail(image, width: width, c: c, from: full, iy0: iy0, ys: ys, ix0: ix0 + j * strideW,
                                           xs: 0..<kernelW, kernelW: kernelW, weight: weight, bias: bias, lower: lower, upper: upper,
                                           out: outRow + (ox + j) * c)
                    }
                }
                ox += 4
                continue
            }
            let ix0 = ox * strideW - padLeft
            let xs = tapRange(ix0, kernelW, width)
            let o = outRow + ox * c
            var ch = 0
            while ch < full {
                var acc = bias.map { loadV($0 + ch) } ?? VF()
                for ky in ys {
                    let xr = image + ((iy0 + ky) * width + ix0) * c + ch
                    let wr = weight + ky * kernelW * c + ch
                    for kx in xs { acc = madd(acc, loadV(xr + kx * c), loadV(wr + kx * c)) }
                }
                storeV(vMin(vMax(acc, lo), hi), o + ch)
                ch += w
            }
            if tail > 0 {
                depthwisePixelTail(image, width: width, c: c, from: full, iy0: iy0, ys: ys, ix0: ix0, xs: xs, kernelW: kernelW,
                                   weight: weight, bias: bias, lower: lower, upper: upper, out: o)
            }
            ox += 1
        }
    }
}

/// Channels `from..<c` of one output pixel (the part that does not fill a vector).
@inline(__always)
func depthwisePixelTail(_ image: UnsafePointer<Float>, width: Int, c: Int, from: Int, iy0: Int, ys: Range<Int>, ix0: Int,
                        xs: Range<Int>, kernelW: Int, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                        lower: Float, upper: Float, out: UnsafeMutablePointer<Float>) {
    for t in from..<c {
        var acc = bias?[t] ?? 0
        for ky in ys {
            let xr = image + ((iy0 + ky) * width + ix0) * c + t
            let wr = weight + ky * kernelW * c + t
            for kx in xs { acc += xr[kx * c] * wr[kx * c] }
        }
        out[t] = min(max(acc, lower), upper)
    }
}

/// Input gradient for images `imageStart..<imageEnd`: dx[n] = Σ over output pixels and taps of
/// dy · w, scattered onto the input pixels each tap read. `dx` must be zeroed for those images.
public func depthwiseBackwardInputImages(dy: UnsafePointer<Float>, height: Int, width: Int, channels c: Int,
                                         kernelH: Int, kernelW: Int, strideH: Int, strideW: Int, padTop: Int, padLeft: Int,
                                         outH: Int, outW: Int, weight: UnsafePointer<Float>, imageStart: Int, imageEnd: Int,
                                         dx: UnsafeMutablePointer<Float>) {
    let w = VF.scalarCount
    let full = c / w * w
    for n in imageStart..<imageEnd {
        let image = dx + n * height * width * c
        for oy in 0..<outH {
            let iy0 = oy * strideH - padTop
            let ys = tapRange(iy0, kernelH, height)
            for ox in 0..<outW {
                let ix0 = ox * strideW - padLeft
                let xs = tapRange(ix0, kernelW, width)
                let g = dy + ((n * outH + oy) * outW + ox) * c
                for ky in ys {
                    for kx in xs {
                        let d = image + ((iy0 + ky) * width + ix0 + kx) * c
                        let wt = weight + (ky * kernelW + kx) * c
                        var ch = 0
                        while ch < full { storeV(madd(loadV(d + ch), loadV(g + ch), loadV(wt + ch)), d + ch); ch += w }
                        while ch < c { d[ch] += g[ch] * wt[ch]; ch += 1 }
                    }
                }
            }
        }
    }
}

/// Weight gradient contribution of images `imageStart..<imageEnd`, added into dw [KH, KW, C]:
/// dw[tap] += Σ over output pixels of dy · x at that tap.
public func depthwiseBackwardWeightImages(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, height: Int, width: Int,
                                          channels c: Int, kernelH: Int, kernelW: Int, strideH: Int, strideW: Int,
                                          padTop: Int, padLeft: Int, outH: Int, outW: Int, imageStart: Int, imageEnd: Int,
                                          dw: UnsafeMutablePointer<Float>) {
    let w = VF.scalarCount
    let full = c / w * w
    for n in imageStart..<imageEnd {
        let image = x + n * height * width * c
        for oy in 0..<outH {
            let iy0 = oy * strideH - padTop
            let ys = tapRange(iy0, kernelH, height)
            for ox in 0..<outW {
                let ix0 = ox * strideW - padLeft
                let xs = tapRange(ix0, kernelW, width)
                let g = dy + ((n * outH + oy) * outW + ox) * c
                for ky in ys {
                    for kx in xs {
                        let s = image + ((iy0 + ky) * width + ix0 + kx) * c
                        let d = dw + (ky * kernelW + kx) * c
                        var ch = 0
                        while ch < full { storeV(madd(loadV(d + ch), loadV(g + ch), loadV(s + ch)), d + ch); ch += w }
                        while ch < c { d[ch] += g[ch] * s[ch]; ch += 1 }
                    }
                }
            }
        }
    }
}

/// out[r, :] = clamp(x[r, :] · scale + shift (+ residual[r, :]), lower, upper) for rows in
/// `rowStart..<rowEnd`; x, residual, out: [rows, cols] (out may alias x), scale, shift: [cols].
/// The inference epilogue of BatchNorm-folded convolutions (ReLU6 or the skip addition).
public func channelAffineRows(x: UnsafePointer<Float>, scale: UnsafePointer<Float>, shift: UnsafePointer<Float>,
                              residual: UnsafePointer<Float>?, lower: Float, upper: Float, cols: Int,
                              rowStart: Int, rowEnd: Int, out: UnsafeMutablePointer<Float>) {
    let w = VF.scalarCount
    let full = cols / w * w
    let lo = VF(repeating: lower), hi = VF(repeating: upper)
    for row in rowStart..<rowEnd {
        let xr = x + row * cols, o = out + row * cols
        var j = 0
        if let residual {
            let r = residual + row * cols
            while j < full { storeV(vMin(vMax(madd(loadV(shift + j), loadV(xr + j), loadV(scale + j)) + loadV(r + j), lo), hi), o + j); j += w }
            while j < cols { o[j] = min(max(xr[j] * scale[j] + shift[j] + r[j], lower), upper); j += 1 }
        } else {
            while j < full { storeV(vMin(vMax(madd(loadV(shift + j), loadV(xr + j), loadV(scale + j)), lo), hi), o + j); j += w }
            while j < cols { o[j] = min(max(xr[j] * scale[j] + shift[j], lower), upper); j += 1 }
        }
    }
}
