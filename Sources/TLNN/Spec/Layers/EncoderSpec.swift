import TLTensor

/// `{"type": "encoder", "heads": 4, "ffn": 256, "norm": "post", "dropout": 0, "epsilon": 1e-12}`:
/// a transformer encoder block (multi-head self-attention + GELU feed-forward) over masked
/// activations. `dropout` is BERT's (attention probabilities, and each sub-layer's output
/// before its residual sum); `"ffn_dropout": p` adds PyTorch `nn.TransformerEncoderLayer`'s
/// dropout on the GELU output inside the feed-forward block (default 0, as in BERT).
///
///     [T, D] → [T, D]   (D divisible by heads)
public struct EncoderSpec: LayerSpec {
    /// Where the LayerNorms sit: after each residual sum (BERT) or before each sub-layer.
    public enum NormPlacement: String, Sendable, CaseIterable { case post, pre }

    public static let typeName = "encoder"
    public static let keys: Set<String> = ["heads", "ffn", "norm", "dropout", "ffn_dropout", "epsilon"]
    public var heads: Int
    public var ffn: Int
    public var norm: NormPlacement
    public var dropout: Double
    /// Dropout on the feed-forward block's GELU output (PyTorch's encoder layer; 0 in BERT).
    public var ffnDropout: Double
    public var epsilon: Double

    public init(heads: Int, ffn: Int, norm: NormPlacement = .post, dropout: Double = 0, ffnDropout: Double = 0,
                epsilon: Double = 1e-12) {
        self.heads = heads
        self.ffn = ffn
        self.norm = norm
        self.dropout = dropout
        self.ffnDropout = ffnDropout
        self.epsilon = epsilon
    }

    public init(fields: LayerFields) throws {
        self.init(heads: try fields.positiveInt("heads"), ffn: try fields.positiveInt("ffn"),
                  norm: try fields.choice("norm", default: NormPlacement.post),
                  dropout: try fields.fraction("dropout", default: 0), ffnDropout: try fields.fraction("ffn_dropout", default: 0),
                  epsilon: try fields.epsilon(default: 1e-12))
    }

    /// `ffn_dropout` only when set, so specs written before it existed read back unchanged.
    public var jsonFields: [String: Any] {
        var fields: [String: Any] = ["heads": heads, "ffn": ffn, "norm": norm.rawValue, "dropout": dropout, "epsilon": epsilon]
        if ffnDropout != 0 { fields["ffn_dropout"] = ffnDropout }
        return fields
    }

    public func outputShape(for input: [Int], context: SpecContext) throws -> [Int] {
        guard input.count == 2 else { throw SpecShapeError("encoder expects a [T, D] sequence, got \(input)") }
        guard input[1] % heads == 0 else { throw SpecShapeError("width \(input[1]) is not divisible by \(heads) heads") }
        return input
    }

    public func parameterCount(input: [Int], context: SpecContext) -> Int? {
        let d = input[1]
        return weightCount([4, d, d], [2, d, ffn], [ffn], [9, d])
    }

    public func makeLayer(input: [Int], context: SpecContext, rng: inout SeededGenerator) throws -> Layer {
        let block = try TransformerEncoderBlock(hiddenSize: input[1], headCount: heads, intermediateSize: ffn,
                                                dropout: Float(dropout), attentionDropout: Float(dropout),
                                                activationDropout: Float(ffnDropout),
                                                layerNormEpsilon: Float(epsilon), preNorm: norm == .pre, rng: &rng)
        return MaskedEncoderLayer(layer: block)
    }
}
