// Stride-1 convolutions of single-channel images (C = 1: LeNet's first layer, the ResNet
// stem). With one input channel a receptive-field row is only KW floats, so tiles over output
// channels waste most of their lanes (6 of 16) or sweep short runs; here vectors run along
// output pixels instead. As in the stride-1 forward tiles (ConvKernels.swift), pixels are
// *virtual* pixels i = oh·Wp + ow of the padded image flattened, so tap (ky, kx) of the
// vector of pixels [i, i + VF) is the single unaligned load xp[ky·Wp + kx + i ..< + VF];
// the Wp − OW virtual pixels per row that fall in the padding are dropped.

/// Output channels per register block of the single-channel kernels.
let singleChannelGroup = 4

/// Forward, C = 1, stride 1: output rows [rowStart, rowEnd) (row = n·OH + oh) of
/// out [N, OH, OW, Cout], overwritten, bias [Cout] added if given. weight: [Cout, KH, KW].
/// Reads up to 2·VF floats past an image's last virtual pixel (the next image, or the read slack).
func convForwardSingleChannelRows(_ s: ConvForwardShape, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                  rowStart: Int, rowEnd: Int, out: UnsafeMutablePointer<Float>) {
    let kh = s.kernelH, kw = s.kernelW, taps = kh * kw, cout = s.outChannels
    let g = singleChannelGroup, groups = (cout + g - 1) / g, lanes = VF.scalarCount
    // packed[group][tap][g]: the group's weights of one tap, zero past Cout; biasP likewise.
    let packed = allocateAligned(groups * taps * g + groups * g)
    let lanesOut = allocateAligned(2 * g * lanes)
    defer { packed.deallocate(); lanesOut.deallocate() }
    packed.update(repeating: 0, count: groups * taps * g + groups * g)
    let biasP = packed + groups * taps * g
    for co in 0..<cout {
        for t in 0..<taps { packed[((co / g) * taps + t) * g + co % g] = weight[co * taps + t] }
        if let bias { biasP[co] = bias[co] }
    }
    let wp = s.paddedWidth, span = 2 * lanes
    var row = rowStart
    while row < rowEnd {
        let n = row / s.outH, oh0 = row - n * s.outH
        let oh1 = min(s.outH, oh0 + (rowEnd - row))
        let image = s.xp + n * s.paddedHeight * s.paddedWidth
        let outImage = out + n * s.outH * s.outW * cout
        let vEnd = (oh1 - 1) * wp + s.outW
        var v = oh0 * wp
        while v < vEnd {
            for gi in 0..<groups {
                let bv = biasP + gi * g
                // Two vectors of pixels × 4 channels: 8 independent FMA chains.
                var a0 = VF(repeating: bv[0]), a1 = VF(repeating: bv[1]), a2 = VF(repeating: bv[2]), a3 = VF(repeating: bv[3])
                var b0 = a0, b1 = a1, b2 = a2, b3 = a3
                var w = UnsafePointer(packed + gi * taps * g)
                for ky in 0..<kh {
                    let x = image + ky * wp + v
                    for kx in 0..<kw {
                        let xa = loadV(x + kx), xb = loadV(x + kx + lanes)
                        let w0 = VF(repeating: w[0]), w1 = VF(repeating: w[1])
                        let w2 = VF(repeating: w[2]), w3 = VF(repeating: w[3])
                        a0 = madd(a0, xa, w0); b0 = madd(b0, xb, w0)
                        a1 = madd(a1, xa, w1); b1 = madd(b1, xb, w1)
                        a2 = madd(a2, xa, w2); b2 = madd(b2, xb, w2)
                        a3 = madd(a3, xa, w3); b3 = madd(b3, xb, w3)
                        w += g
                    }
                }
                // lanesOut[j][0 ..< 2·VF] = channel j's pixels [v, v + 2·VF).
                storeV(a0, lanesOut); storeV(b0, lanesOut + lanes)
                storeV(a1, lanesOut + span); storeV(b1, lanesOut + span + lanes)
                storeV(a2, lanesOut + 2 * span); storeV(b2, lanesOut + 2 * span + lanes)
                storeV(a3, lanesOut + 3 * span); storeV(b3, lanesOut + 3 * span + lanes)
                // Transpose the valid pixels into channels-last order.
                let c0 = gi * g, cn = min(g, cout - c0)
                var oh = v / wp, ow = v - oh * wp
                for l in 0..<min(span, vEnd - v) {
                    if ow < s.outW {
                        let o = outImage + (oh * s.outW + ow) * cout + c0
                        if cn == 4 {
                            // One 16-byte store per pixel (four scalar stores were the hot spot).
                            let q = SIMD4<Float>(lanesOut[l], lanesOut[span + l], lanesOut[2 * span + l], lanesOut[3 * span + l])
                            UnsafeMutableRawPointer(o).storeBytes(of: q, as: SIMD4<Float>.self)
                        } else {
                            for j in 0..<cn { o[j] = lanesOut[j * span + l] }
                        }
                    }
                    ow += 1
                    if ow == wp { ow = 0; oh += 1 }
                }
            }
            v += span
        }
        row += oh1 - oh0
    }
}

/// Weight gradient, C = 1, stride 1: dWᵀ[K, Cout] += Σ over images of Pᵀ·dY (K = KH·KW).
/// dy: [N, OH, OW, Cout], any Cout (no padding needed). Per image, dY is transposed to
/// [Cout, OH, Wp] virtual pixels (zero where the pixel is padding) and every (channel, tap)
/// is one dot product along the image; lane partials are summed once at the end.
func convWeightGradientSingleChannel(_ s: ConvForwardShape, dy: UnsafePointer<Float>, images: Range<Int>,
                                     dwT: UnsafeMutablePointer<Float>) {
    let kh = s.kernelH, kw = s.kernelW, taps = kh * kw, cout = s.outChannels
    let g = singleChannelGroup, groups = (cout + g - 1) / g, coutP = groups * g, lanes = VF.scalarCount
    let oh = s.outH, ow = s.outW, wp = s.paddedWidth
    let span = 2 * lanes, spans = ((oh - 1) * wp + ow + span - 1) / span
    let plane = spans * span
    let dyT = allocateAligned(coutP * plane)
    let part = allocateAligned(coutP * taps * lanes)
    defer { dyT.deallocate(); part.deallocate() }
    dyT.update(repeating: 0, count: coutP * plane)   // padding pixels and channels stay zero
    part.update(repeating: 0, count: coutP * taps * lanes)
    let pixels = oh * ow
    for n in images {
        let src = dy + n * pixels * cout
        for y in 0..<oh {
            for x in 0..<ow {
                let d = src + (y * ow + x) * cout, i = y * wp + x
                for co in 0..<cout { dyT[co * plane + i] = d[co] }
            }
        }
        let image = s.xp + n * s.paddedHeight * wp
        for gi in 0..<groups {
            let d0 = UnsafePointer(dyT + gi * g * plane)
            for ky in 0..<kh {
                for kx in 0..<kw {
                    // Two vectors of pixels × 4 channels: 8 independent FMA chains.
                    var a0 = VF(), a1 = VF(), a2 = VF(), a3 = VF()
                    var b0 = VF(), b1 = VF(), b2 = VF(), b3 = VF()
                    let xr = image + ky * wp + kx
                    var i = 0
                    for _ in 0..<spans {
                        let xa = loadV(xr + i), xb = loadV(xr + i + lanes)
                        a0 = madd(a0, xa, loadV(d0 + i)); b0 = madd(b0, xb, loadV(d0 + i + lanes))
                        a1 = madd(a1, xa, loadV(d0 + plane + i)); b1 = madd(b1, xb, loadV(d0 + plane + i + lanes))
                        a2 = madd(a2, xa, loadV(d0 + 2 * plane + i)); b2 = madd(b2, xb, loadV(d0 + 2 * plane + i + lanes))
                        a3 = madd(a3, xa, loadV(d0 + 3 * plane + i)); b3 = madd(b3, xb, loadV(d0 + 3 * plane + i + lanes))
                        i += span
                    }
                    let p = part + (gi * g * taps + ky * kw + kx) * lanes, step = taps * lanes
                    storeV(loadV(p) + (a0 + b0), p)
                    storeV(loadV(p + step) + (a1 + b1), p + step)
                    storeV(loadV(p + 2 * step) + (a2 + b2), p + 2 * step)
                    storeV(loadV(p + 3 * step) + (a3 + b3), p + 3 * step)
                }
            }
        }
    }
    for co in 0..<cout {
        for t in 0..<taps { dwT[t * cout + co] += loadV(part + (co * taps + t) * lanes).sum() }
    }
}
