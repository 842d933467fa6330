// Two-row narrow tiles for stride-1 convolutions (the 8-lane backends' convNarrowPairMicroKernel).
//
// A narrow tile is one vector of output channels wide, so each broadcast input value feeds a
// single FMA; on AVX2 that left LLVM rotating accumulators through the broadcast registers and
// the stack (the 12×8 tile ran at ~18 GFLOPS of a 40 GFLOPS core). The pair tile covers
// mrT pixels of two consecutive output rows: the lower row reads the same input one padded row
// further down, so one broadcast serves kernel row ky of the top pixel and ky − 1 of the one
// below (see `gen_conv_micro.py --pair`), two FMAs per broadcast as in the wide 6×16 tile.

/// Two-row convolution micro-kernel: the `ConvMicroKernelFunction` arguments plus `cBelow`,
/// the floats from a top output pixel to the pixel one output row below it.
typealias ConvPairMicroKernelFunction = (_ kh: Int, _ run: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ rowStride: Int,
                                         _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
                                         _ cBelow: Int, _ beta: Float) -> Void

/// The tile loop of `convForwardDirectRows` for the two-row narrow tile (stride 1 only): output
/// rows [rowStart, rowEnd) (row index n·OH + oh) in pairs within each image, tiles of `mrT`
/// pixels along each pair, all of K in one call (the packed panel, K × convNarrowNR floats, is
/// read twice per step from L1). Writes no bias.
/// A row left without a partner (the last of an image or of the range) still runs the pair
/// kernel; its lower half reads the next padded row (the next image, or the read slack: see
/// `convDirectReadSlack`) and is dropped. So are the pixels of a last partial tile.
/// - packed: `packConvWeightNarrow` (K steps × convNarrowNR floats).
func convForwardPairTiles(_ s: ConvForwardShape, mrT: Int, packed: UnsafePointer<Float>, rowStart: Int, rowEnd: Int,
                          out: UnsafeMutablePointer<Float>, micro: ConvPairMicroKernelFunction) {
    precondition(s.strideH == 1 && s.strideW == 1, "convForwardPairTiles: stride 1 only")
    let c = s.channels, cout = s.outChannels, nrT = convNarrowNR
    let rowStride = s.paddedWidth * c
    // Edge tile: top pixels at rows [0, mrT), the ones below at [mrT, 2·mrT), nrT floats each.
    let edge = allocateAligned(2 * mrT * nrT)
    defer { edge.deallocate() }
    let below = s.outW * cout
    var row = rowStart
    while row < rowEnd {
        let n = row / s.outH, oh = row - n * s.outH
        let pairRows = min(2, rowEnd - row, s.outH - oh)
        let image = s.xp + n * s.paddedHeight * rowStride
        let outRow = out + row * s.outW * cout
        var ow = 0
        while ow < s.outW {
            let mr = min(mrT, s.outW - ow)
            let a = image + (oh * s.paddedWidth + ow) * c
            if mr == mrT && pairRows == 2 && cout == nrT {
                micro(s.kernelH, s.run, a, c, rowStride, packed, outRow + ow * cout, cout, below, 0)
            } else {
                micro(s.kernelH, s.run, a, c, rowStride, packed, edge, nrT, mrT * nrT, 0)
                for h in 0..<pairRows {
                    for r in 0..<mr {
                        let from = edge + (h * mrT + r) * nrT, to = outRow + h * below + (ow + r) * cout
                        for j in 0..<cout { to[j] = from[j] }
                    }
                }
            }
            ow += mrT
        }
        row += pairRows
    }
}
