import TLTensor

/// `{"type": "batchnorm", "epsilon": 1e-3}`: batch normalisation over the last (channel)
/// axis; `epsilon` defaults to PyTorch's 1e-5 (TensorFlow-trained models use 1e-3).
///
///     [C] or [H, W, C] → same shape
public struct BatchNormSpec: LayerSpec {
    public static let typeName = "batchnorm"
    public static let keys: Set<String> = ["epsilon"]
    public static let defaultEpsilon = 1e-5
    public var epsilon: Double

    public init(epsilon: Double = BatchNormSpec.defaultEpsilon) { self.epsilon = epsilon }
    public init(fields: LayerFields) throws { epsilon = try fields.epsilon(default: Self.defaultEpsilon) }
    /// The default epsilon is left out, so specs written before the key existed read back unchanged.
    public var jsonFields: [String: Any] { epsilon == Self.defaultEpsilon ? [:] : ["epsilon": epsilon] }

    public func outputShape(for input: [Int], context: SpecContext) throws -> [Int] {
        guard input.count == 1 || input.count == 3 else { throw SpecShapeError("batchnorm expects [C] or [H, W, C], got \(input)") }
        return input
    }
    public func makeLayer(input: [Int], context: SpecContext, rng: inout SeededGenerator) throws -> Layer {
        try BatchNorm(featureCount: input[input.count - 1], epsilon: Float(epsilon))
    }
}
