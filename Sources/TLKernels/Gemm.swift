/// Single-precision general matrix multiply on raw row-major buffers.
///
///     C[m, n] = alpha · op(A)[m, k] · op(B)[k, n] + beta · C[m, n]
///
/// `op(X)` is `X` or `Xᵀ`. Storage is row-major with leading dimensions `lda`, `ldb`,
/// `ldc` (the distance in elements between consecutive rows of the *stored* matrix):
/// - A stored `[m, k]` (lda ≥ k) when `transA == false`, `[k, m]` (lda ≥ m) when true;
/// - B stored `[k, n]` (ldb ≥ n) when `transB == false`, `[n, k]` (ldb ≥ k) when true;
/// - C stored `[m, n]` (ldc ≥ n).
///
/// This is the single seam through which every matrix product in `tl` goes (Tensor matmul,
/// linear layers, convolution, attention). Faster implementations replace the body of
/// `sgemm`; callers never change. `sgemmReference` is the naive twin used by tests.
/// When `beta == 0`, C is overwritten and its previous contents (even NaN) are ignored.
public func sgemm(
    transA: Bool, transB: Bool,
    m: Int, n: Int, k: Int,
    alpha: Float,
    a: UnsafeBufferPointer<Float>, lda: Int,
    b: UnsafeBufferPointer<Float>, ldb: Int,
    beta: Float,
    c: UnsafeMutableBufferPointer<Float>, ldc: Int
) {
    guard m > 0, n > 0 else { return }
    checkedGemm("sgemm", transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                c: c, ldc: ldc, beta: beta, bias: false) { ctx, ap, bp, cp, slabs in
        sgemmThreaded(ctx, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                      a: ap, lda: lda, b: bp, ldb: ldb, beta: beta, c: cp, ldc: ldc, slabs: slabs)
    }
}

/// The operand checks and the dispatch every public GEMM entry point shares: preconditions on
/// the leading dimensions and buffer sizes (named after `name`), non-nil A/B pointers (with
/// k == 0 the A/B buffers may be empty: any pointer will do, never read), and the call
/// through `run` either plainly or timed for TL_GEMM_STATS (its `slabs` argument).
@inline(__always)
func checkedGemm(_ name: StaticString, transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                 a: UnsafeBufferPointer<Float>, lda: Int, b: UnsafeBufferPointer<Float>, ldb: Int,
                 c: UnsafeMutableBufferPointer<Float>, ldc: Int, beta: Float, bias: Bool,
                 _ run: (KernelContext, UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>,
                         UnsafeMutablePointer<Double>?) -> Void) {
    precondition(lda >= (transA ? m : k) && ldb >= (transB ? k : n) && ldc >= n, "\(name): leading dimension too small")
    precondition(c.count >= (m - 1) * ldc + n, "\(name): C buffer too small")
    precondition(k == 0 || (a.count >= (transA ? (k - 1) * lda + m : (m - 1) * lda + k)
                            && b.count >= (transB ? (n - 1) * ldb + k : (k - 1) * ldb + n)),
                 "\(name): A or B buffer too small")
    let cp = c.baseAddress!
    let ap = a.baseAddress ?? UnsafePointer(cp)
    let bp = b.baseAddress ?? UnsafePointer(cp)
    let ctx = KernelContext.current
    if let stats = GemmStats.shared {
        let kind = GemmCallKind(transA: transA, transB: transB, m: m, n: n, k: k, beta: beta,
                                threads: ctx.threadsFor(work: 2 * m * n * k, maxChunks: Int.max), bias: bias)
        stats.timed(kind) { run(ctx, ap, bp, cp, $0) }
    } else {
        run(ctx, ap, bp, cp, nil)
    }
}

/// `sgemm` with a bias row instead of beta: C[m, n] = alpha · op(A) · op(B) + 1·biasᵀ
/// (bias[j] added to every row j column; C's previous contents, even NaN, ignored).
///
/// Bit-identical to filling C with bias rows and calling `sgemm` with beta = 1, without that
/// extra pass over C: each register tile gets the bias right after its first K block is
/// written, while it is still in L1 (a fused linear layer's forward product).
/// `sgemmBiasReference` is the naive twin.
public func sgemmBias(
    transA: Bool, transB: Bool,
    m: Int, n: Int, k: Int,
    alpha: Float,
    a: UnsafeBufferPointer<Float>, lda: Int,
    b: UnsafeBufferPointer<Float>, ldb: Int,
    bias: UnsafeBufferPointer<Float>,
    c: UnsafeMutableBufferPointer<Float>, ldc: Int
) {
    guard m > 0, n > 0 else { return }
    precondition(bias.count >= n, "sgemmBias: bias shorter than n")
    checkedGemm("sgemmBias", transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                c: c, ldc: ldc, beta: 0, bias: true) { ctx, ap, bp, cp, slabs in
        sgemmThreaded(ctx, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                      a: ap, lda: lda, b: bp, ldb: ldb, beta: 0, c: cp, ldc: ldc, bias: bias.baseAddress!, slabs: slabs)
    }
}

/// Naive twin of `sgemmBias`: C filled with bias rows, then `sgemmReference` with beta = 1.
public func sgemmBiasReference(
    transA: Bool, transB: Bool,
    m: Int, n: Int, k: Int,
    alpha: Float,
    a: UnsafeBufferPointer<Float>, lda: Int,
    b: UnsafeBufferPointer<Float>, ldb: Int,
    bias: UnsafeBufferPointer<Float>,
    c: UnsafeMutableBufferPointer<Float>, ldc: Int
) {
    guard m > 0, n > 0 else { return }
    for i in 0..<m {
        for j in 0..<n { c[i * ldc + j] = bias[j] }
    }
    sgemmReference(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                   a: a, lda: lda, b: b, ldb: ldb, beta: 1, c: c, ldc: ldc)
}

/// Naive triple-loop twin of `sgemm` (same contract), accumulating in Double so it can
/// serve as the accuracy reference for the fast kernels.
public func sgemmReference(
    transA: Bool, transB: Bool,
    m: Int, n: Int, k: Int,
    alpha: Float,
    a: UnsafeBufferPointer<Float>, lda: Int,
    b: UnsafeBufferPointer<Float>, ldb: Int,
    beta: Float,
    c: UnsafeMutableBufferPointer<Float>, ldc: Int
) {
    guard m > 0, n > 0 else { return }
    for i in 0..<m {
        for j in 0..<n {
            var acc = 0.0
            for p in 0..<k {
                let av = transA ? a[p * lda + i] : a[i * lda + p]
                let bv = transB ? b[j * ldb + p] : b[p * ldb + j]
                acc += Double(av) * Double(bv)
            }
            let prior = beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])
            c[i * ldc + j] = Float(Double(alpha) * acc + prior)
        }
    }
}
