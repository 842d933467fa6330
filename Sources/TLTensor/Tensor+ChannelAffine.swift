import TLKernels

// One-pass per-channel affine map for inference: BatchNorm with running statistics folded
// into a scale and shift, optionally plus a residual and clamped (ReLU6). Records nothing:
// layers call it only when no gradient is needed (`needsNoGradient`).
extension Tensor {
    /// Whether an operation on `tensors` would record nothing (no input requires grad, or
    /// recording is off), so inference-only fused kernels may replace differentiable ones.
    public static func needsNoGradient(_ tensors: Tensor?...) -> Bool {
        !GradMode.isEnabled || !tensors.contains { $0?.requiresGrad == true }
    }

    /// clamp(x · scale + shift (+ residual), lower, upper) per channel (last axis), one pass.
    ///
    ///     x: [..., C], scale, shift: [C], residual: same shape as x (optional) → x's shape
    public func channelAffineInference(scale: Tensor, shift: Tensor, residual: Tensor? = nil,
                                       lower: Float = -.infinity, upper: Float = .infinity) throws -> Tensor {
        let c = shape.last ?? 0
        guard rank >= 1, c > 0, scale.shape == [c], shift.shape == [c] else {
            throw TensorError.shapeMismatch(operation: "channelAffineInference (scale and shift must be [C])", lhs: shape, rhs: scale.shape)
        }
        if let residual, residual.shape != shape {
            throw TensorError.shapeMismatch(operation: "channelAffineInference residual", lhs: shape, rhs: residual.shape)
        }
        guard count > 0 else { return self }
        let rows = count / c
        var out = [Float](repeating: 0, count: count)
        scalars.withUnsafeBufferPointer { px in
            scale.scalars.withUnsafeBufferPointer { ps in
                shift.scalars.withUnsafeBufferPointer { pb in
                    out.withUnsafeMutableBufferPointer { po in
                        residual.map(\.scalars).withOptionalBuffer { pr in
                            channelAffineClamp(x: px.baseAddress!, scale: ps.baseAddress!, shift: pb.baseAddress!, residual: pr?.baseAddress,
                                               lower: lower, upper: upper, rows: rows, cols: c, out: po.baseAddress!)
                        }
                    }
                }
            }
        }
        return Tensor(unchecked: out, shape: shape)
    }
}

extension Tensor {
    /// BatchNorm with running statistics in one pass, bit-identical to
    /// `((x − mean) / std) * weight + bias` op by op. Records nothing.
    ///
    ///     x: [..., C]; mean, std, weight, bias: [C] → x's shape
    public func batchNormInference(mean: Tensor, std: Tensor, weight: Tensor, bias: Tensor) throws -> Tensor {
        let c = shape.last ?? 0
        guard rank >= 1, c > 0, [mean, std, weight, bias].allSatisfy({ $0.shape == [c] }) else {
            throw TensorError.shapeMismatch(operation: "batchNormInference (statistics and affine must be [C])", lhs: shape, rhs: mean.shape)
        }
        guard count > 0 else { return self }
        var out = [Float](repeating: 0, count: count)
        scalars.withUnsafeBufferPointer { px in
            mean.scalars.withUnsafeBufferPointer { pm in
                std.scalars.withUnsafeBufferPointer { ps in
                    weight.scalars.withUnsafeBufferPointer { pw in
                        bias.scalars.withUnsafeBufferPointer { pb in
                            out.withUnsafeMutableBufferPointer { po in
                                batchNormInferenceRows(x: px.baseAddress!, mean: pm.baseAddress!, std: ps.baseAddress!, weight: pw.baseAddress!,
                                                       bias: pb.baseAddress!, rows: count / c, cols: c, out: po.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
        return Tensor(unchecked: out, shape: shape)
    }
}

extension Optional where Wrapped == [Float] {
    func withOptionalBuffer<R>(_ body: (UnsafeBufferPointer<Float>?) -> R) -> R {
        switch self {
        case .none: return body(nil)
        case .some(let a): return a.withUnsafeBufferPointer { body($0) }
        }
    }
}
