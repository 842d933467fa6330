// Strided batched SGEMM: the attention path's per-(batch × head) products, e.g.
// scores[b, h] = Q[b, h]·K[b, h]ᵀ and context[b, h] = P[b, h]·V[b, h], in one call.

/// For i in 0..<batchCount:
///     C_i = alpha · op(A_i) · op(B_i) + beta · C_i,
/// with A_i at a[i·strideA …], B_i at b[i·strideB …], C_i at c[i·strideC …], each laid out as
/// in `sgemm` (row-major, leading dimensions lda/ldb/ldc, same transposition flags).
/// Threads take whole products when there are enough of them (attention heads are small:
/// splitting each one would pay a fork/join per head); otherwise each product is threaded.
public func sgemmStridedBatched(
    transA: Bool, transB: Bool,
    m: Int, n: Int, k: Int,
    alpha: Float,
    a: UnsafeBufferPointer<Float>, lda: Int, strideA: Int,
    b: UnsafeBufferPointer<Float>, ldb: Int, strideB: Int,
    beta: Float,
    c: UnsafeMutableBufferPointer<Float>, ldc: Int, strideC: Int,
    batchCount: Int
) {
    sgemmStridedBatched(.current, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                        a: a, lda: lda, strideA: strideA, b: b, ldb: ldb, strideB: strideB,
                        beta: beta, c: c, ldc: ldc, strideC: strideC, batchCount: batchCount)
}

func sgemmStridedBatched(
    _ ctx: KernelContext, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
    a: UnsafeBufferPointer<Float>, lda: Int, strideA: Int,
    b: UnsafeBufferPointer<Float>, ldb: Int, strideB: Int,
    beta: Float, c: UnsafeMutableBufferPointer<Float>, ldc: Int, strideC: Int, batchCount: Int
) {
    guard m > 0, n > 0, batchCount > 0 else { return }
    precondition(lda >= (transA ? m : k) && ldb >= (transB ? k : n) && ldc >= n, "sgemmStridedBatched: leading dimension too small")
    precondition(strideA >= 0 && strideB >= 0 && strideC >= 0, "sgemmStridedBatched: negative stride")
    let last = batchCount - 1
    precondition(c.count >= last * strideC + (m - 1) * ldc + n, "sgemmStridedBatched: C buffer too small")
    precondition(k == 0 || (a.count >= last * strideA + (transA ? (k - 1) * lda + m : (m - 1) * lda + k)
                            && b.count >= last * strideB + (transB ? (n - 1) * ldb + k : (k - 1) * ldb + n)),
                 "sgemmStridedBatched: A or B buffer too small")
    let cp = c.baseAddress!
    let ap = a.baseAddress ?? UnsafePointer(cp), bp = b.baseAddress ?? UnsafePointer(cp)
    let perProduct = 2 * m * n * k
    let threads = ctx.threadsFor(work: perProduct * batchCount, maxChunks: batchCount)
    if threads > 1 && (perProduct < parallelWorkThreshold || batchCount >= 4 * threads) {
        parallelFor(threads) { t in
            for i in chunkRange(t, parts: threads, units: batchCount) {
                backendGemm(ctx.backend, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                            a: ap + i * strideA, lda: lda, b: bp + i * strideB, ldb: ldb,
                            beta: beta, c: cp + i * strideC, ldc: ldc)
            }
        }
        return
    }
    for i in 0..<batchCount {
        sgemmThreaded(ctx, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                      a: ap + i * strideA, lda: lda, b: bp + i * strideB, ldb: ldb,
                      beta: beta, c: cp + i * strideC, ldc: ldc)
    }
}

/// Naive twin of `sgemmStridedBatched`: `sgemmReference` on each product.
public func sgemmStridedBatchedReference(
    transA: Bool, transB: Bool,
    m: Int, n: Int, k: Int,
    alpha: Float,
    a: UnsafeBufferPointer<Float>, lda: Int, strideA: Int,
    b: UnsafeBufferPointer<Float>, ldb: Int, strideB: Int,
    beta: Float,
    c: UnsafeMutableBufferPointer<Float>, ldc: Int, strideC: Int,
    batchCount: Int
) {
    for i in 0..<batchCount {
        sgemmReference(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                       a: UnsafeBufferPointer(rebasing: a[(i * strideA)...]), lda: lda,
                       b: UnsafeBufferPointer(rebasing: b[(i * strideB)...]), ldb: ldb, beta: beta,
                       c: UnsafeMutableBufferPointer(rebasing: c[(i * strideC)...]), ldc: ldc)
    }
}
