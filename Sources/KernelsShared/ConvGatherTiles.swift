// Gathered wide tiles for forward convolutions (the 8-lane backends' convGatherMicroKernel).
//
// The wide tile's rows are output pixels whose receptive fields start `lda` floats apart, so a
// tile stays within one output row (strided layers) or runs over the padded image's virtual
// pixels (stride 1). With 6-row tiles that leaves slots empty: a 7-pixel row fills 7 of 12
// (ResNet's 32 → 64 stride-2 layer), a 7 × 7 stride-1 image 49 of 66 virtual rows. The
// gathered tile takes each row's start from a table (`gen_conv_micro.py --gather`), so its
// rows are simply the next MR output pixels in raster order, across output rows and images.

/// Gathered convolution micro-kernel: the `ConvMicroKernelFunction` arguments with a table of
/// MR row offsets (floats from `a`) in place of the row step.
typealias ConvGatherMicroKernelFunction = (_ kh: Int, _ run: Int, _ a: UnsafePointer<Float>, _ offsets: UnsafePointer<Int>,
                                           _ rowStride: Int, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                                           _ ldc: Int, _ beta: Float) -> Void

/// Output pixels computed by gathered tiles of `mrT` rows for output rows [rowStart, rowEnd):
/// the pixels rounded up to whole tiles.
@inline(__always)
func convGatherTileRows(_ s: ConvForwardShape, mrT: Int, rowStart: Int, rowEnd: Int) -> Int {
    roundUp((rowEnd - rowStart) * s.outW, mrT)
}

/// The tile loop of `convForwardDirectRows` with gathered tiles of `mrT` output pixels × gemmNR
/// channels (any stride): output rows [rowStart, rowEnd) (row index n·OH + oh), their pixels in
/// raster order, `mrT` per tile; the weight packed in panels of gemmNR columns (K steps each).
/// K runs in the blocks of `forEachConvKBlock`, as in `convForwardTiles`.
/// Writes no bias. A last partial tile repeats its last pixel in the empty rows and drops them.
func convForwardGatherTiles(_ s: ConvForwardShape, mrT: Int, packed: UnsafePointer<Float>, rowStart: Int, rowEnd: Int,
                            out: UnsafeMutablePointer<Float>, micro: ConvGatherMicroKernelFunction) {
    let c = s.channels, k = s.k, cout = s.outChannels, nrT = gemmNR
    let panels = (cout + nrT - 1) / nrT
    let rowStride = s.paddedWidth * c
    let imageStride = s.paddedHeight * rowStride
    let edge = allocateAligned(mrT * nrT)
    defer { edge.deallocate() }
    let offsets = UnsafeMutablePointer<Int>.allocate(capacity: mrT)
    defer { offsets.deallocate() }
    // C[mrT, nrT] = A·B over all of K for the pixels in `offsets` (relative to s.xp).
    @inline(__always) func tile(_ bPanel: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ ldc: Int) {
        forEachConvKBlock(s, rowStride: rowStride) { kh, len, aOffset, step, beta in
            micro(kh, len, s.xp + aOffset, offsets, rowStride, bPanel + step * nrT, dst, ldc, beta)
        }
    }
    let pixelEnd = rowEnd * s.outW
    var pixel = rowStart * s.outW
    // The next pixel's image, output row and column, kept incrementally.
    var n = rowStart / s.outH, oh = rowStart - n * s.outH, ow = 0
    while pixel < pixelEnd {
        let mr = min(mrT, pixelEnd - pixel)
        for r in 0..<mrT {
            if r < mr {
                offsets[r] = n * imageStride + oh * s.strideH * rowStride + ow * s.strideW * c
                ow += 1
                if ow == s.outW { ow = 0; oh += 1; if oh == s.outH { oh = 0; n += 1 } }
            } else {
                offsets[r] = offsets[mr - 1]
            }
        }
        let cTile = out + pixel * cout
        for jp in 0..<panels {
            let j0 = jp * nrT, nr = min(nrT, cout - j0)
            let bPanel = packed + jp * k * nrT
            if mr == mrT && nr == nrT {
                tile(bPanel, cTile + j0, cout)
            } else {
                tile(bPanel, edge, nrT)
                for r in 0..<mr {
                    let from = edge + r * nrT, to = cTile + r * cout + j0
                    for t in 0..<nr { to[t] = from[t] }
                }
            }
        }
        pixel += mrT
    }
}
