import Foundation
import TLTensor
import TLNN

/// A model built from a `ModelSpec`: one `Sequential` per top-level block, held in `blocks`,
/// so parameter paths read `blocks.<block>.<layer>.<name>` (e.g. `blocks.0.0.weight`) and
/// block-index selectors (`--freeze 0..3`) address the spec's blocks. Each layer is built by
/// its kind's `LayerSpec.makeLayer` (TLNN `Spec/Layers/`).
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
    /// Blocks in `placeholderBlocks` are built under `Tensor.placeholderInitialization`: zeros,
    /// with `rng` advanced exactly as a real initialisation would, for callers that load every
    /// value of those blocks next (`Checkpoint.decode`).
    public init(spec: ModelSpec, classCount: Int, vocabularySize: Int = 0, placeholderBlocks: Range<Int> = 0..<0,
                rng: inout SeededGenerator) throws {
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
        let context = SpecContext(classes: classCount, vocab: vocabularySize)
        var built: [Layer] = []
        for block in spec.blocks {
            var layers: [Layer] = []
            try Tensor.$placeholderInitialization.withValue(placeholderBlocks.contains(built.count)) {
                for layer in block.layers {
                    layers.append(try layer.makeLayer(input: shape, context: context, rng: &rng))
                    shape = try layer.outputShape(for: shape, context: context)
                }
            }
            built.append(Sequential(layers))
        }
        blocks = Sequential(built)
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

/// A model that cannot be used the way it was asked (e.g. sentence embeddings of an image model).
public struct ModelError: Error, CustomStringConvertible, LocalizedError {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    public var errorDescription: String? { message }
}
