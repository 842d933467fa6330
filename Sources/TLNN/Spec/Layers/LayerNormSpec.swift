import TLTensor

/// `{"type": "layernorm", "epsilon": 1e-5}`: layer normalisation over the last axis.
///
///     [..., D] → same shape
public struct LayerNormSpec: LayerSpec {
    public static let typeName = "layernorm"
    public static let keys: Set<String> = ["epsilon"]
    public var epsilon: Double

    public init(epsilon: Double = 1e-5) { self.epsilon = epsilon }
    public init(fields: LayerFields) throws { epsilon = try fields.epsilon(default: 1e-5) }
    public var jsonFields: [String: Any] { ["epsilon": epsilon] }

    public func makeLayer(input: [Int], context: SpecContext, rng: inout SeededGenerator) throws -> Layer {
        try LayerNorm(featureCount: input[input.count - 1], epsilon: Float(epsilon))
    }
}
