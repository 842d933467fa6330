// Convolution on channels-last data (one backend, single-threaded per call).
//
// Geometry: input x [N, H, W, C], weight [Cout, KH, KW, C], output [N, OH, OW, Cout].
// The im2col matrix P[M, K] (M = N·OH·OW output pixels, K = KH·KW·C, column q = (ky·KW + kx)·C + ci)
// is never materialised. With channels-last, each kernel row of a receptive field is one
// contiguous run of KW·C input floats.
//   forward:      out[M, Cout] = P · Wᵀ   direct: the micro-kernel reads P from the padded
//                                          input (convForwardDirectRows), only W is packed
//   weight grad:  dWᵀ[K, Cout] = Pᵀ · dY  direct: reads the padded input and dY in place
//                                          (convWeightGradientDirect)
// Input gradients use the forward kernel on dY with a flipped weight (stride 1), see TLKernels.

// MARK: Direct forward (no A packing)

/// Floats that must be readable after the end of the padded input for `convForwardDirectRows`:
/// a partial last tile reads up to MR output pixels' receptive fields past the row's end.
public func convDirectReadSlack(channels: Int, strideW: Int, paddedWidth: Int) -> Int {
    (gemmMR + 1) * strideW * channels + 2 * paddedWidth * channels
}

/// Forward convolution of a zero-padded input, output rows [rowStart, rowEnd) where row index
/// = n·OH + oh; output [N, OH, OW, Cout]. Single-threaded.
/// - xp: [N, Hp, Wp, C] already zero-padded (Hp = H + 2·padH, Wp = W + 2·padW), followed by
///   `convDirectReadSlack` readable floats.
/// - weight: [Cout, KH, KW, C]; bias: [Cout] or nil.
/// Each tile is MR consecutive output pixels of one output row: in the padded input their
/// receptive fields start strideW·C floats apart and every kernel row is a contiguous run of
/// KW·C floats, so the micro-kernel reads A straight from the input; only W is packed.
public func convForwardDirectRows(xp: UnsafePointer<Float>, paddedHeight: Int, paddedWidth: Int, channels: Int,
                                  kernelH: Int, kernelW: Int, strideH: Int, strideW: Int, outH: Int, outW: Int,
                                  weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, outChannels: Int,
                                  rowStart: Int, rowEnd: Int, out: UnsafeMutablePointer<Float>) {
    guard rowEnd > rowStart, outChannels > 0 else { return }
    let c = channels, run = kernelW * c, k = kernelH * run
    let panels = (outChannels + gemmNR - 1) / gemmNR
    // Packed weight: panel j holds K steps of NR floats (Cout columns j·NR …, zero-filled).
    let packed = UnsafeMutableRawPointer.allocate(byteCount: panels * k * gemmNR * 4, alignment: 64)
        .bindMemory(to: Float.self, capacity: panels * k * gemmNR)
    let edge = UnsafeMutableRawPointer.allocate(byteCount: gemmMR * gemmNR * 4, alignment: 64)
        .bindMemory(to: Float.self, capacity: gemmMR * gemmNR)
    defer { packed.deallocate(); edge.deallocate() }
    MatrixPackerB(b: weight, ldb: k, trans: true).pack(p0: 0, kc: k, j0: 0, nc: outChannels, into: packed)

    // K blocks: whole kernel rows while they fit ~256 steps (B micro-panel stays in L1),
    // else chunks of one long row.
    let rowsPerBlock = max(1, min(kernelH, 256 / max(run, 1)))
    let chunk = run <= 256 ? run : 256
    let lda = strideW * c, rowStride = paddedWidth * c
    for row in rowStart..<rowEnd {
        let n = row / outH, oh = row - n * outH
        let aRow = xp + (n * paddedHeight + oh * strideH) * rowStride
        var ow0 = 0
        while ow0 < outW {
            let mr = min(gemmMR, outW - ow0)
            let a = aRow + ow0 * lda
            let cTile = out + (row * outW + ow0) * outChannels
            for jp in 0..<panels {
                let j0 = jp * gemmNR, nr = min(gemmNR, outChannels - j0)
                let full = mr == gemmMR && nr == gemmNR
                let dst = full ? cTile + j0 : edge
                let ldc = full ? outChannels : gemmNR
                let bPanel = UnsafePointer(packed + jp * k * gemmNR)
                var first = true
                var ky = 0
                while ky < kernelH {
                    if run <= 256 {
                        let kh = min(rowsPerBlock, kernelH - ky)
                        convMicroKernel(kh, run, a + ky * rowStride, lda, rowStride, bPanel + ky * run * gemmNR,
                                        dst, ldc, first ? 0 : 1)
                        first = false
                        ky += kh
                    } else {
                        var p0 = 0
                        while p0 < run {
                            let len = min(chunk, run - p0)
                            convMicroKernel(1, len, a + ky * rowStride + p0, lda, rowStride,
                                            bPanel + (ky * run + p0) * gemmNR, dst, ldc, first ? 0 : 1)
                            first = false
                            p0 += len
                        }
                        ky += 1
                    }
                }
                if !full {
                    for r in 0..<mr {
                        let crow = cTile + r * outChannels + j0, erow = edge + r * gemmNR
                        for t in 0..<nr { crow[t] = erow[t] }
                    }
                }
            }
            ow0 += gemmMR
        }
        if let bias {
            let w = VF.scalarCount
            let base = out + row * outW * outChannels
            for p in 0..<outW {
                let o = base + p * outChannels
                var j = 0
                while j + w <= outChannels { storeV(loadV(o + j) + loadV(bias + j), o + j); j += w }
                while j < outChannels { o[j] += bias[j]; j += 1 }
            }
        }
    }
}

// MARK: Direct weight gradient (no packing)

/// Output-channel tile width of this backend: `convWeightGradientDirect` needs
/// outChannels to be a multiple of it.
public let convDirectChannelMultiple = gemmNR

/// dWᵀ[K, Cout] += Σ over images [imageStart, imageEnd) of Pᵀ·dY (K = KH·KW·C), reading the
/// receptive fields straight from the zero-padded input and dY in place. Single-threaded.
/// - xp: [N, Hp, Wp, C] zero-padded input followed by `convDirectReadSlack` readable floats.
/// - dy: [N, OH, OW, Cout], Cout a multiple of `convDirectChannelMultiple`.
/// - dwT: [K, Cout], accumulated into (callers zero it).
/// Per image, every (K-tile, Cout-tile) sweeps the image's pixels with the accumulators in
/// registers; the image's input and dY (≤ ~0.6 MB for 32×32×64) stay in L2 across tiles.
public func convWeightGradientDirect(xp: UnsafePointer<Float>, paddedHeight: Int, paddedWidth: Int, channels: Int,
                                     kernelH: Int, kernelW: Int, strideH: Int, strideW: Int, outH: Int, outW: Int,
                                     dy: UnsafePointer<Float>, outChannels: Int, imageStart: Int, imageEnd: Int,
                                     dwT: UnsafeMutablePointer<Float>) {
    guard imageEnd > imageStart, outChannels > 0 else { return }
    precondition(outChannels % gemmNR == 0)
    let c = channels, run = kernelW * c
    let edge = UnsafeMutableRawPointer.allocate(byteCount: gemmMR * gemmNR * 4, alignment: 64)
        .bindMemory(to: Float.self, capacity: gemmMR * gemmNR)
    defer { edge.deallocate() }
    let aStep = strideW * c, aRowStride = strideH * paddedWidth * c
    let bStep = outChannels, bRowStride = outW * outChannels
    for n in imageStart..<imageEnd {
        let image = xp + n * paddedHeight * paddedWidth * c
        let dyImage = dy + n * outH * outW * outChannels
        for ky in 0..<kernelH {
            var qr = 0
            while qr < run {
                let mr = min(gemmMR, run - qr)
                let q0 = ky * run + qr
                let a = image + ky * paddedWidth * c + qr
                var j0 = 0
                while j0 < outChannels {
                    if mr == gemmMR {
                        wgradMicroKernel(outH, outW, a, aStep, aRowStride, dyImage + j0, bStep, bRowStride,
                                         dwT + q0 * outChannels + j0, outChannels, 1)
                    } else {
                        // Rows past the run read neighbouring input (inside the padded buffer
                        // or its slack); they land in `edge` and are dropped.
                        wgradMicroKernel(outH, outW, a, aStep, aRowStride, dyImage + j0, bStep, bRowStride,
                                         edge, gemmNR, 0)
                        for r in 0..<mr {
                            let dst = dwT + (q0 + r) * outChannels + j0, src = edge + r * gemmNR
                            for t in 0..<gemmNR { dst[t] += src[t] }
                        }
                    }
                    j0 += gemmNR
                }
                qr += gemmMR
            }
        }
    }
}
