import TLTensor

/// Fully connected layer y = x·Wᵀ + b.
///
///     x: [..., in] → [..., out]      weight: [out, in], bias: [out]
///
/// Default init (PyTorch's): weight and bias ~ U(−1/√in, 1/√in). With a LoRA `adapter`
/// attached, y = x·Wᵀ + b + (α/r)·x·Aᵀ·Bᵀ.
public final class Linear: Layer {
    public let weight: Parameter
    public let bias: Parameter?
    public let inFeatures: Int, outFeatures: Int
    /// A LoRA update added to the output (`LoRA.swift`); nil for a plain layer.
    public var adapter: LoRAAdapter?

    public init(inFeatures: Int, outFeatures: Int, bias: Bool = true, rng: inout SeededGenerator) throws {
        guard inFeatures > 0, outFeatures > 0 else {
            throw ModuleError.invalidConfiguration(layer: "Linear", message: "features must be positive, got in \(inFeatures), out \(outFeatures)")
        }
        self.inFeatures = inFeatures; self.outFeatures = outFeatures
        weight = Parameter(Init.pytorchDefault([outFeatures, inFeatures], fanIn: inFeatures, using: &rng))
        self.bias = bias ? Parameter(Init.pytorchDefault([outFeatures], fanIn: inFeatures, using: &rng)) : nil
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 1, x.shape[x.rank - 1] == inFeatures else {
            throw ModuleError.invalidInput(layer: "Linear(\(inFeatures)→\(outFeatures))", message: "expected input [..., \(inFeatures)], got \(x.shape)")
        }
        // A rank-1 input is treated as one row.
        let x2 = x.rank == 1 ? try x.reshaped([1, inFeatures]) : x
        var y = try x2.matmul(weight.value, transposeOther: true)     // [..., out]
        if let bias { y = try y + bias.value }
        if let adapter { y = try y + adapter.delta(x2) }                // + (α/r)·B·A·x
        return x.rank == 1 ? try y.reshaped([outFeatures]) : y
    }
}
