// Convolution on channels-last data (one backend, single-threaded per call).
//
// Geometry: input x [N, H, W, C], weight [Cout, KH, KW, C], output [N, OH, OW, Cout].
// The im2col matrix P[M, K] (M = N·OH·OW output pixels, K = KH·KW·C, column q = (ky·KW + kx)·C + ci)
// is never materialised for the forward pass. With channels-last, each kernel row of a
// receptive field is one contiguous run of KW·C input floats.
//   forward:      out[M, Cout] = P · Wᵀ   direct: the micro-kernel reads P from the padded
//                                          input (convForwardDirectRows), only W is packed
//   weight grad:  dWᵀ[K, Cout] = Pᵀ · dY  see ConvWeightGradKernels.swift
// Input gradients use the forward kernel on dY with a flipped weight (stride 1), see TLKernels.
//
// Two register tiles: the backend's GEMM tile (gemmMR × gemmNR, 12×32 on AVX-512) and a
// narrow tile of one vector of output channels (convNarrowMR × convNarrowNR, 24×16 on
// AVX-512, 12×8 on 8-lane backends; ConvNarrow*.swift) for Cout ≤ convNarrowNR, where a
// wide tile would mostly multiply zero padding (LeNet's 6 channels, ResNet's 16). At stride 1
// the 8-lane backends take a two-row narrow tile instead (ConvPairTiles.swift).

/// Micro-kernel shape shared by the wide and narrow forward tiles (see gen_conv_micro.py).
typealias ConvMicroKernelFunction = (_ kh: Int, _ run: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ rowStride: Int,
                                     _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ beta: Float) -> Void

// MARK: Direct forward (no A packing)

/// Floats that must be readable after the end of the padded input for the direct kernels:
/// a partial last tile reads up to MR output pixels' receptive fields past the row's end.
public func convDirectReadSlack(channels: Int, strideW: Int, paddedWidth: Int) -> Int {
    (max(gemmMR, convNarrowMR) + 1) * strideW * channels + 2 * paddedWidth * channels + 2 * VF.scalarCount
}

/// Forward convolution of a zero-padded input, output rows [rowStart, rowEnd) where row index
/// = n·OH + oh; output [N, OH, OW, Cout] (overwritten). Single-threaded.
/// - xp: [N, Hp, Wp, C] already zero-padded (Hp = H + 2·padH, Wp = W + 2·padW), followed by
///   `convDirectReadSlack` readable floats.
/// - weight: [Cout, KH, KW, C]; bias: [Cout] or nil.
/// Each tile is MR output pixels whose receptive fields start a constant `lda` floats apart in
/// the padded input, and every kernel row is a contiguous run of KW·C floats, so the
/// micro-kernel reads A straight from the input; only W is packed.
/// - stride 1: the pixels are consecutive *virtual* pixels of the padded image flattened
///   (Wp per row, lda = C): a tile runs across output-row ends, and the KW − 1 virtual
///   pixels per row that fall in the padding are computed and dropped. A 10-pixel output row
///   no longer leaves most of a 24-pixel tile empty.
/// - larger strides: tiles of one output row each (lda = strideW·C).
public func convForwardDirectRows(xp: UnsafePointer<Float>, paddedHeight: Int, paddedWidth: Int, channels: Int,
                                  kernelH: Int, kernelW: Int, strideH: Int, strideW: Int, outH: Int, outW: Int,
                                  weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, outChannels: Int,
                                  rowStart: Int, rowEnd: Int, out: UnsafeMutablePointer<Float>) {
    guard rowEnd > rowStart, outChannels > 0 else { return }
    let s = ConvForwardShape(xp: xp, paddedHeight: paddedHeight, paddedWidth: paddedWidth, channels: channels,
                             kernelH: kernelH, kernelW: kernelW, strideH: strideH, strideW: strideW, outH: outH, outW: outW,
                             outChannels: outChannels)
    if channels == 1 && strideH == 1 && strideW == 1 && 2 * outChannels <= convNarrowNR {
        // Few output channels of a single-channel image: vectors along pixels instead.
        convForwardSingleChannelRows(s, weight: weight, bias: bias, rowStart: rowStart, rowEnd: rowEnd, out: out)
        return
    }
    // Row step between a tile's pixels (picks the constant-step kernel copies where they exist).
    let strided = strideH != 1 || strideW != 1
    let lda = strideW * channels
    if outChannels <= convNarrowNR {
        let packed = packConvWeightNarrow(weight, k: s.k, outChannels: outChannels)
        defer { packed.deallocate() }
        if !strided, let pair = convNarrowPairMicroKernel() {
            convForwardPairTiles(s, mrT: convNarrowPairMR, packed: packed, rowStart: rowStart, rowEnd: rowEnd, out: out, micro: pair)
        } else {
            convForwardTiles(s, mrT: convNarrowMR, nrT: convNarrowNR, packed: packed, rowStart: rowStart, rowEnd: rowEnd, out: out,
                             virtualPixels: !strided, micro: convNarrowMicroKernel(lda: lda))
        }
    } else {
        let panels = (outChannels + gemmNR - 1) / gemmNR
        let packed = allocateAligned(panels * s.k * gemmNR)
        defer { packed.deallocate() }
        MatrixPackerB(b: weight, ldb: s.k, trans: true).pack(p0: 0, kc: s.k, j0: 0, nc: outChannels, into: packed)
        // Strided: one output row per tile; take the short tile when it wastes fewer rows.
        // Stride 1: virtual-pixel tiles of the wide tile, or row tiles of the short tile when
        // the virtual pixels in the padding cost more (7×7 images: 72 tile rows for 49 pixels
        // against 49; the short tile runs ~15 % slower per row).
        let rowTiles = { (mr: Int) in (outW + mr - 1) / mr * mr }
        let virtualRows = ((outH - 1) * paddedWidth + outW + gemmMR - 1) / gemmMR * gemmMR
        let short = strided ? rowTiles(convShortMR) < rowTiles(gemmMR)
                            : convShortMR != gemmMR && 6 * outH * rowTiles(convShortMR) < 5 * virtualRows
        // Gathered tiles (8-lane backends) compute every output pixel once, in raster order
        // (ConvGatherTiles.swift): taken when that is fewer tile rows than the choice above and
        // K is long enough to hide the per-tile offset table (ResNet's 9-step stem ran 4%
        // slower gathered; Zen 1, tl-bench resnet-stem-…-fwd 0.88 → 0.91 ms).
        let rows = rowEnd - rowStart
        let chosenRows = short ? rows * rowTiles(convShortMR)
                       : strided ? rows * rowTiles(gemmMR) : roundUp((rows - 1) * paddedWidth + outW, gemmMR)
        if s.k >= 32, let gather = convGatherMicroKernel(),
           convGatherTileRows(s, mrT: gemmMR, rowStart: rowStart, rowEnd: rowEnd) < chosenRows {
            convForwardGatherTiles(s, mrT: gemmMR, packed: packed, rowStart: rowStart, rowEnd: rowEnd, out: out, micro: gather)
        } else if short {
            convForwardTiles(s, mrT: convShortMR, nrT: gemmNR, packed: packed, rowStart: rowStart, rowEnd: rowEnd, out: out,
                             virtualPixels: false, micro: convShortMicroKernel(lda: lda))
        } else {
            convForwardTiles(s, mrT: gemmMR, nrT: gemmNR, packed: packed, rowStart: rowStart, rowEnd: rowEnd, out: out,
                             virtualPixels: !strided, micro: convWideMicroKernel(lda: lda))
        }
    }
    if let bias {
        let w = VF.scalarCount
        let base = out + rowStart * outW * outChannels
        for p in 0..<((rowEnd - rowStart) * outW) {
            let o = base + p * outChannels
            var j = 0
            while j + w <= outChannels { storeV(loadV(o + j) + loadV(bias + j), o + j); j += w }
            while j < outChannels { o[j] += bias[j]; j += 1 }
        }
    }
}

/// The sizes of one forward convolution, as the tile loop needs them.
struct ConvForwardShape {
    let xp: UnsafePointer<Float>
    let paddedHeight: Int, paddedWidth: Int, channels: Int
    let kernelH: Int, kernelW: Int, strideH: Int, strideW: Int, outH: Int, outW: Int, outChannels: Int
    var run: Int { kernelW * channels }
    var k: Int { kernelH * kernelW * channels }
}

@inline(__always)
func allocateAligned(_ count: Int) -> UnsafeMutablePointer<Float> {
    UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64).bindMemory(to: Float.self, capacity: max(count, 1))
}

/// Packed weight for the narrow tile: one panel of K steps × convNarrowNR floats, columns
/// past Cout zero. weight: [Cout, K] with Cout ≤ convNarrowNR. Caller deallocates.
func packConvWeightNarrow(_ weight: UnsafePointer<Float>, k: Int, outChannels: Int) -> UnsafeMutablePointer<Float> {
    let nr = convNarrowNR
    let packed = allocateAligned(k * nr)
    packed.update(repeating: 0, count: k * nr)
    for co in 0..<outChannels {
        let src = weight + co * k
        for p in 0..<k { packed[p * nr + co] = src[p] }
    }
    return packed
}

/// The K blocks of one convolution tile: whole kernel rows while they fit ~256 steps (the B
/// micro-panel stays in L1), else chunks of one long row. Calls `block(kh, run, aOffset, step,
/// beta)` for each: `kh` kernel rows of `run` steps, starting `aOffset` floats past the tile's
/// A origin and `step` K steps into its packed panel; beta 0 for the first block, then 1.
@inline(__always)
func forEachConvKBlock(_ s: ConvForwardShape, rowStride: Int,
                       _ block: (_ kh: Int, _ run: Int, _ aOffset: Int, _ step: Int, _ beta: Float) -> Void) {
    let run = s.run
    let rowsPerBlock = max(1, min(s.kernelH, 256 / max(run, 1)))
    var first = true
    var ky = 0
    while ky < s.kernelH {
        if run <= 256 {
            let kh = min(rowsPerBlock, s.kernelH - ky)
            block(kh, run, ky * rowStride, ky * run, first ? 0 : 1)
            first = false
            ky += kh
        } else {
            var p0 = 0
            while p0 < run {
                let len = min(256, run - p0)
                block(1, len, ky * rowStride + p0, ky * run + p0, first ? 0 : 1)
                first = false
                p0 += len
            }
            ky += 1
        }
    }
}

/// The tile loop of `convForwardDirectRows` for one register tile (mrT × nrT, `micro`), with
/// the weight packed in panels of nrT columns (K steps each). Writes output rows
/// [rowStart, rowEnd) without bias. `virtualPixels` (stride 1 only): tiles run across
/// output-row ends over the padded image's virtual pixels; else one output row per tile.
@inline(__always)
func convForwardTiles(_ s: ConvForwardShape, mrT: Int, nrT: Int, packed: UnsafePointer<Float>, rowStart: Int, rowEnd: Int,
                      out: UnsafeMutablePointer<Float>, virtualPixels: Bool, micro: ConvMicroKernelFunction) {
    let c = s.channels, k = s.k, cout = s.outChannels
    let panels = (cout + nrT - 1) / nrT
    let edge = allocateAligned(mrT * nrT)
    defer { edge.deallocate() }
    let rowStride = s.paddedWidth * c
    // One tile: C[mrT, nrT] = A·B over all of K; A rows start `lda` apart at `a`.
    @inline(__always) func tile(_ a: UnsafePointer<Float>, _ lda: Int, _ bPanel: UnsafePointer<Float>,
                                _ dst: UnsafeMutablePointer<Float>, _ ldc: Int) {
        forEachConvKBlock(s, rowStride: rowStride) { kh, len, aOffset, step, beta in
            micro(kh, len, a + aOffset, lda, rowStride, bPanel + step * nrT, dst, ldc, beta)
        }
    }
    // Copies the first `nr` columns of one edge row to `dst`.
    @inline(__always) func copyEdge(_ from: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ nr: Int) {
        if nr == nrT {
            var t = 0
            while t < nrT { storeV(loadV(from + t), dst + t); t += VF.scalarCount }
        } else {
            for t in 0..<nr { dst[t] = from[t] }
        }
    }
    if virtualPixels {
        let wp = s.paddedWidth
        var row = rowStart
        while row < rowEnd {
            let n = row / s.outH, oh0 = row - n * s.outH
            let oh1 = min(s.outH, oh0 + (rowEnd - row))
            let image = s.xp + n * s.paddedHeight * rowStride
            let outImage = out + n * s.outH * s.outW * cout
            let vEnd = (oh1 - 1) * wp + s.outW
            var v = oh0 * wp
            while v < vEnd {
                let mr = min(mrT, vEnd - v)
                let oh = v / wp, ow = v - oh * wp
                let a = image + v * c
                // Whole tile inside one output row: write straight to the output.
                let inRow = mr == mrT && ow + mrT <= s.outW
                for jp in 0..<panels {
                    let j0 = jp * nrT, nr = min(nrT, cout - j0)
                    let bPanel = packed + jp * k * nrT
                    if inRow && nr == nrT {
                        tile(a, c, bPanel, outImage + (oh * s.outW + ow) * cout + j0, cout)
                        continue
                    }
                    tile(a, c, bPanel, edge, nrT)
                    var vh = oh, vw = ow
                    for r in 0..<mr {
                        if vw < s.outW { copyEdge(edge + r * nrT, outImage + (vh * s.outW + vw) * cout + j0, nr) }
                        vw += 1
                        if vw == wp { vw = 0; vh += 1 }
                    }
                }
                v += mrT
            }
            row += oh1 - oh0
        }
        return
    }
    let lda = s.strideW * c
    for row in rowStart..<rowEnd {
        let n = row / s.outH, oh = row - n * s.outH
        let aRow = s.xp + (n * s.paddedHeight + oh * s.strideH) * rowStride
        var ow0 = 0
        while ow0 < s.outW {
            let mr = min(mrT, s.outW - ow0)
            let a = aRow + ow0 * lda
            let cTile = out + (row * s.outW + ow0) * cout
            for jp in 0..<panels {
                let j0 = jp * nrT, nr = min(nrT, cout - j0)
                let bPanel = packed + jp * k * nrT
                if mr == mrT && nr == nrT {
                    tile(a, lda, bPanel, cTile + j0, cout)
                } else {
                    tile(a, lda, bPanel, edge, nrT)
                    for r in 0..<mr { copyEdge(edge + r * nrT, cTile + r * cout + j0, nr) }
                }
            }
            ow0 += mrT
        }
    }
}
