import TLTensor

/// Sizes of a BERT-family encoder.
public struct BertConfig: Equatable, Sendable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var intermediateSize: Int
    public var maxPositions: Int
    public var typeVocabSize: Int
    public var layerNormEpsilon: Float
    public var hiddenDropout: Float
    public var attentionDropout: Float
    /// Standard deviation of the N(0, σ²) init of Linear and Embedding weights (HF's 0.02).
    public var initializerRange: Float
    /// Whether the model has BERT's pooler (Linear + tanh on the first token).
    public var hasPooler: Bool

    public init(vocabSize: Int, hiddenSize: Int, layerCount: Int, headCount: Int, intermediateSize: Int,
                maxPositions: Int = 512, typeVocabSize: Int = 2, layerNormEpsilon: Float = 1e-12,
                hiddenDropout: Float = 0.1, attentionDropout: Float = 0.1, initializerRange: Float = 0.02,
                hasPooler: Bool = false) {
        self.vocabSize = vocabSize; self.hiddenSize = hiddenSize; self.layerCount = layerCount
        self.headCount = headCount; self.intermediateSize = intermediateSize; self.maxPositions = maxPositions
        self.typeVocabSize = typeVocabSize; self.layerNormEpsilon = layerNormEpsilon
        self.hiddenDropout = hiddenDropout; self.attentionDropout = attentionDropout
        self.initializerRange = initializerRange; self.hasPooler = hasPooler
    }

    /// sentence-transformers/all-MiniLM-L6-v2: 6 layers, 384 wide, 12 heads, intermediate 1536.
    public static let miniLML6 = BertConfig(vocabSize: 30522, hiddenSize: 384, layerCount: 6, headCount: 12,
                                            intermediateSize: 1536, hasPooler: true)
}

/// BERT embeddings: word + position + token-type embeddings → LayerNorm → dropout.
///
///     ids, tokenTypes: [N·T] laid out [N, T] → [N, T, D]
///
/// Names ↔ HF: wordEmbeddings ↔ word_embeddings, positionEmbeddings ↔ position_embeddings,
/// tokenTypeEmbeddings ↔ token_type_embeddings, layerNorm ↔ LayerNorm.
public final class BertEmbeddings: Module {
    public let wordEmbeddings: Embedding
    public let positionEmbeddings: Embedding
    public let tokenTypeEmbeddings: Embedding
    public let layerNorm: LayerNorm
    public let dropout: Dropout

    public init(vocabSize: Int, hiddenSize: Int, maxPositions: Int, typeVocabSize: Int = 2,
                layerNormEpsilon: Float = 1e-12, dropout: Float = 0.1, rng: inout SeededGenerator) throws {
        wordEmbeddings = try Embedding(count: vocabSize, dimension: hiddenSize, rng: &rng)
        positionEmbeddings = try Embedding(count: maxPositions, dimension: hiddenSize, rng: &rng)
        tokenTypeEmbeddings = try Embedding(count: typeVocabSize, dimension: hiddenSize, rng: &rng)
        layerNorm = try LayerNorm(featureCount: hiddenSize, epsilon: layerNormEpsilon)
        self.dropout = try Dropout(probability: dropout, rng: &rng)
    }

    /// Embeds token ids of shape [N, T]; positions are 0..<T; token types default to 0.
    public func forward(tokenIDs: [Int], shape: [Int], tokenTypeIDs: [Int]? = nil) throws -> Tensor {
        guard shape.count == 2 else {
            throw ModuleError.invalidInput(layer: "BertEmbeddings", message: "ids must be shaped [N, T], got \(shape)")
        }
        let t = shape[1]
        guard t <= positionEmbeddings.count else {
            throw ModuleError.invalidInput(layer: "BertEmbeddings", message: "sequence length \(t) exceeds the \(positionEmbeddings.count) positions")
        }
        let words = try wordEmbeddings(tokenIDs, shape: shape)                                   // [N, T, D]
        let positions = try positionEmbeddings(Array(0..<t), shape: [1, t])                     // [1, T, D]
        // Without type ids every token has type 0: one row broadcast over [N, T] (the same
        // sums as gathering it N·T times, without the gather and its scatter-add backward).
        let types = try tokenTypeIDs.map { try tokenTypeEmbeddings($0, shape: shape) }
            ?? tokenTypeEmbeddings([0], shape: [1, 1])                                         // [N, T, D] or [1, 1, D]
        return try dropout(layerNorm(words + positions + types))
    }
}

/// A BERT-family encoder: embeddings → encoder layers (→ optional pooler).
///
/// Ordered blocks for `--freeze` ranges: block 0 is `embeddings`, blocks 1…L are
/// `encoder.layers.0` … `encoder.layers.(L−1)`; the pooler is not a block. Freezing `0..k`
/// therefore freezes the input side up to encoder layer k−1, a prefix that needs no backward.
///
/// Init follows HF BERT: Linear and Embedding weights ~ N(0, initializerRange²), biases 0,
/// LayerNorm weight 1, bias 0. `huggingFaceName(forPath:)` / `path(forHuggingFaceName:)`
/// translate parameter names to and from HF checkpoints.
public final class BertModel: Module {
    public let config: BertConfig
    public let embeddings: BertEmbeddings
    public let encoder: TransformerEncoder
    /// BERT's pooler dense layer (first token → Linear → tanh), if configured.
    public let pooler: Linear?

    public init(config: BertConfig, rng: inout SeededGenerator) throws {
        self.config = config
        embeddings = try BertEmbeddings(vocabSize: config.vocabSize, hiddenSize: config.hiddenSize,
                                        maxPositions: config.maxPositions, typeVocabSize: config.typeVocabSize,
                                        layerNormEpsilon: config.layerNormEpsilon, dropout: config.hiddenDropout, rng: &rng)
        var layers: [TransformerEncoderBlock] = []
        for _ in 0..<max(config.layerCount, 0) {
            layers.append(try TransformerEncoderBlock(hiddenSize: config.hiddenSize, headCount: config.headCount,
                                                      intermediateSize: config.intermediateSize, dropout: config.hiddenDropout,
                                                      attentionDropout: config.attentionDropout,
                                                      layerNormEpsilon: config.layerNormEpsilon, rng: &rng))
        }
        encoder = TransformerEncoder(layers: layers)
        pooler = config.hasPooler ? try Linear(inFeatures: config.hiddenSize, outFeatures: config.hiddenSize, rng: &rng) : nil
        super.init()
        // HF `_init_weights`: N(0, range²) weights for Linear and Embedding, zero Linear biases.
        for (_, m) in namedModules() {
            if let linear = m as? Linear {
                try linear.weight.assign(Tensor.normal(linear.weight.shape, std: config.initializerRange, using: &rng))
                if let b = linear.bias { try b.assign(Tensor.zeros(b.shape)) }
            } else if let e = m as? Embedding {
                try e.weight.assign(Tensor.normal(e.weight.shape, std: config.initializerRange, using: &rng))
            }
        }
    }

    public override func blockList() -> [(path: String, module: Module)]? {
        [("embeddings", embeddings)] + encoder.layers.enumerated().map { ("encoder.layers.\($0.offset)", $0.element) }
    }

    /// The final hidden states [N, T, D] for token ids shaped [N, T] with a [N, T] 0/1 mask.
    public func forward(tokenIDs: [Int], shape: [Int], tokenTypeIDs: [Int]? = nil, attentionMask: Tensor? = nil) throws -> Tensor {
        let h = try embeddings.forward(tokenIDs: tokenIDs, shape: shape, tokenTypeIDs: tokenTypeIDs)
        return try encoder(h, attentionMask: attentionMask)
    }

    /// BERT's pooled output tanh(W·h[:, 0] + b): [N, T, D] → [N, D]. Throws without a pooler.
    public func pooled(_ hidden: Tensor) throws -> Tensor {
        guard let pooler else { throw ModuleError.invalidConfiguration(layer: "BertModel", message: "the model has no pooler") }
        let first = try hidden.sliced(axis: 1, 0..<1).squeezed(axis: 1)
        return try pooler(first).tanh()
    }

    /// Mean of the hidden states over unmasked positions (sentence-transformers pooling):
    /// [N, T, D] with mask [N, T] → [N, D].
    public static func meanPooled(_ hidden: Tensor, attentionMask: Tensor) throws -> Tensor {
        let m = try attentionMask.detached().unsqueezed(axis: 2)                      // [N, T, 1]
        let total = try (hidden * m).sum(axis: 1)                                     // [N, D]
        let counts = try m.sum(axis: 1).clamp(min: 1e-9)                              // [N, 1]
        return try total / counts
    }

    /// The HF checkpoint name of one of this model's parameter paths
    /// (`encoder.layers.3.attentionNorm.weight` → `encoder.layer.3.attention.output.LayerNorm.weight`).
    public static func huggingFaceName(forPath path: String) -> String {
        var parts = path.split(separator: ".").map(String.init)
        guard !parts.isEmpty else { return path }
        if parts[0] == "embeddings", parts.count >= 2 {
            let map = ["wordEmbeddings": "word_embeddings", "positionEmbeddings": "position_embeddings",
                       "tokenTypeEmbeddings": "token_type_embeddings", "layerNorm": "LayerNorm"]
            parts[1] = map[parts[1]] ?? parts[1]
        } else if parts[0] == "encoder", parts.count >= 4, parts[1] == "layers" {
            parts[1] = "layer"
            let rest = Array(parts[3...])
            let mapped: [String]
            switch rest.first {
            case "attention" where rest.count >= 2 && rest[1] == "output": mapped = ["attention", "output", "dense"] + rest[2...]
            case "attention": mapped = ["attention", "self"] + rest[1...]
            case "attentionNorm": mapped = ["attention", "output", "LayerNorm"] + rest[1...]
            case "intermediate": mapped = ["intermediate", "dense"] + rest[1...]
            case "output": mapped = ["output", "dense"] + rest[1...]
            case "outputNorm": mapped = ["output", "LayerNorm"] + rest[1...]
            default: mapped = rest
            }
            parts = Array(parts[0...2]) + mapped
        } else if parts[0] == "pooler" {
            parts = ["pooler", "dense"] + parts[1...]
        }
        return parts.joined(separator: ".")
    }

    /// The model path for an HF checkpoint name, accepting an optional `bert.` prefix and the
    /// old `gamma`/`beta` LayerNorm names; `nil` for names this model does not have
    /// (e.g. `embeddings.position_ids`, MLM heads).
    public func path(forHuggingFaceName name: String) -> String? {
        var n = name.hasPrefix("bert.") ? String(name.dropFirst(5)) : name
        if n.hasSuffix(".gamma") { n = String(n.dropLast(6)) + ".weight" }
        if n.hasSuffix(".beta") { n = String(n.dropLast(5)) + ".bias" }
        for (path, _) in namedParameters() where Self.huggingFaceName(forPath: path) == n { return path }
        return nil
    }
}
