// Weight gradient of the direct convolution: dWᵀ[K, Cout] = Pᵀ · dY (see ConvKernels.swift
// for the geometry), reading dY in place and the receptive fields from the padded input.

/// Micro-kernel shape shared by the wide and narrow weight-gradient tiles (see gen_wgrad_micro.py).
typealias WGradMicroKernelFunction = (_ rows: Int, _ cols: Int, _ a: UnsafePointer<Float>, _ aStep: Int, _ aRowStride: Int,
                                      _ b: UnsafePointer<Float>, _ bStep: Int, _ bRowStride: Int,
                                      _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ beta: Float) -> Void

/// Output-channel tile width of this backend's wide tile: `convWeightGradientDirect` needs
/// outChannels to be a multiple of it, or exactly `convDirectNarrowChannels`.
public let convDirectChannelMultiple = gemmNR

/// Output-channel width of the narrow tile: callers pad Cout ≤ this to exactly this.
public let convDirectNarrowChannels = convNarrowNR

/// dWᵀ[K, Cout] += Σ over images [imageStart, imageEnd) of Pᵀ·dY (K = KH·KW·C). Single-threaded.
/// - xp: [N, Hp, Wp, C] zero-padded input followed by `convDirectReadSlack` readable floats.
/// - dy: [N, OH, OW, Cout], Cout a multiple of `convDirectChannelMultiple` or equal to
///   `convDirectNarrowChannels` (narrow tile); any Cout when C = 1 and the stride is 1
///   (convWeightGradientSingleChannel).
/// - dwT: [K, Cout], accumulated into (callers zero it).
/// Per image, every (K-tile, Cout-tile) sweeps the image's pixels with the accumulators in
/// registers; the image's input and dY (≤ ~0.6 MB for 32×32×64) stay in L2 across tiles.
/// A tile's MR K-indices must be contiguous in memory: with the input read in place that is
/// one kernel row's run of KW·C floats. When runs are short next to MR (C = 1: 5 floats of a
/// 24-row tile), each image's patches are first gathered into P[pixels, K] so tiles span all
/// of K (LeNet's first layer: 2 tiles instead of 5 per pixel).
public func convWeightGradientDirect(xp: UnsafePointer<Float>, paddedHeight: Int, paddedWidth: Int, channels: Int,
                                     kernelH: Int, kernelW: Int, strideH: Int, strideW: Int, outH: Int, outW: Int,
                                     dy: UnsafePointer<Float>, outChannels: Int, imageStart: Int, imageEnd: Int,
                                     dwT: UnsafeMutablePointer<Float>) {
    guard imageEnd > imageStart, outChannels > 0 else { return }
    let s = ConvForwardShape(xp: xp, paddedHeight: paddedHeight, paddedWidth: paddedWidth, channels: channels,
                             kernelH: kernelH, kernelW: kernelW, strideH: strideH, strideW: strideW, outH: outH, outW: outW,
                             outChannels: outChannels)
    if channels == 1 && strideH == 1 && strideW == 1 {
        convWeightGradientSingleChannel(s, dy: dy, images: imageStart..<imageEnd, dwT: dwT)
    } else if outChannels == convNarrowNR {
        convWeightGradientTiles(s, mrT: convNarrowMR, nrT: convNarrowNR, dy: dy, images: imageStart..<imageEnd, dwT: dwT,
                                micro: wgradNarrowMicroKernel)
    } else {
        precondition(outChannels % gemmNR == 0)
        convWeightGradientTiles(s, mrT: gemmMR, nrT: gemmNR, dy: dy, images: imageStart..<imageEnd, dwT: dwT,
                                micro: wgradMicroKernel)
    }
}

/// Whether gathering patches beats reading runs in place: tile rows swept per pixel.
func convWeightGradientGathers(run: Int, kernelH: Int, mr: Int) -> Bool {
    let inPlace = kernelH * ((run + mr - 1) / mr) * mr
    let gathered = (kernelH * run + mr - 1) / mr * mr
    return 2 * inPlace > 3 * gathered
}

@inline(__always)
func convWeightGradientTiles(_ s: ConvForwardShape, mrT: Int, nrT: Int, dy: UnsafePointer<Float>, images: Range<Int>,
                             dwT: UnsafeMutablePointer<Float>, micro: WGradMicroKernelFunction) {
    let c = s.channels, run = s.run, k = s.k, cout = s.outChannels
    let edge = allocateAligned(mrT * nrT)
    defer { edge.deallocate() }
    let pixels = s.outH * s.outW
    let gather = convWeightGradientGathers(run: run, kernelH: s.kernelH, mr: mrT)
    // P[pixels, K] of one image plus readable slack (an edge tile reads up to mrT floats
    // past K, a vector copy writes up to one vector past a run).
    let slack = mrT + VF.scalarCount
    let patches: UnsafeMutablePointer<Float>? = gather ? allocateAligned(pixels * k + slack) : nil
    defer { patches?.deallocate() }
    patches.map { ($0 + pixels * k).update(repeating: 0, count: slack) }
    // Sweeps K-indices [q0, q0 + len) whose values for pixel (row, col) sit at
    // a[row·aRowStride + col·aStep + (0 ..< len)].
    @inline(__always) func sweep(_ a: UnsafePointer<Float>, _ aStep: Int, _ aRowStride: Int, _ q0: Int, _ len: Int,
                                 _ dyImage: UnsafePointer<Float>) {
        let bStep = cout, bRowStride = s.outW * cout
        var qr = 0
        while qr < len {
            let mr = min(mrT, len - qr)
            var j0 = 0
            while j0 < cout {
                if mr == mrT {
                    micro(s.outH, s.outW, a + qr, aStep, aRowStride, dyImage + j0, bStep, bRowStride,
                          dwT + (q0 + qr) * cout + j0, cout, 1)
                } else {
                    // Rows past the range read neighbouring values (inside the buffer or its
                    // slack); they land in `edge` and are dropped.
                    micro(s.outH, s.outW, a + qr, aStep, aRowStride, dyImage + j0, bStep, bRowStride, edge, nrT, 0)
                    for r in 0..<mr {
                        let dst = dwT + (q0 + qr + r) * cout + j0, src = edge + r * nrT
                        for t in 0..<nrT { dst[t] += src[t] }
                    }
                }
                j0 += nrT
            }
            qr += mrT
        }
    }
    let rowStride = s.paddedWidth * c
    for n in images {
        let image = s.xp + n * s.paddedHeight * rowStride
        let dyImage = dy + n * pixels * cout
        if let p = patches {
            var dst = p
            for oh in 0..<s.outH {
                for ow in 0..<s.outW {
                    let src = image + oh * s.strideH * rowStride + ow * s.strideW * c
                    // Whole vectors (runs are short: a memmove call per run cost more than the
                    // copy); the overshoot lands where the next run or the slack goes.
                    for ky in 0..<s.kernelH {
                        let from = src + ky * rowStride, to = dst + ky * run
                        var i = 0
                        while i < run { storeV(loadV(from + i), to + i); i += VF.scalarCount }
                    }
                    dst += k
                }
            }
            sweep(p, k, s.outW * k, 0, k, dyImage)
        } else {
            for ky in 0..<s.kernelH {
                sweep(image + ky * rowStride, s.strideW * c, s.strideH * rowStride, ky * run, run, dyImage)
            }
        }
    }
}
