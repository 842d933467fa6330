import TLModels
import TLSafeTensors
import Foundation
import TLNN

/// Which parameters are frozen in which epochs of a run: linear probing (head only), then
/// the user's freeze configuration, released one block at a time from the top by gradual
/// unfreezing. The Trainer trains by it and the dry-run plan prints it, so the two cannot
/// disagree. Parameters are tracked by identity (`ObjectIdentifier`), not by path.
public struct FreezeSchedule: Sendable {
    /// Epochs `firstEpoch...lastEpoch` (1-based) with one freeze state.
    public struct Phase: Sendable, Equatable {
        public var firstEpoch: Int
        public var lastEpoch: Int
        /// Linear probing: everything but the head is frozen.
        public var probing: Bool
        /// Blocks released from the initial freeze so far, in release order (top first).
        public var released: [Int]
    }

    /// A block released by gradual unfreezing (recorded in checkpoints, so declared in TLModels).
    public typealias Release = BlockRelease

    /// How a block's parameters stand in one phase.
    public enum BlockState: Sendable, Equatable {
        case noParameters, frozen, trainable
        case partial(frozen: Int, of: Int)
    }

    public let phases: [Phase]
    /// Blocks holding initially frozen parameters, top first: the order of gradual unfreezing.
    public let unfreezeOrder: [Int]
    /// The parameters frozen when the schedule was made (the user's freeze configuration).
    public let initiallyFrozen: Set<ObjectIdentifier>
    /// Each block's parameters, by identity.
    let blockParameters: [[ObjectIdentifier]]
    let blockIndex: [ObjectIdentifier: Int]
    let headIndex: Int

    /// The schedule of a run of `settings` on `model`, whose current freeze state is the
    /// user's freeze configuration.
    public init(settings: TrainingSettings, model: TransferModel) {
        let perBlock = (0..<model.blockCount).map { model.blocks[$0].parameters().map(ObjectIdentifier.init) }
        blockParameters = perBlock
        var index: [ObjectIdentifier: Int] = [:]
        for (b, ids) in perBlock.enumerated() { for id in ids { index[id] = b } }
        blockIndex = index
        headIndex = model.headIndex
        let frozen = Set(model.parameters().filter(\.isFrozen).map(ObjectIdentifier.init))
        initiallyFrozen = frozen
        let order = (0..<model.blockCount).reversed().filter { b in perBlock[b].contains(where: frozen.contains) }
        unfreezeOrder = order
        phases = Self.phases(epochs: settings.epochs, probeEpochs: settings.probeEpochs, unfreezeEvery: settings.unfreezeEvery,
                             order: order)
    }

    /// The phase boundaries: `probeEpochs` of probing, then one phase per released block
    /// every `unfreezeEvery` epochs until none is left, all clipped to `epochs`.
    static func phases(epochs: Int, probeEpochs: Int, unfreezeEvery: Int?, order: [Int]) -> [Phase] {
        var result: [Phase] = []
        let probe = Swift.min(Swift.max(probeEpochs, 0), epochs)
        if probe > 0 { result.append(Phase(firstEpoch: 1, lastEpoch: probe, probing: true, released: [])) }
        guard let every = unfreezeEvery, every > 0, !order.isEmpty else {
            if probe < epochs { result.append(Phase(firstEpoch: probe + 1, lastEpoch: epochs, probing: false, released: [])) }
            return result
        }
        for k in 0...order.count {
            let start = probe + k * every
            guard start < epochs else { break }
            let end = k == order.count ? epochs : Swift.min(epochs, start + every)
            result.append(Phase(firstEpoch: start + 1, lastEpoch: end, probing: false, released: Array(order.prefix(k))))
        }
        return result
    }

    /// Index of the phase that holds `epoch` (0-based, as the Trainer counts).
    public func phaseIndex(forEpoch epoch: Int) -> Int {
        phases.firstIndex { epoch + 1 <= $0.lastEpoch } ?? (phases.count - 1)
    }

    /// The block holding a parameter.
    public func block(of parameter: ObjectIdentifier) -> Int? { blockIndex[parameter] }

    /// The parameters frozen in phase `i`.
    public func frozenParameters(inPhase i: Int) -> Set<ObjectIdentifier> {
        let phase = phases[i]
        if phase.probing {
            return Set(blockParameters.enumerated().filter { $0.offset != headIndex }.flatMap(\.element))
        }
        var frozen = initiallyFrozen
        for b in phase.released { frozen.subtract(blockParameters[b]) }
        return frozen
    }

    /// How block `b` stands in phase `i`.
    public func state(ofBlock b: Int, inPhase i: Int) -> BlockState {
        let ids = blockParameters[b]
        guard !ids.isEmpty else { return .noParameters }
        let frozen = frozenParameters(inPhase: i)
        let n = ids.filter(frozen.contains).count
        return n == 0 ? .trainable : n == ids.count ? .frozen : .partial(frozen: n, of: ids.count)
    }

    /// The parameters frozen in every phase that a run of `epochs` epochs entered.
    public func frozenThroughout(epochs: Int) -> Set<ObjectIdentifier> {
        let entered = phases.indices.filter { phases[$0].firstEpoch <= Swift.max(epochs, 1) }
        guard let first = entered.first else { return initiallyFrozen }
        return entered.dropFirst().reduce(frozenParameters(inPhase: first)) { $0.intersection(frozenParameters(inPhase: $1)) }
    }

    /// Blocks released by gradual unfreezing within the first `epochs` epochs.
    public func releases(throughEpoch epochs: Int) -> [Release] {
        var result: [Release] = []
        for phase in phases where phase.firstEpoch <= epochs && !phase.probing {
            for b in phase.released where !result.contains(where: { $0.block == b }) {
                result.append(Release(block: b, epoch: phase.firstEpoch))
            }
        }
        return result
    }
}
