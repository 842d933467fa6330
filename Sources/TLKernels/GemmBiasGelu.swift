// The fused linear layer's forward product with its GELU (Tensor+FusedLinear): the bias and
// GELU run on each register tile of C right after its last K block, while the tile is still in
// L1, instead of a second pass over the [rows, out] output (MiniLM's FFN: 2048 × 1536 per batch).
// The layers use it in place when no graph is recorded (inference), and keeping GELU′ (from the
// same erf and exp) for the backward pass when one is (Tensor+FusedLinear.swift), with the
// feed-forward dropout's mask applied to both when the block has one.

/// `sgemm` with beta = 0 followed by a bias row and GELU (erf form), in one pass:
///
///     pre[m, n] = alpha · op(A) · op(B) + 1·biasᵀ      (old C ignored)
///     output[m, n] = GELU(pre) · mask                  (row stride ldc, like C)
///     C[m, n] = GELU′(pre) · mask if keepingDerivative, else pre
///
/// `mask` is a dropout's factors in output's layout (nil: all 1). Kept in C, it makes C the
/// derivative of the dropped-out output with respect to pre, so the backward pass is the same
/// with or without a dropout (the transformer's feed-forward dropout, fused here).
///
/// Without `keepingDerivative`, `output` may be C itself (the same buffer): C then ends holding
/// GELU(pre) only, for inference. Bit-identical to `sgemm` (beta = 0), C += bias, `geluForward`
/// into `output` (and `geluBackward` with dy = 1 for GELU′), at every thread count (the split
/// never cuts K and the epilogue is element-wise). `sgemmBiasGeluReference` is the naive twin.
public func sgemmBiasGelu(
    transA: Bool, transB: Bool,
    m: Int, n: Int, k: Int,
    alpha: Float,
    a: UnsafeBufferPointer<Float>, lda: Int,
    b: UnsafeBufferPointer<Float>, ldb: Int,
    bias: UnsafeBufferPointer<Float>,
    c: UnsafeMutableBufferPointer<Float>, ldc: Int,
    output: UnsafeMutableBufferPointer<Float>, keepingDerivative: Bool,
    mask: UnsafeBufferPointer<Float>? = nil
) {
    guard m > 0, n > 0 else { return }
    precondition(bias.count >= n, "sgemmBiasGelu: bias shorter than n")
    precondition((mask?.count ?? .max) >= (m - 1) * ldc + n, "sgemmBiasGelu: mask buffer too small")
    precondition(!keepingDerivative || c.baseAddress != output.baseAddress, "sgemmBiasGelu: the derivative needs its own buffer")
    precondition(output.count >= (m - 1) * ldc + n, "sgemmBiasGelu: output buffer too small")
    let op = output.baseAddress!
    checkedGemm("sgemmBiasGelu", transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                c: c, ldc: ldc, beta: 0, bias: true) { ctx, ap, bp, cp, slabs in
        sgemmThreaded(ctx, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: ap, lda: lda, b: bp, ldb: ldb,
                      beta: 0, c: cp, ldc: ldc, geluBias: bias.baseAddress!, geluOutput: op,
                      geluDerivative: keepingDerivative, geluMask: mask?.baseAddress, slabs: slabs)
    }
}

/// Naive twin of `sgemmBiasGelu`: `sgemmReference` (beta = 0), the bias added, then
/// `geluForwardReference` (Double, libm erf) row by row into `output` and, when
/// `keepingDerivative`, `geluBackwardReference` with dy = 1 into C; then both times `mask`.
public func sgemmBiasGeluReference(
    transA: Bool, transB: Bool,
    m: Int, n: Int, k: Int,
    alpha: Float,
    a: UnsafeBufferPointer<Float>, lda: Int,
    b: UnsafeBufferPointer<Float>, ldb: Int,
    bias: UnsafeBufferPointer<Float>,
    c: UnsafeMutableBufferPointer<Float>, ldc: Int,
    output: UnsafeMutableBufferPointer<Float>, keepingDerivative: Bool,
    mask: UnsafeBufferPointer<Float>? = nil
) {
    guard m > 0, n > 0 else { return }
    sgemmReference(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                   a: a, lda: lda, b: b, ldb: ldb, beta: 0, c: c, ldc: ldc)
    for i in 0..<m {
        for j in 0..<n { c[i * ldc + j] += bias[j] }
        let row = Array(c[(i * ldc)..<(i * ldc + n)])
        let cRow = UnsafeMutableBufferPointer(rebasing: c[(i * ldc)..<(i * ldc + n)])
        row.withUnsafeBufferPointer { pre in
            geluForwardReference(x: pre, y: UnsafeMutableBufferPointer(rebasing: output[(i * ldc)..<(i * ldc + n)]))
            if keepingDerivative {
                [Float](repeating: 1, count: n).withUnsafeBufferPointer { geluBackwardReference(x: pre, outputGradient: $0, inputGradient: cRow) }
            }
        }
        if let mask {
            for j in 0..<n {
                output[i * ldc + j] *= mask[i * ldc + j]
                if keepingDerivative { c[i * ldc + j] *= mask[i * ldc + j] }
            }
        }
    }
}
