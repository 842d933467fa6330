import TLTensor

/// `{"type": "flatten"}`: all sample axes into one.
///
///     [d1, d2, …] → [d1·d2·…]
public struct FlattenSpec: FieldlessLayerSpec {
    public static let typeName = "flatten"
    public init() {}
    public func outputShape(for input: [Int], context: SpecContext) throws -> [Int] { [input.reduce(1, *)] }
    public func makeLayer(input: [Int], context: SpecContext, rng: inout SeededGenerator) throws -> Layer { Flatten() }
}
