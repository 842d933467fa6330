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

    /// Softmax along `axis` (default last). The last axis uses the fused, row-parallel
    /// TLKernels kernel (max-subtracted, so stable; forward and backward tested against their
    /// references); other axes are computed as exp(log-softmax).
    public func softmax(axis: Int = -1) throws -> Tensor {
        let a = try Shape.normalize(axis: axis, rank: rank, operation: "softmax")
        guard a == rank - 1, count > 0, scalars.allSatisfy({ $0.isFinite }) else {
            return try logSoftmax(axis: axis).exp()
        }
        let cols = shape[a], rows = count / Swift.max(cols, 1)
        var out = [Float](repeating: 0, count: count)
        scalars.withUnsafeBufferPointer { px in
            out.withUnsafeMutableBufferPointer { softmaxRowsForward(x: px, y: $0, rows: rows, cols: cols) }
        }
        return Tensor.record(.softmaxLastAxis, inputs: [self], output: Tensor(unchecked: out, shape: shape), saveOutput: true)
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

    /// LayerNorm over the last axis by the fused kernel, for inference: the result never
    /// records a gradient. (x − mean)/√(var + ε)·weight + bias with the biased variance.
    ///
    ///     self: [..., C], weight, bias: [C] → [..., C]
    public func layerNormalizedWithoutGrad(weight: Tensor, bias: Tensor, epsilon: Float) throws -> Tensor {
        guard let cols = shape.last, cols > 0, weight.shape == [cols], bias.shape == [cols] else {
            throw TensorError.invalidArgument(operation: "layerNorm", message: "expected [..., C] with weight and bias [C], got \(shape), \(weight.shape), \(bias.shape)")
        }
        let rows = count / cols
        var y = [Float](repeating: 0, count: count)
        var mean = [Float](repeating: 0, count: rows), rstd = [Float](repeating: 0, count: rows)
        scalars.withUnsafeBufferPointer { xp in
            weight.scalars.withUnsafeBufferPointer { gp in
                bias.scalars.withUnsafeBufferPointer { bp in
                    y.withUnsafeMutableBufferPointer { yp in
                        mean.withUnsafeMutableBufferPointer { mp in
                            rstd.withUnsafeMutableBufferPointer { rp in
                                layerNormForward(x: xp, gamma: gp, beta: bp, y: yp, mean: mp, rstd: rp, rows: rows, cols: cols, epsilon: epsilon)
                            }
                        }
                    }
                }
            }
        }
        return Tensor(unchecked: y, shape: shape)
    }
}
