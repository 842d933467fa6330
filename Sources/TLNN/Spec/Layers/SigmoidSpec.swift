import TLTensor

/// `{"type": "sigmoid"}`: logistic sigmoid, elementwise.
///
///     any shape → same shape
public struct SigmoidSpec: FieldlessLayerSpec {
    public static let typeName = "sigmoid"
    public init() {}
    public func makeLayer(input: [Int], context: SpecContext, rng: inout SeededGenerator) throws -> Layer { Sigmoid() }
}
