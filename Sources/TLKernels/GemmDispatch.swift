import TLKernelTable

/// Single-threaded SGEMM of the current backend (raw pointers, same contract as `sgemm`).
@inline(__always)
func backendGemm(_ backend: KernelBackend, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                 a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                 beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    backend.kernels.gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

/// Name of the backend in use ("avx512", "avx2" or "portable"), for logs and benchmarks.
public var kernelBackendName: String { currentKernelBackend.rawValue }

/// Multi-threaded SGEMM on raw pointers: splits the larger of M and N into one contiguous
/// slab per thread (in whole 32-row/column units so slabs do not break register tiles);
/// each thread runs the packed single-threaded driver on its slab. Each thread packs its
/// own copy of the other operand, which costs O(k·(m+n)) against O(m·n·k/threads) compute.
/// Products below `parallelWorkThreshold` FLOPs stay on the calling thread.
func sgemmThreaded(_ ctx: KernelContext, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                   a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                   beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    let unit = 32
    let splitRows = m >= n
    let units = ((splitRows ? m : n) + unit - 1) / unit
    let threads = ctx.threadsFor(work: 2 * m * n * k, maxChunks: units)
    if threads == 1 {
        backendGemm(ctx.backend, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                    a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        return
    }
    parallelFor(threads) { t in
        let r = chunkRange(t, parts: threads, units: units)
        let lo = r.lowerBound * unit
        let hi = min(r.upperBound * unit, splitRows ? m : n)
        guard hi > lo else { return }
        if splitRows {
            backendGemm(ctx.backend, transA: transA, transB: transB, m: hi - lo, n: n, k: k, alpha: alpha,
                        a: a + (transA ? lo : lo * lda), lda: lda, b: b, ldb: ldb,
                        beta: beta, c: c + lo * ldc, ldc: ldc)
        } else {
            backendGemm(ctx.backend, transA: transA, transB: transB, m: m, n: hi - lo, k: k, alpha: alpha,
                        a: a, lda: lda, b: b + (transB ? lo * ldb : lo), ldb: ldb,
                        beta: beta, c: c + lo, ldc: ldc)
        }
    }
}
