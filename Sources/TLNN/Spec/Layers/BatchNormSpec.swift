import TLTensor

/// `{"type": "batchnorm"}`: batch normalisation over the last (channel) axis.
///
///     [C] or [H, W, C] → same shape
public struct BatchNormSpec: FieldlessLayerSpec {
    public static let typeName = "batchnorm"
    public init() {}
    public func outputShape(for input: [Int], context: SpecContext) throws -> [Int] {
        guard input.count == 1 || input.count == 3 else { throw SpecShapeError("batchnorm expects [C] or [H, W, C], got \(input)") }
        return input
    }
    public func makeLayer(input: [Int], context: SpecContext, rng: inout SeededGenerator) throws -> Layer {
        try BatchNorm(featureCount: input[input.count - 1])
    }
}
