import Foundation
import TLKernelTable

/// Single-threaded SGEMM of the current backend (raw pointers, same contract as `sgemm`).
@inline(__always)
func backendGemm(_ backend: KernelBackend, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                 a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                 beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    backend.kernels.gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

/// Single-threaded C = alpha·op(A)·op(B) + bias rows of the current backend.
@inline(__always)
func backendGemmBias(_ backend: KernelBackend, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                     a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                     bias: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int) {
    backend.kernels.gemmBias(transA, transB, m, n, k, alpha, a, lda, b, ldb, bias, c, ldc)
}

/// Single-threaded C = alpha·op(A)·op(B) + bias rows, out = GELU(C), of the current backend.
@inline(__always)
func backendGemmBiasGelu(_ backend: KernelBackend, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                         a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                         bias: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int, out: UnsafeMutablePointer<Float>,
                         derivative: Bool, mask: UnsafePointer<Float>?) {
    backend.kernels.gemmBiasGelu(transA, transB, m, n, k, alpha, a, lda, b, ldb, bias, c, ldc, out, derivative, mask)
}

/// Name of the backend in use ("avx512", "avx2" or "portable"), for logs and benchmarks.
public var kernelBackendName: String { currentKernelBackend.rawValue }

/// `TL_GEMM_SPLIT=rows|columns` forces the split direction of every threaded GEMM (for A/B
/// measurements with TL_GEMM_STATS); unset, `gemmSplitsRows` chooses.
let gemmForcedSplitRows: Bool? = {
    switch ProcessInfo.processInfo.environment["TL_GEMM_SPLIT"] {
    case "rows": return true
    case "columns": return false
    default: return nil
    }
}()

/// Whether `sgemmThreaded` splits M (else N) between `threads` threads: the larger of M and N,
/// except that products of at most 768 rows with op(A) = A read in place (alpha = 1, the
/// direct-A driver) split N when each thread gets ≥ 128 columns. Split along M, each thread
/// packs all of B (k × n) for few rows; split along N, it packs half of B and reads all of A
/// in place, which on `tl embed`'s products was the cheaper (in situ, Xeon, 2 threads, slab
/// CPU time per core; M = 320–768, x·Wᵀ with N/K = 384/1152/1536: columns 139–141 GFLOPS per
/// core, rows 131–139). From M ≈ 800 on rows were as fast or faster (at M > 1344 by 6–12%).
@inline(__always)
func gemmSplitsRows(transA: Bool, m: Int, n: Int, alpha: Float, lda: Int, threads: Int) -> Bool {
    if m < n { return false }
    let directA = !transA && alpha == 1 && lda % 1024 != 0
    return !(directA && m <= 768 && n >= 128 * threads)
}

/// Multi-threaded SGEMM on raw pointers: splits M or N (`gemmSplitsRows`, or the one `splitRows`
/// names) into one contiguous slab per thread, in whole units of 16 rows or 32 columns; each
/// thread runs the single-threaded backend GEMM on its slab, which packs its own copy of the
/// other operand: O(k·(m+n)) against O(m·n·k/threads) compute.
/// The split never cuts K, so every element is the same chain of operations at any thread
/// count and in either direction (bit-identical results).
/// Measured on the MiniLM shapes (Xeon, 2 threads, tl-bench and TL_GEMM_STATS in situ):
/// splitting N where that lets each thread read A in place (x·Wᵀ, 2048 × 384 · 384 × 1152 and
/// × 1536) ran at 290–298 GFLOPS against 308–309 split along M (A packed, B packed twice);
/// at 640 rows both splits were within 2% there (operands hot in cache), see `gemmSplitsRows`.
/// Products below `parallelWorkThreshold` FLOPs stay on the calling thread.
/// With `bias`, C = alpha·op(A)·op(B) + bias rows (`beta` is ignored; see `sgemmBias`).
/// With `geluBias` and `geluOutput` (`sgemmBiasGelu`), pre = alpha·op(A)·op(B) + geluBias rows
/// added after the last K block, geluOutput = GELU(pre) and C = GELU′(pre) when
/// `geluDerivative`, else pre (`beta` and `bias` are ignored); `geluMask` (row stride ldc, like
/// geluOutput) multiplies geluOutput and the derivative.
/// With `slabs` (TL_GEMM_STATS), each slab is timed on its thread's CPU clock and the sum and
/// the maximum over slabs are added to slabs[0] and slabs[1].
func sgemmThreaded(_ ctx: KernelContext, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                   a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                   beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>? = nil,
                   geluBias: UnsafePointer<Float>? = nil, geluOutput: UnsafeMutablePointer<Float>? = nil, geluDerivative: Bool = false,
                   geluMask: UnsafePointer<Float>? = nil,
                   splitRows forcedRows: Bool? = nil, slabs: UnsafeMutablePointer<Double>? = nil) {
    @inline(__always) func run(m: Int, n: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                               c: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?, column: Int = 0, offset: Int = 0) {
        if let geluBias, let geluOutput {
            backendGemmBiasGelu(ctx.backend, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                                a: a, lda: lda, b: b, ldb: ldb, bias: geluBias + column, c: c, ldc: ldc,
                                out: geluOutput + offset, derivative: geluDerivative, mask: geluMask.map { $0 + offset })
        } else if let bias {
            backendGemmBias(ctx.backend, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                            a: a, lda: lda, b: b, ldb: ldb, bias: bias, c: c, ldc: ldc)
        } else {
            backendGemm(ctx.backend, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                        a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        }
    }
    let work = 2 * m * n * k
    var threads = ctx.threadsFor(work: work, maxChunks: (max(m, n) + 15) / 16)
    if threads == 1 {
        let c0 = slabs == nil ? 0 : threadCPUSeconds()
        run(m: m, n: n, a: a, b: b, c: c, bias: bias)
        if let slabs { let t = threadCPUSeconds() - c0; slabs[0] += t; slabs[1] += t }
        return
    }
    let splitRows = forcedRows ?? gemmForcedSplitRows
        ?? gemmSplitsRows(transA: transA, m: m, n: n, alpha: alpha, lda: lda, threads: threads)
    // Rows in units of 16: `tl embed`'s M = 32 × tokens splits evenly between two threads for
    // any token count (in units of 32, an odd count left one thread a 32-row unit more: 9% of
    // the call at 11 tokens). Columns in units of 32, a multiple of every backend's NR.
    let unit = splitRows ? 16 : 32
    let units = ((splitRows ? m : n) + unit - 1) / unit
    threads = min(threads, units)
    let slabCPU = slabs.map { _ in UnsafeMutablePointer<Double>.allocate(capacity: threads) }
    slabCPU?.initialize(repeating: 0, count: threads)
    parallelFor(threads) { t in
        let r = chunkRange(t, parts: threads, units: units)
        let lo = r.lowerBound * unit
        let hi = min(r.upperBound * unit, splitRows ? m : n)
        guard hi > lo else { return }
        let c0 = slabCPU == nil ? 0 : threadCPUSeconds()
        if splitRows {
            run(m: hi - lo, n: n, a: a + (transA ? lo : lo * lda), b: b, c: c + lo * ldc, bias: bias, offset: lo * ldc)
        } else {
            run(m: m, n: hi - lo, a: a, b: b + (transB ? lo * ldb : lo), c: c + lo, bias: bias.map { $0 + lo }, column: lo, offset: lo)
        }
        if let slabCPU { slabCPU[t] = threadCPUSeconds() - c0 }
    }
    if let slabs, let slabCPU {
        for t in 0..<threads { slabs[0] += slabCPU[t]; slabs[1] = max(slabs[1], slabCPU[t]) }
        slabCPU.deallocate()
    }
}
