import Foundation
import TLTransfer
import TLSafeTensors
import TLModels
import TLData

extension TrainingSettings.OptimizerKind: ChoiceArgument {}
extension TrainingSettings.ScheduleKind: ChoiceArgument {}

extension UInt64: ArgumentValue {
    public static var valueName: String { "int" }
    public static var expectation: String { "a non-negative integer" }
    public init?(argument text: String) { self.init(text) }
    public var argumentDescription: String { String(self) }
}

/// `--lr`: a rate, or the learning-rate finder (`find`: print its sweep; `auto`: use its suggestion).
enum LearningRateArgument: ArgumentValue, Equatable {
    case rate(Double), find, auto

    static var valueName: String { "rate" }
    static var expectation: String { "a positive number, find or auto" }
    init?(argument text: String) {
        switch text {
        case "find": self = .find
        case "auto": self = .auto
        default:
            guard let value = Double(argument: text) else { return nil }
            self = .rate(value)
        }
    }
    var argumentDescription: String {
        switch self {
        case .rate(let r): return r.argumentDescription
        case .find: return "find"
        case .auto: return "auto"
        }
    }
}

/// The optimisation options of every command that trains (pretrain, finetune): they become a
/// `TrainingSettings`, which checkpoints record so `tl eval --baseline` can re-run the same budget.
/// The batch size comes from `ComputeOptions` (one `--batch-size` for training and inference).
struct TrainingOptions: OptionGroup {
    static let seed = Option<UInt64>("seed", default: 0, help: "Seed for initialisation, sampling, shuffling, dropout and augmentation.")
    static let epochs = Option<Int>("epochs", default: 10, help: "Passes over the training data.")
    static let lr = Option<LearningRateArgument>("lr", default: .rate(1e-3),
        help: "Learning rate (the maximum for onecycle). tl finetune also takes find (run the learning-rate range test, print the loss curve and its suggestion, train nothing) or auto (train with that suggestion).")
    static let optimizer = Option<TrainingSettings.OptimizerKind>("optimizer", default: .adam, help: "Optimizer.")
    static let momentum = Option<Double>("momentum", default: 0.9, help: "SGD momentum.")
    static let weightDecay = Option<Double>("weight-decay", default: 0, help: "Weight decay (decoupled for adamw).")
    static let schedule = Option<TrainingSettings.ScheduleKind>("schedule", default: .constant, help: "Learning-rate schedule.")
    static let warmup = Option<Int>("warmup", default: 0, help: "Linear warm-up steps before the schedule.")
    static let valSplit = Option<Double>("val-split", default: 0.1,
        help: "Fraction of the training data held out (stratified) to pick the best epoch; 0 keeps the last epoch.")
    static let earlyStopping = OptionalOption<Int>("early-stopping", valueName: "patience",
        help: "Stop after this many epochs without a better validation accuracy.")
    static let augment = OptionalValueOption<String>("augment", bareValue: "default", valueName: "plan",
        help: "Seeded augmentation of training images: flip[=p], crop[=min area], rotate[=deg], color[=f], mixup[=α] or cutmix[=α], shift[=px], noise[=σ], comma-separated (e.g. flip,crop=0.8,rotate=10,color=0.2); alone: shift=2,noise=0.05. An error on text.")
    static let clipNorm = OptionalOption<Double>("clip-norm", valueName: "max", help: "Clip gradients to this global L2 norm.")
    static let labelSmoothing = Option<Double>("label-smoothing", default: 0, help: "Label smoothing of the cross-entropy loss.")

    var arguments: [any ArgumentDefinition] {
        [Self.seed, Self.epochs, Self.lr, Self.optimizer, Self.momentum, Self.weightDecay, Self.schedule, Self.warmup,
         Self.valSplit, Self.earlyStopping, Self.augment, Self.clipNorm, Self.labelSmoothing]
    }

    func prepare(_ a: ParsedArguments) throws { _ = try settings(a) }

    /// Validated settings from the parsed options (the batch size from `ComputeOptions`).
    func settings(_ a: ParsedArguments) throws -> TrainingSettings {
        var s = TrainingSettings()
        s.seed = a[Self.seed]
        s.batchSize = try ComputeOptions.batchSize(a)
        s.epochs = try Check.within(1...1_000_000, a[Self.epochs], Self.epochs)
        if case .rate(let rate) = a[Self.lr] {
            guard rate > 0 else { throw UsageError.invalid("--lr", expected: "a positive number", got: rate) }
            s.learningRate = rate
        }   // find / auto: the finder sets the rate before training (tl finetune)
        s.optimizer = a[Self.optimizer]
        guard a[Self.momentum] >= 0, a[Self.momentum] < 1 else { throw UsageError.invalid("--momentum", expected: "a number in [0, 1)", got: a[Self.momentum]) }
        s.momentum = a[Self.momentum]
        guard a[Self.weightDecay] >= 0 else { throw UsageError.invalid("--weight-decay", expected: "a number ≥ 0", got: a[Self.weightDecay]) }
        s.weightDecay = a[Self.weightDecay]
        s.schedule = a[Self.schedule]
        s.warmupSteps = try Check.atLeast(0, a[Self.warmup], Self.warmup, what: "a step count ≥ 0")
        guard a[Self.valSplit] >= 0, a[Self.valSplit] < 1 else { throw UsageError.invalid("--val-split", expected: "a fraction in [0, 1)", got: a[Self.valSplit]) }
        s.validationSplit = a[Self.valSplit]
        if let p = a[Self.earlyStopping] { s.earlyStopping = try Check.atLeast(1, p, Self.earlyStopping) }
        if let text = a[Self.augment] {
            do { s.augment = try AugmentationPlan.parse(text) } catch let e as AugmentationPlan.ParseError {
                throw UsageError("--augment: \(e.description)")
            }
        }
        if let c = a[Self.clipNorm] {
            guard c > 0 else { throw UsageError.invalid("--clip-norm", expected: "a positive number", got: c) }
            s.clipNorm = c
        }
        guard a[Self.labelSmoothing] >= 0, a[Self.labelSmoothing] < 1 else {
            throw UsageError.invalid("--label-smoothing", expected: "a number in [0, 1)", got: a[Self.labelSmoothing])
        }
        s.labelSmoothing = a[Self.labelSmoothing]
        return s
    }

    /// `--augment` applies to images `[H, W, C]`: a plan for text or flat features is an error,
    /// not a silent no-op.
    static func checkAugmentation(_ settings: TrainingSettings, prepared: PreparedTask, data: String) throws {
        guard !settings.augment.isIdentity else { return }
        let shape = prepared.train.sampleShape
        if prepared.encoding != nil {
            throw UsageError("--augment \(settings.augment): augmentations apply to images, but \(data) is text (token ids cannot be flipped, cropped or mixed)")
        }
        guard shape.count == 3 else {
            throw UsageError("--augment \(settings.augment): augmentations apply to images [H, W, C], but the model takes samples of shape \(shape) from \(data)")
        }
    }

    /// The command line as typed, for checkpoint provenance.
    static var commandLine: String {
        (["tl"] + CommandLine.arguments.dropFirst()).map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
    }
}
