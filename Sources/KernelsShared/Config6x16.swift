// Shared by the AVX2 (haswell) and portable backends: 6x16 tile of SIMD8<Float>.
// On AVX2 a SIMD8 is one ymm register: 12 accumulators + 2 B vectors + 1 broadcast = 15 of 16.
// (A SIMD16 tile would split into register pairs and spill: see cpu-performance-facts.md.)

typealias VF = SIMD8<Float>
typealias VI = SIMD8<Int32>
typealias VU = SIMD8<UInt32>

let gemmMR = 6
let gemmNR = 16
// KC 384 × MC 120 (was 256 × 240), swept with Scripts/gemm-harness.sh on an AMD EPYC Zen 1 core
// (32 KiB L1d, 512 KiB L2, FMA peak 40.1 GFLOPS): mean +3% over the tl-bench shapes, 2048³
// 34.8 → 36.4 GFLOPS (one thread, CPU clock, median of 3 alternated rounds). The B micro-panel
// (384 × 16 floats, 24 KiB) still fits L1 beside the A micro-panel; the A block (120 × 384) sits
// in L2. Fewer K blocks means fewer passes over C, which is what short-K products pay for.
let gemmKC = 384
let gemmMC = 6 * 20
let gemmNC = 16 * 128
/// Largest op(A) K block (floats, rows rounded up to MR) packed whole when N needs several NC
/// blocks, instead of once per NC block (GemmDriver.swift).
let gemmWholeAFloats = 1 << 20
/// K block when op(A) is packed into interleaved panels (a transposed A): the same here.
let gemmKCInterleavedA = gemmKC
/// Loop order of the packed driver (GemmDriver.swift): B micro-panel in L1, A streamed (the
/// rows-outer order of AVX-512 needs the whole B block in L2; not measured on an AVX2 core).
let gemmRowsOuter = false
/// Second register tile of the direct-A driver (GemmDirectA.swift): 4×16 for the last rows
/// only (8 accumulators do not hide the FMA latency, so full 6-row tiles are preferred).
let gemmMRAlt = 4
let gemmPreferAltTiles = false
/// Largest N (per thread) for which op(A) is read in place instead of packed.
let gemmDirectMaxN = 1024
/// Largest packed B block (kc × nc floats) for which the direct-A driver runs its tiles rows
/// outer (GemmDirectA.swift): the B block then stays in L2 while C is written row by row.
let gemmDirectRowsOuterFloats = 1 << 16
/// Transposed B panels are built from 4×4 transposes of 128-bit rows (in-lane shuffles only;
/// GemmPackers.swift `transpose8x8`): on Zen 1, whose 256-bit lane-crossing permutes are slow,
/// 32 8×8 blocks took 0.36 µs against 0.72 with the 256-bit shuffle network.
let gemmTransposeInQuads = true

@inline(__always) func microKernel(_ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                   _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ beta: Float) {
    microKernel6x16(kc, a, b, c, ldc, beta)
}

@inline(__always) func microKernelRows(_ kc: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>,
                                       _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ beta: Float) {
    microKernelRows6x16(kc, a, lda, b, c, ldc, beta)
}

@inline(__always) func microKernelRowsAlt(_ kc: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>,
                                          _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ beta: Float) {
    microKernelRows4x16(kc, a, lda, b, c, ldc, beta)
}

@inline(__always) func convMicroKernel(_ kh: Int, _ run: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ rowStride: Int,
                                       _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ beta: Float) {
    convMicroKernel6x16(kh, run, a, lda, rowStride, b, c, ldc, beta)
}

@inline(__always) func wgradMicroKernel(_ rows: Int, _ cols: Int, _ a: UnsafePointer<Float>, _ aStep: Int, _ aRowStride: Int,
                                        _ b: UnsafePointer<Float>, _ bStep: Int, _ bRowStride: Int,
                                        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ beta: Float) {
    wgradMicroKernel6x16(rows, cols, a, aStep, aRowStride, b, bStep, bRowStride, c, ldc, beta)
}
