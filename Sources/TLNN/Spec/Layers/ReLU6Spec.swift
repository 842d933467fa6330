import TLTensor

/// `{"type": "relu6"}`: min(max(x, 0), 6), elementwise (MobileNet's bounded ReLU).
///
///     any shape → same shape
public struct ReLU6Spec: FieldlessLayerSpec {
    public static let typeName = "relu6"
    public init() {}
    public func makeLayer(input: [Int], context: SpecContext, rng: inout SeededGenerator) throws -> Layer { ReLU6() }
}

/// min(max(x, 0), 6), elementwise (any shape); the gradient is 1 inside (0, 6), 0 outside.
public final class ReLU6: Layer {
    public override init() {}
    public override func forward(_ x: Tensor) throws -> Tensor { x.clamp(min: 0, max: 6) }
}
