import TLTensor

/// `{"type": "embedding", "vocab": "vocab", "dim": 64, "max_length": 128, "segments": 0,
/// "dropout": 0, "epsilon": 1e-12}`: token + learned position (+ segment) embeddings, then
/// LayerNorm and dropout (BERT). The first layer of a token model; the padding mask travels
/// on as an extra channel (see `TokenEmbeddingBlock`).
///
///     [T] token ids → [T, dim]
public struct EmbeddingSpec: LayerSpec {
    public static let typeName = "embedding"
    public static let keys: Set<String> = ["vocab", "dim", "max_length", "segments", "dropout", "epsilon"]
    public static var readsTokenIDs: Bool { true }
    public var vocab: ModelSpec.Dim
    public var dim: Int
    public var maxLength: Int
    public var segments: Int
    public var dropout: Double
    public var epsilon: Double

    public init(vocab: ModelSpec.Dim, dim: Int, maxLength: Int, segments: Int = 0, dropout: Double = 0, epsilon: Double = 1e-12) {
        self.vocab = vocab
        self.dim = dim
        self.maxLength = maxLength
        self.segments = segments
        self.dropout = dropout
        self.epsilon = epsilon
    }

    public init(fields: LayerFields) throws {
        self.init(vocab: try fields.dim("vocab", symbol: .vocab), dim: try fields.positiveInt("dim"),
                  maxLength: try fields.positiveInt("max_length"), segments: try fields.nonNegativeInt("segments", default: 0),
                  dropout: try fields.fraction("dropout", default: 0), epsilon: try fields.epsilon(default: 1e-12))
    }

    public var jsonFields: [String: Any] {
        ["vocab": vocab.jsonValue, "dim": dim, "max_length": maxLength, "segments": segments, "dropout": dropout, "epsilon": epsilon]
    }

    public func outputShape(for input: [Int], context: SpecContext) throws -> [Int] {
        guard input[0] <= maxLength else { throw SpecShapeError("input has \(input[0]) tokens but max_length is \(maxLength)") }
        return [input[0], dim]
    }

    public func parameterCount(input: [Int], context: SpecContext) -> Int? {
        weightCount([vocab.resolve(context), dim], [maxLength, dim], [segments, dim], [2, dim])
    }

    public func makeLayer(input: [Int], context: SpecContext, rng: inout SeededGenerator) throws -> Layer {
        let embeddings = try BertEmbeddings(vocabSize: vocab.resolve(context), hiddenSize: dim, maxPositions: maxLength,
                                            typeVocabSize: Swift.max(segments, 1), layerNormEpsilon: Float(epsilon),
                                            dropout: Float(dropout), rng: &rng)
        return TokenEmbeddingBlock(embeddings: embeddings)
    }
}
