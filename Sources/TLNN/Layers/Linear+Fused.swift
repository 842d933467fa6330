import TLTensor

// The transformer path's fused building blocks on top of the plain layers (Tensor+FusedLinear,
// Tensor+ResidualNorm): the same parameters, fewer passes over the activations.

/// act(x·Wᵀ + b) for a `Linear` as one fused primitive (bias in the GEMM, GELU on its output).
/// A layer with a LoRA adapter takes the unfused path, which adds the adapter's update.
/// `dropout` (the feed-forward block's) multiplies the activated output by its mask.
///
///     x: [N, T, in] → [N, T, out]
func projection(_ layer: Linear, _ x: Tensor, activation: Tensor.FusedActivation = .identity,
                dropout: Dropout? = nil) throws -> Tensor {
    guard layer.adapter == nil, x.rank >= 2 else {
        let y = try layer(x)
        let activated = activation == .gelu ? y.gelu() : y
        return try dropout.map { try $0(activated) } ?? activated
    }
    guard x.shape[x.rank - 1] == layer.inFeatures else {
        throw ModuleError.invalidInput(layer: "Linear(\(layer.inFeatures)→\(layer.outFeatures))", message: "expected input [..., \(layer.inFeatures)], got \(x.shape)")
    }
    // The dropout's mask, drawn exactly as `dropout(y)` would draw it (nil in eval mode).
    let factors = dropout?.factors(count: x.count / layer.inFeatures * layer.outFeatures)
    return try x.linear(weight: layer.weight.value, bias: layer.bias?.value, activation: activation, dropoutFactors: factors)
}

/// norm(x + dropout(r)) with the dropout, the sum and the LayerNorm fused; dropout factors
/// come from `dropout`'s generator exactly as `dropout(r)` would draw them.
///
///     x, r: [N, T, D] → [N, T, D]
func residualNorm(_ x: Tensor, _ r: Tensor, dropout: Dropout, norm: LayerNorm) throws -> Tensor {
    guard x.rank >= 1, x.shape[x.rank - 1] == norm.featureCount, r.shape == x.shape else {
        throw ModuleError.invalidInput(layer: "LayerNorm(\(norm.featureCount))", message: "expected equal [..., \(norm.featureCount)] inputs, got \(x.shape) and \(r.shape)")
    }
    return try x.addLayerNorm(r, dropout: dropout.factors(count: r.count), weight: norm.weight.value,
                              bias: norm.bias.value, epsilon: norm.epsilon)
}
