// Depthwise (one filter per channel) 2-D convolution on channels-last images, one backend.
// Vectorised across channels (VF lanes = consecutive channels), no padded copy. Every pass
// splits a row into a branch-free interior, where eight neighbouring pixels along W are
// computed together (each weight vector loaded once for the eight, eight accumulators in
// registers), and the SAME-padding borders, where a pixel sums only the taps that fall
// inside the image. Single-threaded over the given rows or images; TLKernels splits the work
// across threads.
//
//     x:      [N, H, W, C]
//     weight: [KH, KW, C]          (tap-major: one C-vector per tap)
//     out:    [N, OH, OW, C]       out = clamp(Σ_taps x · w + bias, lower, upper)

/// Taps k in 0..<kernel whose input index start + k lies in 0..<extent.
@inline(__always)
func tapRange(_ start: Int, _ kernel: Int, _ extent: Int) -> Range<Int> {
    max(0, -start)..<max(max(0, -start), min(kernel, extent - start))
}

/// Output indices o in 0..<outCount whose input index o·stride − pad + k lies in 0..<extent.
@inline(__always)
func outputRange(tap k: Int, stride s: Int, pad: Int, extent: Int, outCount: Int) -> Range<Int> {
    let lo = pad - k <= 0 ? 0 : (pad - k + s - 1) / s
    let last = extent - 1 + pad - k
    let hi = last < 0 ? 0 : min(outCount, last / s + 1)
    return min(lo, hi)..<hi
}

/// Forward over output rows `rowStart..<rowEnd` (row = n·OH + oy), with an optional per-channel
/// bias and a clamp (pass −∞, +∞ for none; 0, 6 fuses ReLU6).
public func depthwiseForwardRows(x: UnsafePointer<Float>, height: Int, width: Int, channels c: Int,
                                 kernelH: Int, kernelW: Int, strideH: Int, strideW: Int, padTop: Int, padLeft: Int,
                                 outH: Int, outW: Int, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                 lower: Float, upper: Float, rowStart: Int, rowEnd: Int, out: UnsafeMutablePointer<Float>) {
    let w = VF.scalarCount
    let full = c / w * w
    let lo = VF(repeating: lower), hi = VF(repeating: upper)
    // Output columns whose whole window lies inside the image horizontally.
    let oxLo = min(outW, (padLeft + strideW - 1) / strideW)
    let oxHi = max(oxLo, width - kernelW + padLeft >= 0 ? min(outW, (width - kernelW + padLeft) / strideW + 1) : 0)
    let sx = strideW * c, rowStep = width * c, tapRow = kernelW * c
    for row in rowStart..<rowEnd {
        let n = row / outH, oy = row % outH
        let iy0 = oy * strideH - padTop
        let ys = tapRange(iy0, kernelH, height)
        let image = x + n * height * width * c
        let outRow = out + row * outW * c
        let firstRow = image + (iy0 + ys.lowerBound) * rowStep
        let firstTap = weight + ys.lowerBound * tapRow
        // Pixel-major: a block's channel vectors are neighbours in memory, so each row is read
        // and written front to back once (whole cache lines, prefetcher-friendly).
        for ox in 0..<oxLo {
            var ch = 0
            while ch < full {
                depthwisePixel(image, width: width, c: c, ch: ch, iy0: iy0, ys: ys, ox: ox, strideW: strideW, padLeft: padLeft,
                               kernelW: kernelW, weight: weight, b: bias.map { loadV($0 + ch) } ?? VF(), lo: lo, hi: hi, out: outRow)
                ch += w
            }
        }
        var ox = oxLo
        while ox + 8 <= oxHi {
            let xBlock = firstRow + (ox * strideW - padLeft) * c, o = outRow + ox * c
            var ch = 0
            while ch < full {
                let b = bias.map { loadV($0 + ch) } ?? VF()
                var a0 = b, a1 = b, a2 = b, a3 = b, a4 = b, a5 = b, a6 = b, a7 = b
                var xr = xBlock + ch
                var wr = firstTap + ch
                for _ in ys {
                    for kx in 0..<kernelW {
                        let wv = loadV(wr + kx * c), p = xr + kx * c
                        a0 = madd(a0, loadV(p), wv)
                        a1 = madd(a1, loadV(p + sx), wv)
                        a2 = madd(a2, loadV(p + 2 * sx), wv)
                        a3 = madd(a3, loadV(p + 3 * sx), wv)
                        a4 = madd(a4, loadV(p + 4 * sx), wv)
                        a5 = madd(a5, loadV(p + 5 * sx), wv)
                        a6 = madd(a6, loadV(p + 6 * sx), wv)
                        a7 = madd(a7, loadV(p + 7 * sx), wv)
                    }
                    xr += rowStep
                    wr += tapRow
                }
                let oc = o + ch
                storeV(vMin(vMax(a0, lo), hi), oc)
                storeV(vMin(vMax(a1, lo), hi), oc + c)
                storeV(vMin(vMax(a2, lo), hi), oc + 2 * c)
                storeV(vMin(vMax(a3, lo), hi), oc + 3 * c)
                storeV(vMin(vMax(a4, lo), hi), oc + 4 * c)
                storeV(vMin(vMax(a5, lo), hi), oc + 5 * c)
                storeV(vMin(vMax(a6, lo), hi), oc + 6 * c)
                storeV(vMin(vMax(a7, lo), hi), oc + 7 * c)
                ch += w
            }
            ox += 8
        }
        while ox < outW {
            var ch = 0
            while ch < full {
                depthwisePixel(image, width: width, c: c, ch: ch, iy0: iy0, ys: ys, ox: ox, strideW: strideW, padLeft: padLeft,
                               kernelW: kernelW, weight: weight, b: bias.map { loadV($0 + ch) } ?? VF(), lo: lo, hi: hi, out: outRow)
                ch += w
            }
            ox += 1
        }
        if full < c {
            for ox in 0..<outW {
                let ix0 = ox * strideW - padLeft
                depthwisePixelTail(image, width: width, c: c, from: full, iy0: iy0, ys: ys, ix0: ix0, xs: tapRange(ix0, kernelW, width),
                                   kernelW: kernelW, weight: weight, bias: bias, lower: lower, upper: upper, out: outRow + ox * c)
            }
        }
    }
}

/// One channel vector `ch` of output pixel `ox` (a border pixel: only in-image taps).
@inline(__always)
func depthwisePixel(_ image: UnsafePointer<Float>, width: Int, c: Int, ch: Int, iy0: Int, ys: Range<Int>, ox: Int, strideW: Int,
                    padLeft: Int, kernelW: Int, weight: UnsafePointer<Float>, b: VF, lo: VF, hi: VF, out: UnsafeMutablePointer<Float>) {
    let ix0 = ox * strideW - padLeft
    var acc = b
    for kx in tapRange(ix0, kernelW, width) {
        for ky in ys { acc = madd(acc, loadV(image + ((iy0 + ky) * width + ix0 + kx) * c + ch), loadV(weight + (ky * kernelW + kx) * c + ch)) }
    }
    storeV(vMin(vMax(acc, lo), hi), out + ox * c + ch)
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

/// Input gradient for images `imageStart..<imageEnd`, overwritten (gather form): each input
/// pixel sums dy · w over the output pixels whose window read it,
///
///     dx[iy, ix] = Σ_{ky, kx : (iy + padTop − ky) = oy·strideH, (ix + padLeft − kx) = ox·strideW} dy[oy, ox] · w[ky, kx]
///
/// In the interior of a row, the pixels ix0, ix0 + strideW, … (same phase, same taps, dy
/// columns consecutive) are computed eight at a time in registers; borders take every check.
public func depthwiseBackwardInputImages(dy: UnsafePointer<Float>, height: Int, width: Int, channels c: Int,
                                         kernelH: Int, kernelW: Int, strideH: Int, strideW: Int, padTop: Int, padLeft: Int,
                                         outH: Int, outW: Int, weight: UnsafePointer<Float>, imageStart: Int, imageEnd: Int,
                                         dx: UnsafeMutablePointer<Float>) {
    let w = VF.scalarCount
    let full = c / w * w
    // Input columns every one of whose taps lands on an output column inside 0..<outW.
    let ixLo = min(width, max(0, kernelW - 1 - padLeft))
    let ixHi = max(ixLo, min(width, outW * strideW - padLeft))
    let span = 8 * strideW
    for n in imageStart..<imageEnd {
        let grad = dy + n * outH * outW * c
        for iy in 0..<height {
            let outRow = dx + ((n * height + iy) * width) * c
            for ix in 0..<ixLo {
                var ch = 0
                while ch < full {
                    depthwiseGradPixel(grad, iy: iy, ix: ix, c: c, ch: ch, kernelH: kernelH, kernelW: kernelW, strideH: strideH,
                                       strideW: strideW, padTop: padTop, padLeft: padLeft, outH: outH, outW: outW, weight: weight, out: outRow)
                    ch += w
                }
            }
            var ix = ixLo
            while ix + span <= ixHi {
                for phase in 0..<strideW {
                    let ix0 = ix + phase
                    var ch = 0
                    while ch < full {
                        var a0 = VF(), a1 = VF(), a2 = VF(), a3 = VF(), a4 = VF(), a5 = VF(), a6 = VF(), a7 = VF()
                        for ky in 0..<kernelH {
                            let t = iy + padTop - ky
                            guard t >= 0, t % strideH == 0, t / strideH < outH else { continue }
                            let gRow = grad + (t / strideH) * outW * c + ch
                            for kx in 0..<kernelW {
                                let u = ix0 + padLeft - kx
                                guard u % strideW == 0 else { continue }
                                let wv = loadV(weight + (ky * kernelW + kx) * c + ch), p = gRow + (u / strideW) * c
                                a0 = madd(a0, loadV(p), wv)
                                a1 = madd(a1, loadV(p + c), wv)
                                a2 = madd(a2, loadV(p + 2 * c), wv)
                                a3 = madd(a3, loadV(p + 3 * c), wv)
                                a4 = madd(a4, loadV(p + 4 * c), wv)
                                a5 = madd(a5, loadV(p + 5 * c), wv)
                                a6 = madd(a6, loadV(p + 6 * c), wv)
                                a7 = madd(a7, loadV(p + 7 * c), wv)
                            }
                        }
                        let o = outRow + ix0 * c + ch, s = strideW * c
                        storeV(a0, o); storeV(a1, o + s); storeV(a2, o + 2 * s); storeV(a3, o + 3 * s)
                        storeV(a4, o + 4 * s); storeV(a5, o + 5 * s); storeV(a6, o + 6 * s); storeV(a7, o + 7 * s)
                        ch += w
                    }
                }
                ix += span
            }
            while ix < width {
                var ch = 0
                while ch < full {
                    depthwiseGradPixel(grad, iy: iy, ix: ix, c: c, ch: ch, kernelH: kernelH, kernelW: kernelW, strideH: strideH,
                                       strideW: strideW, padTop: padTop, padLeft: padLeft, outH: outH, outW: outW, weight: weight, out: outRow)
                    ch += w
                }
                ix += 1
            }
            for ix in 0..<width {
                for t in full..<c {
                    var acc: Float = 0
                    for ky in 0..<kernelH {
                        let oy = iy + padTop - ky
                        guard oy >= 0, oy % strideH == 0, oy / strideH < outH else { continue }
                        for kx in 0..<kernelW {
                            let ox = ix + padLeft - kx
                            guard ox >= 0, ox % strideW == 0, ox / strideW < outW else { continue }
                            acc += grad[((oy / strideH) * outW + ox / strideW) * c + t] * weight[(ky * kernelW + kx) * c + t]
                        }
                    }
                    outRow[ix * c + t] = acc
                }
            }
        }
    }
}

/// One channel vector `ch` of input-gradient pixel (iy, ix) with every bounds check (borders).
@inline(__always)
func depthwiseGradPixel(_ grad: UnsafePointer<Float>, iy: Int, ix: Int, c: Int, ch: Int, kernelH: Int, kernelW: Int, strideH: Int,
                        strideW: Int, padTop: Int, padLeft: Int, outH: Int, outW: Int, weight: UnsafePointer<Float>,
                        out: UnsafeMutablePointer<Float>) {
    var acc = VF()
    for ky in 0..<kernelH {
        let t = iy + padTop - ky
        guard t >= 0, t % strideH == 0, t / strideH < outH else { continue }
        for kx in 0..<kernelW {
            let u = ix + padLeft - kx
            guard u >= 0, u % strideW == 0, u / strideW < outW else { continue }
            acc = madd(acc, loadV(grad + ((t / strideH) * outW + u / strideW) * c + ch), loadV(weight + (ky * kernelW + kx) * c + ch))
        }
    }
    storeV(acc, out + ix * c + ch)
}

/// Weight gradient contribution of images `imageStart..<imageEnd`, added into dw [KH, KW, C]:
/// dw[tap] += Σ over output pixels of dy · x at that tap. For each output row and tap, the
/// output columns whose input lies in the image form one range (no per-pixel checks), summed
/// with four accumulators per channel vector.
public func depthwiseBackwardWeightImages(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, height: Int, width: Int,
                                          channels c: Int, kernelH: Int, kernelW: Int, strideH: Int, strideW: Int,
                                          padTop: Int, padLeft: Int, outH: Int, outW: Int, imageStart: Int, imageEnd: Int,
                                          dw: UnsafeMutablePointer<Float>) {
    let w = VF.scalarCount
    let full = c / w * w
    let sx = strideW * c
    for n in imageStart..<imageEnd {
        let image = x + n * height * width * c
        for oy in 0..<outH {
            let iy0 = oy * strideH - padTop
            let g = dy + (n * outH + oy) * outW * c
            for ky in tapRange(iy0, kernelH, height) {
                let xRow = image + (iy0 + ky) * width * c
                for kx in 0..<kernelW {
                    let oxs = outputRange(tap: kx, stride: strideW, pad: padLeft, extent: width, outCount: outW)
                    guard !oxs.isEmpty else { continue }
                    let d = dw + (ky * kernelW + kx) * c
                    let x0 = xRow + (oxs.lowerBound * strideW - padLeft + kx) * c, g0 = g + oxs.lowerBound * c
                    let count = oxs.count
                    var ch = 0
                    while ch < full {
                        var a0 = VF(), a1 = VF(), a2 = VF(), a3 = VF()
                        var xp = x0 + ch, gp = g0 + ch
                        var i = 0
                        while i + 4 <= count {
                            a0 = madd(a0, loadV(gp), loadV(xp))
                            a1 = madd(a1, loadV(gp + c), loadV(xp + sx))
                            a2 = madd(a2, loadV(gp + 2 * c), loadV(xp + 2 * sx))
                            a3 = madd(a3, loadV(gp + 3 * c), loadV(xp + 3 * sx))
                            xp += 4 * sx
                            gp += 4 * c
                            i += 4
                        }
                        while i < count {
                            a0 = madd(a0, loadV(gp), loadV(xp))
                            xp += sx
                            gp += c
                            i += 1
                        }
                        storeV(loadV(d + ch) + ((a0 + a1) + (a2 + a3)), d + ch)
                        ch += w
                    }
                    while ch < c {
                        var acc: Float = 0
                        for i in 0..<count { acc += g0[i * c + ch] * x0[i * sx + ch] }
                        d[ch] += acc
                        ch += 1
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
