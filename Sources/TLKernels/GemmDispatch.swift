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

/// Name of the backend in use ("avx512", "avx2" or "portable"), for logs and benchmarks.
public var kernelBackendName: String { currentKernelBackend.rawValue }

/// Multi-threaded SGEMM on raw pointers: splits the larger of M and N into one contiguous
/// slab per thread (in whole 32-row/column units so slabs do not break register tiles);
/// each thread runs the packed single-threaded driver on its slab. Each thread packs its
/// own copy of the other operand, which costs O(k·(m+n)) against O(m·n·k/threads) compute.
/// Products below `parallelWorkThreshold` FLOPs stay on the calling thread.
/// With `bias`, C = alpha·op(A)·op(B) + bias rows (`beta` is ignored; see `sgemmBias`).
func sgemmThreaded(_ ctx: KernelContext, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                   a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                   beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>? = nil) {
    @inline(__always) func run(m: Int, n: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                               c: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?) {
        if let bias {
            backendGemmBias(ctx.backend, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                            a: a, lda: lda, b: b, ldb: ldb, bias: bias, c: c, ldc: ldc)
        } else {
            backendGemm(ctx.backend, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                        a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        }
    }
    let unit = 32
    let splitRows = m >= n
    let units = ((splitRows ? m : n) + unit - 1) / unit
    let threads = ctx.threadsFor(work: 2 * m * n * k, maxChunks: units)
    if threads == 1 {
        run(m: m, n: n, a: a, b: b, c: c, bias: bias)
        return
    }
    parallelFor(threads) { t in
        let r = chunkRange(t, parts: threads, units: units)
        let lo = r.lowerBound * unit
        let hi = min(r.upperBound * unit, splitRows ? m : n)
        guard hi > lo else { return }
        if splitRows {
            run(m: hi - lo, n: n, a: a + (transA ? lo : lo * lda), b: b, c: c + lo * ldc, bias: bias)
        } else {
            run(m: m, n: hi - lo, a: a, b: b + (transB ? lo * ldb : lo), c: c + lo, bias: bias.map { $0 + lo })
        }
    }
}
