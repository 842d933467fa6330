import Foundation
import TLTensor
import TLNN
import TLData
import TLModels
import TLSafeTensors

/// Quiet, self-contained training runs used to judge transfer: the fine-tuned model
/// re-trained with another seed, the same architecture trained from scratch, and a linear
/// probe on frozen source features. Each returns its test metrics.
public enum Experiments {
    public enum Kind: String, Sendable, Codable { case finetune, scratch, probe }

    /// One run's result.
    public struct Run: Sendable {
        public var kind: Kind
        public var seed: UInt64
        public var metrics: ClassificationMetrics
        public var trainCount: Int
        public var testCount: Int
        public var seconds: Double
        /// The run's per-epoch figures (learning curves).
        public var history: [EpochSummary] = []
    }

    /// Builds the fine-tuning model from a source checkpoint file: head replaced when asked,
    /// then the block and path freezing of `settings` applied.
    public static func finetuneModel(source file: SafeTensorsFile, path: String, classCount: Int, replaceHead: Bool,
                                     settings: TrainingSettings, rng: inout SeededGenerator) throws -> (TransferModel, [Int]) {
        let model = try Checkpoint.decode(file, path: path, classCount: classCount, dropHead: replaceHead, rng: &rng).model
        if let lora = settings.lora { try Freezing.attachAdapters(lora, to: model, rng: &rng) }
        return (model, try Freezing.apply(settings, to: model))
    }

    /// Trains one `kind` of model with `seed` on the few-shot/selected data drawn with that
    /// seed, and evaluates it on the samples of the same classes it did not train on
    /// (`test` overrides that held-out set).
    ///
    /// - finetune: from the source checkpoint with `settings` (freezing included);
    /// - scratch: the same architecture (or `scratchSpec`), freshly initialised, every block
    ///   trained, same budget; a token `scratchSpec` gets a word vocabulary built from its own
    ///   training split (a small model cannot use a pretrained 30k-token vocabulary well);
    /// - probe: from the source checkpoint with every block but the (new) head frozen.
    public static func run(_ kind: Kind, seed: UInt64, source file: SafeTensorsFile, sourcePath: String,
                           data: Dataset, dataSource: DataSource, selection: DataSelection, settings base: TrainingSettings,
                           test explicitTest: Dataset? = nil, scratchSpec: ModelSpec? = nil) throws -> Run {
        let started = Date()
        var settings = base
        settings.seed = seed
        var selectionForSeed = selection
        selectionForSeed.seed = seed
        let task = try TaskData.select(data, source: dataSource, selection: selectionForSeed)
        let (trainRaw, testRaw) = try trainAndTest(task, explicitTest: explicitTest, seed: seed)
        let source = try Checkpoint.header(of: file, path: sourcePath)   // metadata only; the weights load once below
        let classNames = trainRaw.classNames
        var rng = SeededGenerator(seed: seed)
        let model: TransferModel
        var info = CheckpointInfo(kind: kind.rawValue, classNames: classNames, seed: seed)
        let prepared: PreparedTask
        switch kind {
        case .scratch:
            settings.freeze = []
            settings.pathRules = []
            settings.learningRateDecay = nil
            settings.unfreezeEvery = nil
            settings.probeEpochs = 0
            settings.lora = nil
            // The same architecture keeps the source vocabulary so both sides read the same ids;
            // another architecture builds its own word vocabulary from its training split.
            let spec = scratchSpec ?? source.spec
            let encoding = scratchSpec == nil
                ? TextEncoding.from(kind: source.info.tokenizer, vocabulary: source.info.vocabulary) : nil
            prepared = try TrainingPipeline.prepare(trainRaw, spec: spec, settings: settings, encoding: encoding)
            model = try TransferModel(spec: spec, classCount: classNames.count,
                                      vocabularySize: prepared.encoding?.vocabulary.count ?? 0, rng: &rng)
        case .finetune, .probe:
            if kind == .probe {
                settings.freeze = [.allButHead]
                settings.pathRules = []
                settings.unfreezeEvery = nil
                settings.probeEpochs = 0
                settings.lora = nil
            }
            let replace = classNames != source.info.classNames
            model = try finetuneModel(source: file, path: sourcePath, classCount: classNames.count, replaceHead: replace,
                                      settings: settings, rng: &rng).0
            let encoding = TextEncoding.from(kind: source.info.tokenizer, vocabulary: source.info.vocabulary)
            prepared = try TrainingPipeline.prepare(trainRaw, spec: model.spec, settings: settings,
                                                    normalization: source.info.normalization, encoding: encoding)
        }
        info.normalization = prepared.normalization
        info.preprocessing = kind == .scratch ? nil : source.info.preprocessing
        info.vocabulary = prepared.encoding?.vocabulary
        info.tokenizer = prepared.encoding?.kind
        let trainer = try Trainer(model: model, settings: settings, train: prepared.train, validation: prepared.validation)
        let outcome = try trainer.run()
        if let d = outcome.divergence { throw TrainingError("\(kind.rawValue) run with seed \(seed) diverged: \(d)") }
        guard testRaw.count > 0 else { throw TrainingError("no held-out samples to evaluate the \(kind.rawValue) run on") }
        let test = try TrainingPipeline.prepareForEvaluation(testRaw, model: model, info: info)
        let metrics = try TrainingPipeline.evaluate(model, data: test)
        return Run(kind: kind, seed: seed, metrics: metrics, trainCount: trainRaw.count, testCount: test.count,
                   seconds: Date().timeIntervalSince(started), history: outcome.history)
    }

    /// The share of the data held out as the test set when the recorded run trained on every
    /// sample of its classes (no few-shot draw) and no other test data is given.
    public static let heldOutTestFraction = 0.2

    /// A run's training and test samples: the few-shot draw and what it left out, or the selected
    /// data and `explicitTest`. Without a draw nothing is left out, so a stratified
    /// `heldOutTestFraction` of the selected samples (seeded by the run's seed, the same for every
    /// kind of run) is set aside before training; the training pipeline then splits its own
    /// validation set off the rest, so the test samples choose nothing.
    static func trainAndTest(_ task: TaskData, explicitTest: Dataset?, seed: UInt64) throws -> (train: Dataset, test: Dataset) {
        if let explicitTest { return (task.selected, explicitTest) }
        if task.rest.count > 0 { return (task.selected, task.rest) }
        let counts = task.selected.classCounts()
        if let small = counts.indices.first(where: { counts[$0] < 2 }) {
            throw HeldOutSplitError(data: task.selected.source, className: task.selected.classNames[small], count: counts[small])
        }
        let split = try task.selected.stratifiedSplit(validationFraction: heldOutTestFraction, seed: seed &+ 31)
        var test = split.validation
        test.source = task.selected.source + " [held-out test split]"
        return (split.train, test)
    }
}

/// No test set can be held out of data that a class has fewer than 2 samples of (one must
/// train, one must test), and no other test data was given. Thrown before any training.
public struct HeldOutSplitError: Error, CustomStringConvertible, LocalizedError {
    public let data: String
    public let className: String
    public let count: Int
    public var description: String {
        "\(data): class '\(className)' has \(count) sample\(count == 1 ? "" : "s"), too few to hold out a test split "
            + "(each class needs at least 2)"
    }
    public var errorDescription: String? { description }
}
