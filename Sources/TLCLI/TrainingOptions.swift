import Foundation
import TLTransfer
import TLData
import TLKernels

extension TrainingSettings.OptimizerKind: ChoiceArgument {}
extension TrainingSettings.ScheduleKind: ChoiceArgument {}

extension UInt64: ArgumentValue {
    public static var valueName: String { "int" }
    public static var expectation: String { "a non-negative integer" }
    public init?(argument text: String) { self.init(text) }
    public var argumentDescription: String { String(self) }
}

/// Options shared by every command that trains (pretrain, finetune, eval baselines, demo).
enum TrainingOptions {
    static let data = OptionalOption<String>("data", valueName: "source",
        help: (["Training data, a built-in name or FORMAT:PATH[,key=value…]."] + DataSource.helpLines()).joined(separator: "\n"))
    static let classes = OptionalOption<String>("classes", valueName: "list",
        help: "Keep only these classes, relabelled 0… in this order (e.g. 5-9, or 0,2,4, or names).")
    static let perClass = OptionalOption<Int>("per-class", valueName: "n",
        help: "Few-shot: draw this many training samples per class (seeded).")
    static let out = OptionalOption<String>("out", short: "o", valueName: "file", help: "Where to write the checkpoint (.safetensors); required unless --dry-run.")
    static let seed = Option<UInt64>("seed", default: 0, help: "Seed for initialisation, sampling, shuffling, dropout and augmentation.")
    static let threads = OptionalOption<Int>("threads", valueName: "n", help: "Worker threads for the kernels (default: all cores, or TL_NUM_THREADS).")
    static let batchSize = Option<Int>("batch-size", default: 64, help: "Samples per optimizer step.")
    static let epochs = Option<Int>("epochs", default: 10, help: "Passes over the training data.")
    static let lr = Option<Double>("lr", default: 1e-3, help: "Learning rate (the maximum for onecycle).")
    static let optimizer = Option<TrainingSettings.OptimizerKind>("optimizer", default: .adam, help: "Optimizer.")
    static let momentum = Option<Double>("momentum", default: 0.9, help: "SGD momentum.")
    static let weightDecay = Option<Double>("weight-decay", default: 0, help: "Weight decay (decoupled for adamw).")
    static let schedule = Option<TrainingSettings.ScheduleKind>("schedule", default: .constant, help: "Learning-rate schedule.")
    static let warmup = Option<Int>("warmup", default: 0, help: "Linear warm-up steps before the schedule.")
    static let valSplit = Option<Double>("val-split", default: 0.1,
        help: "Fraction of the training data held out (stratified) to pick the best epoch; 0 keeps the last epoch.")
    static let earlyStopping = OptionalOption<Int>("early-stopping", valueName: "patience",
        help: "Stop after this many epochs without a better validation accuracy.")
    static let augment = Flag("augment", help: "Random shifts and noise on training images (seeded).")
    static let clipNorm = OptionalOption<Double>("clip-norm", valueName: "max", help: "Clip gradients to this global L2 norm.")
    static let labelSmoothing = Option<Double>("label-smoothing", default: 0, help: "Label smoothing of the cross-entropy loss.")
    static let quiet = Flag("quiet", short: "q", help: "No progress output.")
    static let json = Flag("json", help: "Print a machine-readable summary to stdout.")

    static var dataArguments: [any ArgumentDefinition] { [data, classes, perClass] }
    static var common: [any ArgumentDefinition] {
        [seed, threads, batchSize, epochs, lr, optimizer, momentum, weightDecay, schedule, warmup, valSplit,
         earlyStopping, augment, clipNorm, labelSmoothing, quiet, json]
    }

    /// Validated settings from the parsed options.
    static func settings(_ a: ParsedArguments) throws -> TrainingSettings {
        var s = TrainingSettings()
        func positive(_ value: Int, _ name: String) throws -> Int {
            guard value >= 1 else { throw UsageError(.invalidValue(option: "--\(name)", expected: "a positive integer", got: String(value))) }
            return value
        }
        s.seed = a[seed]
        s.batchSize = try positive(a[batchSize], "batch-size")
        s.epochs = try positive(a[epochs], "epochs")
        guard a[lr] > 0, a[lr].isFinite else { throw UsageError(.invalidValue(option: "--lr", expected: "a positive number", got: "\(a[lr])")) }
        s.learningRate = a[lr]
        s.optimizer = a[optimizer]
        s.momentum = a[momentum]
        guard a[weightDecay] >= 0 else { throw UsageError(.invalidValue(option: "--weight-decay", expected: "a number ≥ 0", got: "\(a[weightDecay])")) }
        s.weightDecay = a[weightDecay]
        s.schedule = a[schedule]
        guard a[warmup] >= 0 else { throw UsageError(.invalidValue(option: "--warmup", expected: "a step count ≥ 0", got: "\(a[warmup])")) }
        s.warmupSteps = a[warmup]
        guard a[valSplit] >= 0, a[valSplit] < 1 else { throw UsageError(.invalidValue(option: "--val-split", expected: "a fraction in [0, 1)", got: "\(a[valSplit])")) }
        s.validationSplit = a[valSplit]
        if let p = a[earlyStopping] { s.earlyStopping = try positive(p, "early-stopping") }
        s.augment = a[augment]
        if let c = a[clipNorm] {
            guard c > 0 else { throw UsageError(.invalidValue(option: "--clip-norm", expected: "a positive number", got: "\(c)")) }
            s.clipNorm = c
        }
        guard a[labelSmoothing] >= 0, a[labelSmoothing] < 1 else {
            throw UsageError(.invalidValue(option: "--label-smoothing", expected: "a number in [0, 1)", got: "\(a[labelSmoothing])"))
        }
        s.labelSmoothing = a[labelSmoothing]
        try applyThreads(a)
        return s
    }

    /// The data argument, or with `--resume` the data recorded in the resume file.
    /// Parses a data argument; a malformed one is a usage error (exit 2) naming `--data`.
    static func parseDataArgument(_ text: String) throws -> DataSource {
        do { return try DataSource.parse(text, option: "--data") } catch let e as DataSourceError { throw UsageError(e.message) }
    }

    /// Validates and applies `--threads` (every command that computes takes it).
    static func applyThreads(_ a: ParsedArguments) throws {
        guard let t = a[threads] else { return }
        guard t >= 1 else { throw UsageError(.invalidValue(option: "--threads", expected: "a positive integer", got: String(t))) }
        try setKernelThreadCount(t)
    }

    static func dataSource(_ a: ParsedArguments, recorded: CheckpointInfo? = nil) throws -> DataSource {
        if let text = a[data] {
            return try parseDataArgument(text)
        }
        if let recorded = recorded?.data { return try DataSource.parse(recorded, option: "recorded data") }
        throw UsageError(.missingRequired("required option --data <source>"))
    }

    /// Loads the task's samples: from the options, or exactly as recorded in a resume file.
    static func task(_ a: ParsedArguments, settings: TrainingSettings, recorded: CheckpointInfo?) throws -> (DataSource, TaskData) {
        let source = try dataSource(a, recorded: recorded)
        if let recorded, let selection = recorded.selection, a[data] == nil {
            return (source, try TaskData.select(source.load(), source: source, selection: selection))
        }
        return (source, try TaskData.load(source, classes: a[classes], perClass: try perClassValue(a), seed: settings.seed))
    }

    static func perClassValue(_ a: ParsedArguments) throws -> Int? {
        guard let n = a[perClass] else { return nil }
        guard n >= 1 else { throw UsageError(.invalidValue(option: "--per-class", expected: "a positive integer", got: String(n))) }
        return n
    }

    /// Validates an output path up front, so a long run never ends in a failed write.
    static func outputURL(_ a: ParsedArguments) throws -> URL {
        guard let path = a[out] else { throw UsageError(.missingRequired("required option --out <file>")) }
        guard path.hasSuffix(".safetensors") else {
            throw UsageError(.invalidValue(option: "--out", expected: "a .safetensors file name", got: path))
        }
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        let folder = url.deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: folder.isEmpty ? "." : folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw UsageError(.invalidValue(option: "--out", expected: "a path in an existing folder", got: path))
        }
        return url
    }

    /// The command line as typed, for checkpoint provenance.
    static var commandLine: String {
        (["tl"] + CommandLine.arguments.dropFirst()).map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
    }
}
