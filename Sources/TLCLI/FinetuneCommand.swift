import Foundation
import TLTensor
import TLNN
import TLTransfer
import TLData
import TLModels
import TLReport
import TLSafeTensors

/// `tl finetune`: reuses a pretrained checkpoint for a (small) target task.
struct FinetuneCommand: Command {
    enum HeadPolicy: String, ChoiceArgument { case auto, new, keep }

    static let from = OptionalOption<String>("from", valueName: "checkpoint", requiredUnless: ["resume"],
        help: "The pretrained checkpoint to start from.")
    static let freeze = RepeatedOption<FreezeArgument>("freeze", valueName: "blocks",
        help: "Freeze top-level blocks: 0..3 or 0...3 (inclusive), 0..<4, 2.., 2, 1,3, head, head-2..head-1 (counted from the head), all, all-but-head or none; or auto (blocks 0…k, k the block whose output has the highest LogME on the training data).")
    static let freezePath = RepeatedOption<String>("freeze-path", valueName: "glob", help: "Freeze parameters whose dotted path matches (after --freeze, in order).")
    static let unfreezePath = RepeatedOption<String>("unfreeze-path", valueName: "glob", help: "Unfreeze parameters whose dotted path matches (in order).")
    static let head = Option<HeadPolicy>("head", default: .auto,
        help: "Replace the head (new), keep it (keep), or replace it when the target's classes differ (auto).")
    static let lrDecay = OptionalOption<Double>("lr-decay", valueName: "factor",
        help: "Discriminative learning rates: each block below the head gets this factor times the rate of the block above.")
    static let unfreezeEvery = OptionalOption<Int>("unfreeze-every", valueName: "epochs", help: "Gradual unfreezing: release one more frozen block, from the top, every N epochs.")
    static let probeEpochs = Option<Int>("probe-epochs", default: 0, help: "Train the new head alone for N epochs first (linear probing), then fine-tune.")
    static let noCache = Flag("no-cache", help: "Do not cache the outputs of a frozen, deterministic prefix.")
    static let dryRun = Flag("dry-run", help: "Print the plan (blocks, freezing, BatchNorm mode, learning rates, and each probing/unfreezing phase with its per-block learning rates) and train nothing.")
    static let data = DataOptions(role: .training)
    static let resume = ResumeOptions()
    static let training = TrainingOptions()
    static let compute = ComputeOptions()
    static let distributed = DistributedOptions()
    /// `--out` is required unless `--dry-run` or `--lr find` (checked in `run`: the parser cannot tell `--lr find` from `--lr 0.01`).
    static let output = OutputOptions(product: .checkpoint(requiredUnless: []))
    static let report = ReportOptions()
    static let adaptation = AdaptationOptions(role: .finetune)

    var name: String { "finetune" }
    var abstract: String { "Fine-tune a pretrained checkpoint on a small target dataset." }
    var discussion: String {
        """
        Loads --from, replaces the head when the target's classes differ, freezes the requested blocks \
        (frozen blocks run BatchNorm with running statistics and are excluded from the optimizer), trains, \
        and then verifies that every tensor frozen for the whole run is bit-identical to the source checkpoint \
        (blocks released by --unfreeze-every are listed with the epoch they were released).
        Example: tl finetune --from source.safetensors --data mnist5k --classes 5-9 --per-class 10 --freeze 0..3 --out target.safetensors
        """
    }
    var arguments: [any ArgumentDefinition] {
        [Self.from, Self.freeze, Self.freezePath, Self.unfreezePath, Self.head, Self.lrDecay, Self.unfreezeEvery, Self.probeEpochs,
         Self.noCache, Self.dryRun] + Self.loraArguments
    }
    var groups: [any OptionGroup] { [Self.data, Self.resume, Self.training, Self.adaptation, Self.compute, Self.distributed, Self.output, Self.report] }

    /// The run's settings: the training group's plus the fine-tuning options (freezing, learning-rate
    /// decay, unfreezing, probing, caching). The demo builds its settings with this too.
    static func settings(_ a: ParsedArguments) throws -> TrainingSettings {
        var settings = try training.settings(a)
        let freezeArguments = a[freeze]   // parsed by the argument parser: typed from here on
        settings.freeze = freezeArguments.compactMap { if case .blocks(let s) = $0 { return s } else { return nil } }
        if freezeArguments.contains(.auto) && freezeArguments.count > 1 {
            throw UsageError.invalid("--freeze", expected: "auto alone (it chooses the whole freeze depth)", got: freezeArguments.map(\.argumentDescription).joined(separator: " "))
        }
        settings.pathRules = a.sequence.compactMap { item in
            guard item.name == "freeze-path" || item.name == "unfreeze-path", let glob = item.value as? String else { return nil }
            return TrainingSettings.PathRule(pattern: glob, freeze: item.name == "freeze-path")
        }
        if let d = a[lrDecay] {
            guard d > 0, d <= 1 else { throw UsageError(.invalidValue(option: "--lr-decay", expected: "a factor in (0, 1]", got: "\(d)")) }
            settings.learningRateDecay = d
        }
        if let n = a[unfreezeEvery] {
            guard n >= 1 else { throw UsageError(.invalidValue(option: "--unfreeze-every", expected: "a positive integer", got: String(n))) }
            settings.unfreezeEvery = n
        }
        guard a[probeEpochs] >= 0 else { throw UsageError(.invalidValue(option: "--probe-epochs", expected: "an integer ≥ 0", got: String(a[probeEpochs]))) }
        settings.probeEpochs = a[probeEpochs]
        settings.useCache = !a[noCache]
        settings.lora = try loraConfig(a)
        return settings
    }

    func run(_ a: ParsedArguments, context: CommandContext) throws -> ExitCode {
        var settings = try Self.settings(a)
        let dryRun = a[Self.dryRun]
        if dryRun, a[ReportOptions.report] != nil {
            throw UsageError("--report needs a run to report on; --dry-run trains nothing")
        }
        let lrMode = a[TrainingOptions.lr]
        guard dryRun || lrMode == .find || Self.output.outURL(a) != nil else {
            throw UsageError(.missingRequired("required option --out <file> (or --dry-run, or --lr find)"))
        }
        let out = Self.output.outURL(a) ?? URL(fileURLWithPath: "/dev/null")

        let resumed = try Self.resume.load(a)
        let resumedCheckpoint = resumed?.checkpoint
        if let resumed { settings = resumed.snapshot.state.settings }

        guard let fromPath = a[Self.from] ?? resumedCheckpoint?.info.parent else {
            throw UsageError(.missingRequired("required option --from <checkpoint>"))
        }
        let fromURL = URL(fileURLWithPath: fromPath)
        // Released before training (LoadedSource): the model holds its own copy of the weights.
        var sourceFile: SafeTensorsFile? = try SafeTensorsFile.read(from: fromURL)
        let loadedSource = LoadedSource(fromURL)
        let source = try Checkpoint.header(of: sourceFile!, path: fromURL.path)
        try Self.checkNotAdapters(source.info, path: fromURL.path)
        let (data, task) = try Self.data.task(a, seed: settings.seed, recorded: resumedCheckpoint?.info,
                                              image: ImagePreparation.forModel(source.spec, info: source.info))
        let targetClasses = task.selected.classNames
        let replaceHead: Bool
        switch a[Self.head] {
        case .new: replaceHead = true
        case .keep:
            guard targetClasses.count == source.info.classNames.count else {
                throw UsageError(.invalidValue(option: "--head", expected: "new or auto: the source head has \(source.info.classNames.count) classes, the target \(targetClasses.count)", got: "keep"))
            }
            replaceHead = false
        case .auto: replaceHead = targetClasses != source.info.classNames
        }
        var rng = SeededGenerator(seed: settings.seed)
        let model: TransferModel
        do {
            if let resumedCheckpoint {
                model = resumedCheckpoint.model
                try Freezing.apply(settings, to: model)
            } else {
                model = try Experiments.finetuneModel(source: sourceFile!, path: fromURL.path, classCount: targetClasses.count,
                                                      replaceHead: replaceHead, settings: settings, rng: &rng).0
            }
        } catch let error as FreezeError {
            throw Self.usageError(error)   // a selector that matches nothing is a usage error (exit 2)
        }
        let encoding = TextEncoding.from(kind: source.info.tokenizer, vocabulary: source.info.vocabulary)
        let prepared = try TrainingPipeline.prepare(task.selected, spec: model.spec, settings: settings,
                                                    normalization: source.info.normalization, encoding: encoding)
        try TrainingOptions.checkAugmentation(settings, prepared: prepared, data: data.description)
        let say: (String) -> Void = { if Self.output.showsProgress(a) { context.printError($0) } }
        if resumed == nil && a[Self.freeze].contains(.auto) {
            try Self.chooseFreezeDepth(model: model, settings: &settings, train: prepared.train, batchSize: try ComputeOptions.batchSize(a),
                                       show: dryRun ? { _ in } : say)
        }
        var sweep: LearningRateFinder.Sweep? = nil
        if resumed == nil && (lrMode == .find || lrMode == .auto) {
            let found = try Self.findLearningRate(source: sourceFile!, path: fromURL.path, classCount: targetClasses.count, replaceHead: replaceHead,
                                                  settings: settings, train: prepared.train)
            if lrMode == .find {
                if Self.output.wantsJSON(a) { context.print(jsonText(Self.sweepJSON(found))) } else { context.print(Self.sweepTable(found)) }
                return .success
            }
            settings.learningRate = found.suggestion
            settings.learningRateChoice = found.choice
            if !dryRun { say(Self.sweepTable(found)) }
            sweep = found
        }
        if resumed == nil { try Self.adaptation.record(a, in: &settings, train: prepared.train, model: model) }
        let domain = try AdaptationOptions.inputs(for: &settings, train: prepared.train, spec: model.spec, normalization: source.info.normalization,
                                                  encoding: encoding, image: ImagePreparation.forModel(source.spec, info: source.info))
        let schedule = FreezeSchedule(settings: settings, model: model)
        if dryRun {
            context.print(FinetunePlan.render(model: model, settings: settings, schedule: schedule, replaceHead: replaceHead,
                                              source: source.info, trainCount: prepared.train.count,
                                              validationCount: prepared.validation?.count ?? 0))
            if let choice = settings.freezeChoice { context.print("\n" + Self.freezeChoiceTable(choice)) }
            if let sweep { context.print("\n" + Self.sweepTable(sweep)) }
            return .success
        }
        if Self.output.showsProgress(a), let note = task.selected.reading.images { context.printError(note) }
        if Self.output.showsProgress(a), let note = prepared.inputNote { context.printError(note) }
        if Self.output.showsProgress(a) {
            let frozenCount = model.parameters().filter(\.isFrozen).reduce(0) { $0 + $1.count }
            context.printError("finetune \(fromURL.lastPathComponent) on \(task.selected.source): \(prepared.train.count) training, \(prepared.validation?.count ?? 0) validation samples; head \(replaceHead ? "replaced (\(targetClasses.count) classes)" : "kept"); \(frozenCount) of \(model.parameterCount) parameters frozen")
        }
        var info = CheckpointInfo(kind: "finetune", classNames: targetClasses, seed: settings.seed)
        info.data = data.description
        info.selection = task.selection
        info.settings = settings
        info.command = TrainingOptions.commandLine
        info.normalization = source.info.normalization
        info.preprocessing = source.info.preprocessing
        info.image = source.info.image
        info.vocabulary = source.info.vocabulary
        info.tokenizer = source.info.tokenizer
        info.parent = fromURL.path
        if let lora = settings.lora {
            info.adapters = try Checkpoint.adapterInfo(model: model, config: lora, basePath: fromURL.path)
            if let adapters = info.adapters { say(Self.describeAdapters(adapters, model: model)) }
        }
        // A replaced head is kept beside the new one, for `tl eval --source-data`.
        var kept = Checkpoint(model: model, info: info)
        if replaceHead { try kept.keepSourceHead(from: sourceFile!, sourceInfo: source.info) }
        info = kept.info
        sourceFile = nil
        let trainer = try Trainer(model: model, settings: settings, train: prepared.train, validation: prepared.validation)
        trainer.domain = domain
        if Self.output.showsProgress(a) { for line in settings.adaptation?.summaryLines ?? [] { context.printError(line) } }
        let runner = try TrainingRunner(context: context, output: Self.output, resume: Self.resume, arguments: a, out: out,
                                        communicator: try Self.distributed.communicator(a))
        let outcome: TrainingOutcome
        do {
            outcome = try runner.run(trainer, resume: resumed?.snapshot) { snapshot in
                try writeResume(snapshot, model: model, info: info, to: runner.resumeURL)
            }
        } catch FreezeError.nothingToTrain(let epoch) {
            throw TrainingError("every parameter is frozen from epoch \(epoch): nothing to train (loosen --freeze, --freeze-path or --probe-epochs)")
        }
        // Blocks frozen for the whole run must be bit-identical to the source; released ones are listed.
        let verification = try loadedSource.verifyFrozen(model: model, schedule: trainer.schedule,
                                                         epochsRun: outcome.history.count + (outcome.interrupted ? 1 : 0),
                                                         headReplaced: replaceHead)
        info.frozenBlocks = verification.frozenBlocks
        info.releasedBlocks = verification.released.isEmpty ? nil : verification.released
        if Self.output.showsProgress(a) { context.printError(Self.describe(verification, model: model, source: fromURL.path)) }
        // AdaBN last (after the check above: it changes running statistics, never weights).
        var adaBN: AdaptiveBatchNorm.Summary? = nil
        if settings.adaptation?.adaptBatchNorm == true, outcome.divergence == nil, !outcome.interrupted, let unlabeled = domain.unlabeled {
            adaBN = try AdaptiveBatchNorm.adapt(model, on: unlabeled, batchSize: Swift.max(settings.batchSize, 256))
            if Self.output.showsProgress(a), let b = adaBN { context.printError(AdaptCommand.describe(b)) }
        }
        let released = verification.released.map { ["block": $0.block, "name": model.spec.blocks[$0.block].name, "epoch": $0.epoch] as [String: Any] }
        let code = try finish(outcome, model: model, info: info, extraTensors: kept.extraTensors, out: out, runner: runner, arguments: a,
                              output: Self.output, context: context,
                              extraSummary: ["frozen_tensors_verified": verification.tensorCount, "frozen_values_verified": verification.valueCount,
                                             "released_blocks": released, "learning_rate": settings.learningRate,
                                             "freeze_choice": settings.freezeChoice.map(Self.freezeChoiceJSON) ?? NSNull(),
                                             "learning_rate_sweep": sweep.map(Self.sweepJSON) ?? NSNull(),
                                             "adaptation": AdaptationOptions.json(settings.adaptation, adaBN: adaBN)])
        if code == .success, let reportURL = Self.report.url(a) {
            try ReportOptions.write(to: reportURL, quiet: !Self.output.showsProgress(a), context: context) {
                try RunReports.training(command: name, model: model, info: info.finished(outcome), out: out, prepared: prepared,
                                        source: (try loadedSource.reread(), fromURL.path), headReplaced: replaceHead,
                                        batchSize: settings.batchSize)
            }
        }
        return code
    }

    /// The freeze errors of the library, as usage errors naming the flag.
    static func usageError(_ error: FreezeError) -> UsageError {
        switch error {
        case let .blockOutOfRange(range, blocks):
            return UsageError("--freeze: '\(range)' is outside the model's blocks; blocks are: \(blocks.joined(separator: ", "))")
        case let .noMatch(rule, _):
            return UsageError("\(rule.freeze ? "--freeze-path" : "--unfreeze-path"): \(error)")
        case .noAdapterTarget:
            return UsageError("--lora-targets: \(error)")
        case .invalidAdapter:
            return UsageError("--lora: \(error)")
        default:
            return UsageError("\(error)")
        }
    }

    /// "verified: … bit-identical to …; released by gradual unfreezing: block 1 (conv2) at epoch 3, …"
    static func describe(_ v: FrozenVerification, model: TransferModel, source: String) -> String {
        var text = v.tensorCount == 0 ? "no tensor stayed frozen for the whole run: nothing to verify"
            : "verified: \(v.tensorCount) frozen tensors (\(v.valueCount) values) are bit-identical to \(source)"
        if !v.released.isEmpty {
            text += "; released by gradual unfreezing: " + v.released.map { "block \($0.block) (\(model.spec.blocks[$0.block].name)) at epoch \($0.epoch)" }.joined(separator: ", ")
        }
        return text
    }
}

/// A `--freeze` value: a block selector, or `auto` (resolved to a selector before training).
enum FreezeArgument: ArgumentValue, Equatable {
    case blocks(BlockSelector), auto

    static var valueName: String { "blocks" }
    static var expectation: String { "block indices or ranges (0..3, 0...3, 0..<4, 2.., 1,3, head, head-2..head-1, all, all-but-head, none) or auto" }
    init?(argument text: String) {
        if text.trimmingCharacters(in: .whitespaces) == "auto" { self = .auto; return }
        guard let selector = BlockSelector(argument: text) else { return nil }
        self = .blocks(selector)
    }
    var argumentDescription: String {
        switch self {
        case .blocks(let s): return s.argumentDescription
        case .auto: return "auto"
        }
    }
}

extension BlockSelector: ArgumentValue {
    public static var valueName: String { "blocks" }
    public static var expectation: String { "block indices or ranges (0..3, 0...3, 0..<4, 2.., 1,3, head, head-2..head-1, all, all-but-head, none)" }
    public init?(argument text: String) {
        guard let parsed = try? BlockSelector.parse(text) else { return nil }
        self = parsed
    }
    public var argumentDescription: String { description }
}
