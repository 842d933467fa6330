import TLTensor

/// `{"type": "pool", "mode": "mean" | "cls"}`: one vector per sequence, the mask-aware mean
/// or the first ([CLS]) token.
///
///     [T, D] → [D]
public struct SequencePoolSpec: LayerSpec {
    public static let typeName = "pool"
    public static let keys: Set<String> = ["mode"]
    public var mode: SequencePool.Mode

    public init(mode: SequencePool.Mode) { self.mode = mode }
    public init(fields: LayerFields) throws { mode = try fields.choice("mode") }
    public var jsonFields: [String: Any] { ["mode": mode.rawValue] }

    public func outputShape(for input: [Int], context: SpecContext) throws -> [Int] {
        guard input.count == 2 else { throw SpecShapeError("pool expects a [T, D] sequence, got \(input)") }
        return [input[1]]
    }

    public func makeLayer(input: [Int], context: SpecContext, rng: inout SeededGenerator) throws -> Layer {
        SequencePool(mode: mode)
    }
}
