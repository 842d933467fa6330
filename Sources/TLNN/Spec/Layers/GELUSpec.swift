import TLTensor

/// `{"type": "gelu"}`: GELU, exact erf form (as in BERT), elementwise.
///
///     any shape → same shape
public struct GELUSpec: FieldlessLayerSpec {
    public static let typeName = "gelu"
    public init() {}
    public func makeLayer(input: [Int], context: SpecContext, rng: inout SeededGenerator) throws -> Layer { GELU() }
}
