import TLTensor

/// `{"type": "dropout", "rate": 0.1}`: inverted dropout in training mode.
///
///     any shape → same shape
public struct DropoutSpec: LayerSpec {
    public static let typeName = "dropout"
    public static let keys: Set<String> = ["rate"]
    public var rate: Double

    public init(rate: Double = 0.1) { self.rate = rate }
    public init(fields: LayerFields) throws { rate = try fields.fraction("rate", default: 0.1) }
    public var jsonFields: [String: Any] { ["rate": rate] }

    public func makeLayer(input: [Int], context: SpecContext, rng: inout SeededGenerator) throws -> Layer {
        try Dropout(probability: Float(rate), rng: &rng)
    }
}
