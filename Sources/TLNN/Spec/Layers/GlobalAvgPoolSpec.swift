import TLTensor

/// `{"type": "globalavgpool"}`: the mean over height and width.
///
///     [H, W, C] → [C]
public struct GlobalAvgPoolSpec: FieldlessLayerSpec {
    public static let typeName = "globalavgpool"
    public init() {}
    public func outputShape(for input: [Int], context: SpecContext) throws -> [Int] {
        [try ImageShape.hwc(input, Self.typeName).c]
    }
    public func makeLayer(input: [Int], context: SpecContext, rng: inout SeededGenerator) throws -> Layer { GlobalAvgPool() }
}
