import TLModels
import TLSafeTensors
import Foundation
import TLTensor
import TLNN

/// Why a freeze configuration cannot be applied, trained or verified. Each case carries the
/// data; the command line turns it into a message naming its flags.
public enum FreezeError: Error, Equatable, CustomStringConvertible {
    /// A block selector (`range`, e.g. `0..7`) reaches outside the model's blocks or selects
    /// none of them; `blocks` lists the model's blocks as "index name".
    case blockOutOfRange(range: String, blocks: [String])
    /// A path rule's glob matched no parameter; `nearest` are the closest valid paths.
    case noMatch(rule: TrainingSettings.PathRule, nearest: [String])
    /// Every parameter is frozen in the phase starting at `epoch` (1-based).
    case nothingToTrain(epoch: Int)
    /// A LoRA target glob matched no linear or 1×1 convolution layer; `nearest` are the closest such layers.
    case noAdapterTarget(pattern: String, nearest: [String])
    /// LoRA adapters that cannot be built (a rank larger than a layer allows).
    case invalidAdapter(String)
    /// A parameter or buffer that stayed frozen for the whole run differs from the source.
    case frozenTensorChanged(name: String, source: String)

    public var description: String {
        switch self {
        case let .blockOutOfRange(range, blocks):
            return "block selection '\(range)' is outside the model's blocks: \(blocks.joined(separator: ", "))"
        case let .noMatch(rule, nearest):
            return "pattern '\(rule.pattern)' matches no parameter" + (nearest.isEmpty ? "" : "; nearest valid paths: \(nearest.joined(separator: ", "))")
        case let .noAdapterTarget(pattern, nearest):
            return "pattern '\(pattern)' matches no linear or 1×1 convolution layer" + (nearest.isEmpty ? "" : "; nearest: \(nearest.joined(separator: ", "))")
        case .invalidAdapter(let message): return "LoRA adapter: \(message)"
        case .nothingToTrain(let epoch):
            return "every parameter is frozen from epoch \(epoch): nothing to train"
        case let .frozenTensorChanged(name, source):
            return "frozen tensor \(name) changed during fine-tuning (it must be bit-identical to \(source))"
        }
    }
}

extension FreezeError: LocalizedError {
    public var errorDescription: String? { description }
}

/// Applies a typed freeze configuration (`TrainingSettings.freeze` block selectors, then
/// `pathRules` in order) to a model, by parameter identity.
public enum Freezing {
    /// The model's blocks as "index name" (for messages).
    public static func blockListing(_ model: TransferModel) -> [String] {
        (0..<model.blockCount).map { "\($0) \(model.spec.blocks[$0].name)" }
    }

    /// The block indices `selectors` select on `model` (sorted, unique).
    public static func blocks(_ selectors: [BlockSelector], model: TransferModel) throws -> [Int] {
        var chosen = Set<Int>()
        for selector in selectors {
            do {
                chosen.formUnion(try selector.resolve(blockCount: model.blockCount))
            } catch ModuleError.blockOutOfRange(let range, _) {
                throw FreezeError.blockOutOfRange(range: range, blocks: blockListing(model))
            }
        }
        return chosen.sorted()
    }

    /// Freezes the selected blocks (with LoRA: every parameter but the adapters and the
    /// head), then applies the path rules in order; returns the blocks selected by `settings.freeze`.
    @discardableResult
    public static func apply(_ settings: TrainingSettings, to model: TransferModel) throws -> [Int] {
        let frozen = try blocks(settings.freeze, model: model)
        for b in frozen { for p in model.blocks[b].parameters() { p.freeze() } }
        if settings.lora != nil {
            let head = model.pathPrefix(ofBlock: model.headIndex)
            for (path, p) in model.namedParameters() where !path.hasPrefix(head) && !Module.isAdapterPath(path) { p.freeze() }
        }
        for rule in settings.pathRules {
            do {
                for (_, p) in try model.selectParameters(.pattern(rule.pattern)) {
                    if rule.freeze { p.freeze() } else { p.unfreeze() }
                }
            } catch ModuleError.noMatch(_, let nearest) {
                throw FreezeError.noMatch(rule: rule, nearest: nearest)
            }
        }
        return frozen
    }
}

extension Freezing {
    /// Attaches LoRA adapters to the layers `config.targets` match (a glob that matches no
    /// adapter-capable layer is `FreezeError.noAdapterTarget`, an impossible rank `.invalidAdapter`).
    public static func attachAdapters(_ config: LoRAConfig, to model: TransferModel, rng: inout SeededGenerator) throws {
        do {
            try model.attachLoRA(config, rng: &rng)
        } catch ModuleError.noMatch(let pattern, let nearest) {
            throw FreezeError.noAdapterTarget(pattern: pattern, nearest: nearest)
        } catch ModuleError.invalidConfiguration(let layer, let message) {
            throw FreezeError.invalidAdapter("\(layer) \(message)")
        }
    }
}

/// The check that freezing really froze: every parameter frozen for the whole run (by the
/// `FreezeSchedule`), and the BatchNorm statistics of blocks frozen for the whole run, equal
/// the source checkpoint bit for bit. Blocks released by gradual unfreezing are reported
/// with the epoch they were released, not verified.
public struct FrozenVerification: Sendable {
    /// Tensors and values compared.
    public var tensorCount: Int
    public var valueCount: Int
    /// Blocks all of whose parameters stayed frozen (and were verified).
    public var frozenBlocks: [Int]
    /// Blocks released during the run, with the first epoch (1-based) they trained.
    public var released: [FreezeSchedule.Release]

    /// Verifies `model` after a run of `epochsRun` epochs (including a partly run one)
    /// against the source checkpoint `file`. The head is skipped when it was replaced.
    public static func check(model: TransferModel, schedule: FreezeSchedule, epochsRun: Int, against file: SafeTensorsFile,
                             path: String, headReplaced: Bool) throws -> FrozenVerification {
        try check(model: model, schedule: schedule, epochsRun: epochsRun, reading: { try file.floats($0) },
                  path: path, headReplaced: headReplaced)
    }

    /// The same check with the source's tensors read one at a time by `floats` (name → values),
    /// e.g. straight from the file on disk, so the run need not hold the source in memory.
    public static func check(model: TransferModel, schedule: FreezeSchedule, epochsRun: Int,
                             reading floats: (String) throws -> [Float],
                             path: String, headReplaced: Bool) throws -> FrozenVerification {
        let frozen = schedule.frozenThroughout(epochs: epochsRun)
        let skipped: Set<Int> = headReplaced ? [model.headIndex] : []
        var names = model.namedParameters().filter { path, p in
            let id = ObjectIdentifier(p)
            return frozen.contains(id) && !(schedule.block(of: id).map(skipped.contains) ?? false)
        }.map(\.path)
        // Running statistics only stay put when the whole block stayed frozen.
        let frozenBlocks = (0..<model.blockCount).filter { b in
            let params = model.blocks[b].parameters()
            return !skipped.contains(b) && !params.isEmpty && params.allSatisfy { frozen.contains(ObjectIdentifier($0)) }
        }
        for b in frozenBlocks { names += model.blocks[b].namedBuffers().map { model.pathPrefix(ofBlock: b) + $0.path } }
        let state = model.stateDictionary()
        var values = 0
        for name in names {
            guard let current = state[name] else { continue }
            let original = try floats(name)
            guard original.count == current.count,
                  zip(original, current.scalars).allSatisfy({ $0.bitPattern == $1.bitPattern }) else {
                throw FreezeError.frozenTensorChanged(name: name, source: path)
            }
            values += original.count
        }
        return FrozenVerification(tensorCount: names.count, valueCount: values, frozenBlocks: frozenBlocks,
                                  released: schedule.releases(throughEpoch: epochsRun))
    }
}
