import Foundation
import TLTensor
import TLNN
import TLSafeTensors

/// The source task's head, kept in a fine-tuned checkpoint whose head was replaced, so the
/// fine-tuned body can still be scored on the source task (`tl eval --source-data`). Its
/// tensors are stored as `sourceHead.<path>` (e.g. `sourceHead.blocks.4.0.weight`), beside
/// the model's own state and ignored when the model loads.
public struct SourceHeadInfo: Codable, Sendable, Equatable {
    /// The source head's classes.
    public var classNames: [String]
    /// The data the source model trained on, and how its samples were selected.
    public var data: String?
    public var selection: DataSelection?
    public var settings: TrainingSettings?
    public var seed: UInt64

    public init(source: CheckpointInfo) {
        classNames = source.classNames
        data = source.data
        selection = source.selection
        settings = source.settings
        seed = source.seed
    }

    /// The source's training record as a `CheckpointInfo` (what `tl eval` needs to find the
    /// source samples its training never saw).
    public var sourceInfo: CheckpointInfo {
        var info = CheckpointInfo(kind: "pretrain", classNames: classNames, seed: seed)
        info.data = data
        info.selection = selection
        info.settings = settings
        return info
    }
}

extension Checkpoint {
    /// Prefix of the source head's tensors.
    public static let sourceHeadPrefix = "sourceHead."

    /// Keeps the head of `source` (the checkpoint this one was fine-tuned from) beside the new one.
    public mutating func keepSourceHead(from source: SafeTensorsFile, sourceInfo: CheckpointInfo) throws {
        let prefix = model.pathPrefix(ofBlock: model.headIndex)
        for (name, stored) in source.tensors where name.hasPrefix(prefix) && !Self.isExtra(name) {
            extraTensors[Self.sourceHeadPrefix + name] = try Tensor(stored.floats(), shape: stored.shape)
        }
        info.sourceHead = SourceHeadInfo(source: sourceInfo)
    }

    /// The fine-tuned body under the source head: a model for the source task's classes with
    /// every tensor of this model but the head, and the kept source head. Nil when the
    /// checkpoint kept no source head.
    public func bodyWithSourceHead() throws -> TransferModel? {
        guard let head = info.sourceHead else { return nil }
        var rng = SeededGenerator(seed: 0)
        let body = try TransferModel(spec: model.spec, classCount: head.classNames.count, vocabularySize: model.vocabularySize, rng: &rng)
        if let adapters = info.adapters { try body.attachLoRA(rank: adapters.rank, alpha: adapters.alpha, at: adapters.modules, rng: &rng) }
        let prefix = model.pathPrefix(ofBlock: model.headIndex)
        var state = model.stateDictionary().filter { !$0.key.hasPrefix(prefix) }
        for (name, t) in extraTensors where name.hasPrefix(Self.sourceHeadPrefix) {
            state[String(name.dropFirst(Self.sourceHeadPrefix.count))] = t
        }
        try body.loadState(state)
        return body
    }
}
