// Backend configuration: AVX-512 (compiled with -target-cpu skylake-avx512, see Package.swift).
// Nothing in this module may run before TLKernels has checked /proc/cpuinfo for avx512f:
// no @inlinable/@_alwaysEmitIntoClient public API, so no AVX-512 code is inlined into callers.

/// Vector type of this backend: one 512-bit register.
typealias VF = SIMD16<Float>
typealias VI = SIMD16<Int32>
typealias VU = SIMD16<UInt32>

/// c + a·b as one fused multiply-add (vfmadd231ps with this target).
@inline(__always) func madd(_ c: VF, _ a: VF, _ b: VF) -> VF { c.addingProduct(a, b) }

/// GEMM register tile and cache blocking (see README-kernels.md for the reasoning).
let gemmMR = 12
let gemmNR = 32
let gemmKC = 512
/// Blocking for the rows-outer loop order (`gemmRowsOuter`, GemmDriver.swift): the packed
/// B block kc × nc = 512 × 512 floats (1 MiB) stays in the 2 MiB L2 of the Xeon, A micro-
/// panels (12 × 512 floats, 24 KiB) in the 48 KiB L1d.
/// Measured first in a standalone harness of the driver (one thread, CPU clock, loaded
/// machine; GFLOPS): 2048³ 133–137 with the old order and mc = 72 / nc = 2048; rows outer
/// with kc = 256: nc = 2048 128–131, nc = 1024 146–152, nc = 512 143–146; mc 72 and 144 alike.
/// Then kc = 256 / nc = 1024 against longer K blocks with nc = 512, in tl-bench at 2 threads
/// (wall clock, 4 alternated rounds, 2026-11-30): kc = 512 ran [640, 384] · [1152, 384]ᵀ
/// (gemm-640x1152x384-ABt) at 299–310 GFLOPS against 285–288, [640, 1536] · [384, 1536]ᵀ
/// (gemm-640x384x1536-ABt) 303–309 against 282–291, 2048³
/// 300–306 against 301–304, 1024³ 292–300 against 301–303; kc = 448 and 384 were in between.
/// A K block of 512 covers K = 384 (MiniLM's width) in one pass over C instead of two.
/// K block when op(A) is a transposed matrix packed into interleaved panels (Aᵀ·B, the weight
/// gradients): 512 gained nothing there and cost 2048 × 512 · 2048 × 128 Aᵀ·B 3–4% at one
/// thread (CPU clock, 5 alternated rounds: 122.8–126.9 against 126.8–131.1 GFLOPS).
let gemmKCInterleavedA = 256
let gemmMC = 12 * 12
let gemmNC = 32 * 16
/// Largest op(A) K block (floats, rows rounded up to MR) packed whole when N needs several NC
/// blocks, instead of once per NC block (GemmDriver.swift): 2 Mi floats, a 4096-row slab at
/// kc = 512.
let gemmWholeAFloats = 1 << 21
let gemmRowsOuter = true
/// Second register tile of the direct-A driver (GemmDirectA.swift): 8×32, 16 accumulators,
/// still FMA-bound (10 loads per 16 FMAs), used where 8-row tiles fit M exactly (M = 64, 128).
let gemmMRAlt = 8
let gemmPreferAltTiles = true
/// Largest N (per thread) for which op(A) is read in place instead of packed.
let gemmDirectMaxN = 1024
/// Largest packed B block (kc × nc floats) for which the direct-A driver runs its tiles rows
/// outer (GemmDirectA.swift): the B block then stays in L2 while C is written row by row.
let gemmDirectRowsOuterFloats = 0

@inline(__always) func microKernel(_ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                   _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ beta: Float) {
    microKernel12x32(kc, a, b, c, ldc, beta)
}

/// Name reported by `kernelBackendName` in TLKernels.
public let backendName = "avx512"

@inline(__always) func microKernelRows(_ kc: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>,
                                       _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ beta: Float) {
    microKernelRows12x32(kc, a, lda, b, c, ldc, beta)
}

@inline(__always) func microKernelRowsAlt(_ kc: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>,
                                          _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ beta: Float) {
    microKernelRows8x32(kc, a, lda, b, c, ldc, beta)
}

@inline(__always) func convMicroKernel(_ kh: Int, _ run: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ rowStride: Int,
                                       _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ beta: Float) {
    convMicroKernel12x32(kh, run, a, lda, rowStride, b, c, ldc, beta)
}

@inline(__always) func wgradMicroKernel(_ rows: Int, _ cols: Int, _ a: UnsafePointer<Float>, _ aStep: Int, _ aRowStride: Int,
                                        _ b: UnsafePointer<Float>, _ bStep: Int, _ bRowStride: Int,
                                        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ beta: Float) {
    wgradMicroKernel12x32(rows, cols, a, aStep, aRowStride, b, bStep, bRowStride, c, ldc, beta)
}

/// Transposed B panels use the 256-bit shuffle network of `transpose8x8` (GemmPackers.swift);
/// the 4×4 variant was measured on Zen 1 only.
let gemmTransposeInQuads = false
