// Narrow convolution tile of the 8-lane backends (AVX2, portable): 12 output pixels × one
// vector of 8 output channels. Used instead of the 6×16 tile when Cout ≤ 8 (see ConvKernels.swift).

/// Register tile of the narrow convolution kernels: MR output pixels (or K-indices in the
/// weight gradient) × NR output channels.
let convNarrowMR = 12
let convNarrowNR = 8

@inline(__always) func convNarrowMicroKernel(_ kh: Int, _ run: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ rowStride: Int,
                                             _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ beta: Float) {
    convMicroKernel12x8(kh, run, a, lda, rowStride, b, c, ldc, beta)
}

@inline(__always) func wgradNarrowMicroKernel(_ rows: Int, _ cols: Int, _ a: UnsafePointer<Float>, _ aStep: Int, _ aRowStride: Int,
                                              _ b: UnsafePointer<Float>, _ bStep: Int, _ bRowStride: Int,
                                              _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ beta: Float) {
    wgradMicroKernel12x8(rows, cols, a, aStep, aRowStride, b, bStep, bRowStride, c, ldc, beta)
}

/// Two-row narrow tile for stride-1 convolutions (ConvPairTiles.swift): 6 pixels of two output
/// rows × 8 channels, two FMAs per broadcast. LeNet's second layer backward (dX as a flipped
/// 16 → 6 convolution, tl-bench lenet-conv2-5x5-6to16-14x14-b64-dx, Zen 1, one thread, CPU
/// clock): 12×8 tile 5.1 GFLOPS, pair tile see README-kernels.md.
let convNarrowPairMR = 6
func convNarrowPairMicroKernel() -> ConvPairMicroKernelFunction? { convMicroKernelPair6x8 }

/// Gathered wide tile (ConvGatherTiles.swift): the 6×16 tile over any 6 output pixels.
func convGatherMicroKernel() -> ConvGatherMicroKernelFunction? { convMicroKernelGather6x16 }

/// Short wide tile for strided convolutions: on these backends the GEMM tile itself (6 rows
/// already fit 7- and 14-pixel rows reasonably; a 7×16 tile would not fit 16 registers).
let convShortMR = gemmMR

@inline(__always) func convShortMicroKernel(_ kh: Int, _ run: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ rowStride: Int,
                                            _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ beta: Float) {
    convMicroKernel(kh, run, a, lda, rowStride, b, c, ldc, beta)
}

// Tile kernels for a row step `lda` (see the AVX-512 ConvNarrow16.swift): these backends have
// no constant-step copies.

func convNarrowMicroKernel(lda: Int) -> ConvMicroKernelFunction { convMicroKernel12x8 }

func convShortMicroKernel(lda: Int) -> ConvMicroKernelFunction { convMicroKernel6x16 }

func convWideMicroKernel(lda: Int) -> ConvMicroKernelFunction { convMicroKernel6x16 }
