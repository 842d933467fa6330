import TLTensor

/// Deep CORAL (Sun & Saenko, 2016): align the second-order statistics of source and target features.
extension Loss {
    /// The CORAL loss between two feature batches:
    ///
    ///     source: [Ns, d], target: [Nt, d] (Ns, Nt ≥ 2) → []
    ///     C = (X − 1·mean(X))ᵀ (X − 1·mean(X)) / (N − 1)      (unbiased covariance, [d, d])
    ///     loss = ‖C_s − C_t‖²_F / (4 d²)
    ///
    /// A composite of differentiable primitives (mean, matmul, pow, sum), so gradients flow to
    /// both inputs through the tensor autodiff.
    public static func coral(source: Tensor, target: Tensor) throws -> Tensor {
        guard source.rank == 2, target.rank == 2, source.shape[1] == target.shape[1] else {
            throw ModuleError.invalidInput(layer: "coral", message: "features must be [N, d] with the same d, got \(source.shape) and \(target.shape)")
        }
        guard source.shape[0] >= 2, target.shape[0] >= 2 else {
            throw ModuleError.invalidInput(layer: "coral", message: "a covariance needs at least 2 samples per batch, got \(source.shape[0]) and \(target.shape[0])")
        }
        let d = Float(source.shape[1])
        let difference = try covariance(source) - covariance(target)
        return try difference.pow(2).sum() * (1 / (4 * d * d))
    }

    /// The unbiased covariance of the rows of `x: [N, d]` → [d, d].
    public static func covariance(_ x: Tensor) throws -> Tensor {
        let centered = try x - x.mean(axes: [0], keepDims: true)
        return try centered.matmul(centered, transposeSelf: true) * (1 / Float(x.shape[0] - 1))
    }

    /// Features for CORAL from a block's output: `[N, d]` as is; `[N, H, W, C]` (any rank > 2)
    /// averaged over the spatial axes to `[N, C]` (a full H·W·C covariance would be huge and
    /// mostly spatial noise).
    public static func coralFeatures(_ h: Tensor) throws -> Tensor {
        guard h.rank > 2 else { return h }
        return try h.mean(axes: Array(1..<(h.rank - 1)))
    }
}
