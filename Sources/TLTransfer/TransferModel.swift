import TLTensor
import TLNN

/// A model built from a `ModelSpec`: one `Sequential` per top-level block, held in `blocks`,
/// so parameter paths read `blocks.<block>.<layer>.<name>` (e.g. `blocks.0.0.weight`) and
/// block-index selectors (`--freeze 0..3`) address the spec's blocks.
public final class TransferModel: Layer {
    /// The top-level blocks, in order; the last is the head.
    public let blocks: Sequential
    /// The architecture.
    public let spec: ModelSpec
    /// Width of the head's output.
    public let classCount: Int
    /// Vocabulary size of token models (0 otherwise).
    public let vocabularySize: Int

    /// Builds the architecture with freshly initialised weights drawn from `rng`.
    public init(spec: ModelSpec, classCount: Int, vocabularySize: Int = 0, rng: inout SeededGenerator) throws {
        guard classCount >= 1 else {
            throw ModuleError.invalidConfiguration(layer: spec.name, message: "need at least one class, got \(classCount)")
        }
        self.spec = spec
        self.classCount = classCount
        self.vocabularySize = vocabularySize
        var shape: [Int]
        switch spec.input {
        case .dense(let s): shape = s
        case .tokens(let t):
            guard vocabularySize > 0 else {
                throw ModuleError.invalidConfiguration(layer: spec.name, message: "a token model needs a vocabulary")
            }
            shape = [t]
        }
        var built: [Layer] = []
        for block in spec.blocks {
            var layers: [Layer] = []
            for layer in block.layers {
                layers.append(try Self.makeLayer(layer, shape: &shape, classes: classCount, vocab: vocabularySize, rng: &rng))
            }
            built.append(Sequential(layers))
        }
        blocks = Sequential(built)
    }

    private static func makeLayer(_ layer: ModelSpec.LayerSpec, shape: inout [Int], classes: Int, vocab: Int,
                                  rng: inout SeededGenerator) throws -> Layer {
        switch layer {
        case .flatten:
            shape = [shape.reduce(1, *)]
            return Flatten()
        case let .linear(out, bias):
            let n = out.resolve(classes: classes, vocab: vocab)
            defer { shape[shape.count - 1] = n }
            return try Linear(inFeatures: shape[shape.count - 1], outFeatures: n, bias: bias, rng: &rng)
        case let .conv2d(out, kernel, stride, padding, bias):
            let conv = try Conv2D(inChannels: shape[2], outChannels: out, kernelSize: kernel, stride: stride,
                                  padding: .explicit(height: padding, width: padding), bias: bias, rng: &rng)
            shape = [(shape[0] + 2 * padding - kernel) / stride + 1, (shape[1] + 2 * padding - kernel) / stride + 1, out]
            return conv
        case let .maxPool(size, stride):
            shape = [(shape[0] - size) / stride + 1, (shape[1] - size) / stride + 1, shape[2]]
            return try MaxPool2D(kernelSize: (size, size), stride: (stride, stride))
        case let .avgPool(size, stride):
            shape = [(shape[0] - size) / stride + 1, (shape[1] - size) / stride + 1, shape[2]]
            return try AvgPool2D(kernelSize: (size, size), stride: (stride, stride))
        case .globalAvgPool:
            shape = [shape[2]]
            return GlobalAvgPool()
        case .batchNorm:
            return try BatchNorm(featureCount: shape[shape.count - 1])
        case .layerNorm(let epsilon):
            return try LayerNorm(featureCount: shape[shape.count - 1], epsilon: Float(epsilon))
        case .dropout(let rate):
            return try Dropout(probability: Float(rate), rng: &rng)
        case .relu: return ReLU()
        case .gelu: return GELU()
        case .tanh: return Tanh()
        case .sigmoid: return Sigmoid()
        case let .residual(out, stride):
            let block = try ResidualBlock(inChannels: shape[2], outChannels: out, stride: stride, rng: &rng)
            shape = [(shape[0] - 1) / stride + 1, (shape[1] - 1) / stride + 1, out]
            return block
        case let .embedding(vocabDim, dim, maxLength, segments, dropout, epsilon):
            let embeddings = try BertEmbeddings(vocabSize: vocabDim.resolve(classes: classes, vocab: vocab), hiddenSize: dim,
                                                maxPositions: maxLength, typeVocabSize: Swift.max(segments, 1),
                                                layerNormEpsilon: Float(epsilon), dropout: Float(dropout), rng: &rng)
            shape = [shape[0], dim]
            return TokenEmbeddingBlock(embeddings: embeddings)
        case let .encoder(heads, ffn, norm, dropout, epsilon):
            let block = try TransformerEncoderBlock(hiddenSize: shape[1], headCount: heads, intermediateSize: ffn,
                                                    dropout: Float(dropout), attentionDropout: Float(dropout),
                                                    layerNormEpsilon: Float(epsilon), preNorm: norm == .pre, rng: &rng)
            return MaskedEncoderLayer(layer: block)
        case .sequencePool(let mode):
            shape = [shape[1]]
            return SequencePool(mode: mode)
        }
    }

    /// Number of top-level blocks.
    public var blockCount: Int { blocks.count }

    /// Index of the head (the last block).
    public var headIndex: Int { blocks.count - 1 }

    /// Path prefix of block `i`'s parameters (`blocks.i.`).
    public func pathPrefix(ofBlock i: Int) -> String { "blocks.\(i)." }

    //  x: [N, …input] → logits [N, classes]
    public override func forward(_ x: Tensor) throws -> Tensor { try blocks.forward(x) }

    /// Runs blocks `range` only (for frozen-prefix caching: features of the prefix, then the rest).
    public func forward(_ x: Tensor, blocks range: Range<Int>) throws -> Tensor {
        var h = x
        for i in range { h = try blocks[i].forward(h) }
        return h
    }

    /// Whether every parameter of block `i` is frozen (blocks without parameters count as frozen).
    public func isBlockFrozen(_ i: Int) -> Bool {
        blocks[i].parameters().allSatisfy(\.isFrozen)
    }

    /// Whether block `i` computes the same output for the same input in its current mode:
    /// no active dropout, and BatchNorm only in running-statistics mode (frozen or eval).
    public func isBlockDeterministic(_ i: Int) -> Bool {
        for (_, m) in blocks[i].namedModules() {
            if let d = m as? Dropout, d.probability > 0, d.isTraining { return false }
            if let bn = m as? BatchNorm, bn.usesBatchStatistics { return false }
        }
        return true
    }
}
