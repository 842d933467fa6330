import TLTensor

/// `{"type": "relu"}`: max(x, 0), elementwise.
///
///     any shape → same shape
public struct ReLUSpec: FieldlessLayerSpec {
    public static let typeName = "relu"
    public init() {}
    public func makeLayer(input: [Int], context: SpecContext, rng: inout SeededGenerator) throws -> Layer { ReLU() }
}
