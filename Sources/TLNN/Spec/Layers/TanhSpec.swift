import TLTensor

/// `{"type": "tanh"}`: hyperbolic tangent, elementwise.
///
///     any shape → same shape
public struct TanhSpec: FieldlessLayerSpec {
    public static let typeName = "tanh"
    public init() {}
    public func makeLayer(input: [Int], context: SpecContext, rng: inout SeededGenerator) throws -> Layer { Tanh() }
}
