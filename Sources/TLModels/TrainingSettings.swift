import Foundation
import TLNN
import TLOptim
import TLData

/// Every knob of a training run. Stored in checkpoints, so `tl eval --baseline scratch`
/// can re-train with exactly the same budget and settings.
public struct TrainingSettings: Codable, Sendable, Equatable {
    public enum OptimizerKind: String, Codable, Sendable, CaseIterable { case sgd, adam, adamw }
    public enum ScheduleKind: String, Codable, Sendable, CaseIterable { case constant, step, cosine, onecycle }

    public var epochs: Int = 10
    public var batchSize: Int = 64
    public var learningRate: Double = 1e-3
    public var optimizer: OptimizerKind = .adam
    /// SGD momentum (Adam uses β₁ = 0.9).
    public var momentum: Double = 0.9
    public var weightDecay: Double = 0
    public var schedule: ScheduleKind = .constant
    /// Linear warm-up steps before the schedule.
    public var warmupSteps: Int = 0
    /// Fraction of the training data held out (stratified) for validation and model selection.
    public var validationSplit: Double = 0.1
    /// Stop after this many epochs without a better validation accuracy.
    public var earlyStopping: Int? = nil
    /// Augmentations of the training images (`--augment`); checkpoints from before plans
    /// stored a Bool, which decodes as `.legacyDefault` or `.none`.
    public var augment: AugmentationPlan = .none
    public var clipNorm: Double? = nil
    public var labelSmoothing: Double = 0
    public var seed: UInt64 = 0

    // Fine-tuning.
    /// Block selectors frozen at the start (`--freeze`), parsed once at the command line.
    /// (Checkpoints written before the typed form hold their text; see `BlockSelector`.)
    public var freeze: [BlockSelector] = []
    /// Glob refinements applied in order after `freeze`: (pattern, freeze?).
    public var pathRules: [PathRule] = []
    /// Discriminative learning rates: block i below the head gets decay^(head − i) × lr.
    public var learningRateDecay: Double? = nil
    /// Gradual unfreezing: one more frozen block (from the top) every N epochs.
    public var unfreezeEvery: Int? = nil
    /// Epochs training the head alone before fine-tuning.
    public var probeEpochs: Int = 0
    /// Train on cached outputs of a frozen, deterministic prefix.
    public var useCache: Bool = true
    /// Set when the freeze depth was chosen by `--freeze auto` (then `freeze` holds the result).
    public var freezeChoice: FreezeChoice? = nil
    /// LoRA adapters (`--lora`): attached to the matching layers after loading the source;
    /// then only the adapters and the head train.
    public var lora: LoRAConfig? = nil
    /// Set when the learning rate was chosen by the learning-rate finder (`--lr auto`).
    public var learningRateChoice: LearningRateChoice? = nil

    /// Domain adaptation and re-weighting (nil: none); see `DomainAdaptationSettings`.
    public var adaptation: DomainAdaptationSettings? = nil

    /// A dotted-path glob (`--freeze-path` / `--unfreeze-path`; see `ParameterSelector.pattern`)
    /// and whether it freezes or unfreezes what it matches.
    public struct PathRule: Codable, Sendable, Equatable {
        public var pattern: String
        public var freeze: Bool
        public init(pattern: String, freeze: Bool) { self.pattern = pattern; self.freeze = freeze }
    }

    public init() {}

    /// The learning rate of block `block` of a model whose head is block `headIndex`:
    /// `lr × decay^(head − block)` with `--lr-decay`, else `lr`.
    public func learningRate(ofBlock block: Int, headIndex: Int) -> Double {
        learningRate * Foundation.pow(learningRateDecay ?? 1, Double(headIndex - block))
    }

    /// The learning-rate schedule for a run of `totalSteps` optimizer steps.
    public func learningRateSchedule(totalSteps: Int, stepsPerEpoch: Int) -> LearningRateSchedule {
        let total = Swift.max(totalSteps, 1)
        let base: LearningRateSchedule
        switch schedule {
        case .constant: base = .constant
        case .step: base = .step(stepSize: Swift.max(1, stepsPerEpoch * Swift.max(1, epochs / 3)), gamma: 0.1)
        case .cosine: base = .cosine(totalSteps: Swift.max(1, total - warmupSteps), minimumFactor: 0)
        case .onecycle: return .oneCycle(totalSteps: total)
        }
        return warmupSteps > 0 ? .warmup(steps: warmupSteps, startFactor: 0, then: base) : base
    }
}
