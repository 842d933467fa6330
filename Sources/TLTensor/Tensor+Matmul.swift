import TLKernels

// Matrix products. Every product goes through the `sgemm` seam in TLKernels.
extension Tensor {
    /// Batched matrix product `op(self) · op(other)` over the last two axes, where `op` is the
    /// identity or a transpose (`transposeSelf`, `transposeOther`). Leading (batch) axes
    /// broadcast NumPy-style. Both operands need rank ≥ 2.
    ///
    ///     self: [..., M, K] (or [..., K, M] transposed), other: [..., K, N] (or [..., N, K])
    ///     → [broadcast(...), M, N]
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) throws -> Tensor {
        let out = try Tensor.matmulValue(self, other, transA: transposeSelf, transB: transposeOther)
        return Tensor.record(.matmul(transA: transposeSelf, transB: transposeOther), inputs: [self, other], output: out)
    }

    static func matmulValue(_ a: Tensor, _ b: Tensor, transA: Bool, transB: Bool) throws -> Tensor {
        guard a.rank >= 2, b.rank >= 2 else {
            throw TensorError.shapeMismatch(operation: "matmul (operands need rank ≥ 2)", lhs: a.shape, rhs: b.shape)
        }
        let (ar, ac) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let (br, bc) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
        let (m, k) = transA ? (ac, ar) : (ar, ac)
        let (k2, n) = transB ? (bc, br) : (br, bc)
        guard k == k2 else {
            throw TensorError.shapeMismatch(operation: "matmul\(transA ? " (self transposed)" : "")\(transB ? " (other transposed)" : "")",
                                            lhs: a.shape, rhs: b.shape)
        }
        let aBatch = Array(a.shape.dropLast(2)), bBatch = Array(b.shape.dropLast(2))
        let batch = try Shape.broadcast(aBatch, bBatch, operation: "matmul batch axes")
        let batchCount = Shape.count(batch)
        let total = batchCount * m * n
        guard total > 0 else { return Tensor(unchecked: [], shape: batch + [m, n]) }
        // Every path below writes every element with beta = 0 (sgemm then ignores C's old
        // contents), so the result is not zero-filled first: that memset was ~1% of a
        // MiniLM training step.
        let out = [Float](unsafeUninitializedCapacity: total) { po, initialized in
            initialized = total
            a.scalars.withUnsafeBufferPointer { pa in
                b.scalars.withUnsafeBufferPointer { pb in
                    if bBatch.isEmpty && !transA {
                        // [B..., M, K] · [K, N]: fold the batch into M, one large GEMM.
                        sgemm(transA: false, transB: transB, m: batchCount * m, n: n, k: k, alpha: 1,
                              a: pa, lda: ac, b: pb, ldb: bc, beta: 0, c: po, ldc: n)
                        return
                    }
                    if batchCount > 1 && (aBatch == batch || aBatch.isEmpty) && (bBatch == batch || bBatch.isEmpty) {
                        // Equal (or absent) batch axes: one strided batched GEMM, which spreads
                        // the many small per-head products of attention across threads.
                        sgemmStridedBatched(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1,
                                            a: pa, lda: ac, strideA: aBatch.isEmpty ? 0 : ar * ac,
                                            b: pb, ldb: bc, strideB: bBatch.isEmpty ? 0 : br * bc,
                                            beta: 0, c: po, ldc: n, strideC: m * n, batchCount: batchCount)
                        return
                    }
                    let sa = Shape.broadcastStrides(aBatch, to: batch).map { $0 * ar * ac }
                    let sb = Shape.broadcastStrides(bBatch, to: batch).map { $0 * br * bc }
                    // Walk batch indices; treat the batch as rows of a [batchCount, 1] space.
                    let walkShape = batch + [1]
                    StridedLoops.forEachRow(shape: walkShape, stridesA: sa + [0], stridesB: sb + [0]) { oa, ob, idx in
                        let aSlice = UnsafeBufferPointer(rebasing: pa[oa..<(oa + ar * ac)])
                        let bSlice = UnsafeBufferPointer(rebasing: pb[ob..<(ob + br * bc)])
                        let cSlice = UnsafeMutableBufferPointer(rebasing: po[(idx * m * n)..<((idx + 1) * m * n)])
                        sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1,
                              a: aSlice, lda: ac, b: bSlice, ldb: bc, beta: 0, c: cSlice, ldc: n)
                    }
                }
            }
        }
        return Tensor(unchecked: out, shape: batch + [m, n])
    }
}
