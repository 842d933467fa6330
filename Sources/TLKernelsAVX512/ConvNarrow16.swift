// Narrow convolution tile of the AVX-512 backend: 24 output pixels × one zmm of 16 output
// channels (24 accumulators). Used instead of the 12×32 tile when Cout ≤ 16, where half or
// more of a 32-wide tile would be zero padding (see ConvKernels.swift).

/// Register tile of the narrow convolution kernels: MR output pixels (or K-indices in the
/// weight gradient) × NR output channels.
let convNarrowMR = 24
let convNarrowNR = 16

@inline(__always) func convNarrowMicroKernel(_ kh: Int, _ run: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ rowStride: Int,
                                             _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ beta: Float) {
    convMicroKernel24x16(kh, run, a, lda, rowStride, b, c, ldc, beta)
}

@inline(__always) func wgradNarrowMicroKernel(_ rows: Int, _ cols: Int, _ a: UnsafePointer<Float>, _ aStep: Int, _ aRowStride: Int,
                                              _ b: UnsafePointer<Float>, _ bStep: Int, _ bRowStride: Int,
                                              _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ beta: Float) {
    wgradMicroKernel24x16(rows, cols, a, aStep, aRowStride, b, bStep, bRowStride, c, ldc, beta)
}

/// No two-row narrow tile here (ConvPairTiles.swift; 24 accumulators + 32 registers: the
/// one-row tile was not measured to need it).
let convNarrowPairMR = 0
func convNarrowPairMicroKernel() -> ConvPairMicroKernelFunction? { nil }

/// No gathered wide tile here (ConvGatherTiles.swift): the 7×32 short tile and the
/// constant-step copies were tuned instead, and an AVX-512 variant was not measured.
func convGatherMicroKernel() -> ConvGatherMicroKernelFunction? { nil }

/// Short wide tile (7 output pixels × 32 channels) for strided convolutions, whose tiles hold
/// one output row each: rows of 7 or 14 pixels fill 7-pixel tiles exactly (12-pixel tiles: 58 %).
let convShortMR = 7

@inline(__always) func convShortMicroKernel(_ kh: Int, _ run: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ rowStride: Int,
                                            _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ beta: Float) {
    convMicroKernel7x32(kh, run, a, lda, rowStride, b, c, ldc, beta)
}

// Tile kernels for a row step `lda` (floats between a tile's consecutive pixels: C at stride 1,
// strideW·C otherwise): the copies generated with that step as a constant where one exists
// (ResNet's 16/32/64-channel layers), else the run-time-step kernel. Same results either way.

func convNarrowMicroKernel(lda: Int) -> ConvMicroKernelFunction {
    if lda == 16 { return convMicroKernel24x16Lda16 }
    return convMicroKernel24x16
}

func convShortMicroKernel(lda: Int) -> ConvMicroKernelFunction {
    if lda == 32 { return convMicroKernel7x32Lda32 }
    if lda == 64 { return convMicroKernel7x32Lda64 }
    return convMicroKernel7x32
}

func convWideMicroKernel(lda: Int) -> ConvMicroKernelFunction {
    if lda == 32 { return convMicroKernel12x32Lda32 }
    if lda == 64 { return convMicroKernel12x32Lda64 }
    return convMicroKernel12x32
}
