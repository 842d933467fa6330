import TLIO
import TLTensor

/// `{"type": "flatten"}`: all sample axes into one.
///
///     [d1, d2, …] → [d1·d2·…]
public struct FlattenSpec: FieldlessLayerSpec {
    public static let typeName = "flatten"
    public init() {}
    public func outputShape(for input: [Int], context: SpecContext) throws -> [Int] {
        guard let n = AllocationBudget.product(input) else { throw SpecShapeError("flattening \(input) overflows the element count") }
        return [n]
    }
    public func makeLayer(input: [Int], context: SpecContext, rng: inout SeededGenerator) throws -> Layer { Flatten() }
}
