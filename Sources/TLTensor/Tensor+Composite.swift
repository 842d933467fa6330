import TLKernels
// Composite ops built only from differentiable primitives, so their gradients come from
// the primitive rules and need no rules of their own. Fused kernels may replace them later,
// tested against these definitions.
extension Tensor {
    /// log Σ exp(x) over `axes`, stable for large inputs: the (detached) maximum m is
    /// subtracted first, m + log Σ exp(x − m), so exp never overflows (softmax of [1e4, 0]
    /// is exact). Rows that are entirely −∞ give −∞ rather than NaN.
    public func logSumExp(axes: [Int], keepDims: Bool = false) throws -> Tensor {
        let ax = try Shape.normalize(axes: axes, rank: rank, operation: "logSumExp")
        let m = try detached().max(axes: ax, keepDims: true).mapped { $0.isFinite ? $0 : 0 }
        let lse = try (self - m).exp().sum(axes: ax, keepDims: true).log() + m
        if keepDims { return lse }
        return try lse.reshaped(shape.enumerated().filter { !ax.contains($0.offset) }.map(\.element))
    }

    /// log Σ exp(x) along one axis.
    public func logSumExp(axis: Int, keepDims: Bool = false) throws -> Tensor {
        try logSumExp(axes: [axis], keepDims: keepDims)
    }

    /// Softmax along `axis` (default last): the fused kernel over the last axis, otherwise
    /// exp(log-softmax) (`softmaxComposite`, also the fused kernel's test reference).
    public func softmax(axis: Int = -1) throws -> Tensor {
        let a = try Shape.normalize(axis: axis, rank: rank, operation: "softmax")
        // The fused kernel subtracts the row maximum; rows with ±∞ need the composite's care.
        if a == rank - 1 && rank >= 1 && count > 0 && scalars.allSatisfy({ $0.isFinite }) { return softmaxLastAxis() }
        return try softmaxComposite(axis: a)
    }

    /// Log-softmax along `axis` (default last): (x − m) − log Σ exp(x − m) with m the detached
    /// maximum. Subtracting m *before* anything else matters in Float32: computing
    /// x − (m + log Σ…) would round m + log Σ… to the ulp of m (≈1e-3 at 1e4) and break
    /// normalisation for large logits.
    public func logSoftmax(axis: Int = -1) throws -> Tensor {
        let a = try Shape.normalize(axis: axis, rank: rank, operation: "logSoftmax")
        let m = try detached().max(axes: [a], keepDims: true).mapped { $0.isFinite ? $0 : 0 }
        let shifted = try self - m
        return try shifted - shifted.exp().sum(axes: [a], keepDims: true).log()
    }
}
