import Foundation
import TLTensor
import TLNN
import TLTransfer
import TLData

/// `tl finetune`: reuses a pretrained checkpoint for a (small) target task.
struct FinetuneCommand: Command {
    enum HeadPolicy: String, ChoiceArgument { case auto, new, keep }

    static let from = OptionalOption<String>("from", valueName: "checkpoint", help: "The pretrained checkpoint to start from (recorded in the resume file with --resume).")
    static let freeze = RepeatedOption<String>("freeze", valueName: "blocks",
        help: "Freeze top-level blocks: 0..3, 0...3, 0..<4, 2, 1,3, none or all-but-head (repeatable).")
    static let freezePath = RepeatedOption<String>("freeze-path", valueName: "glob", help: "Freeze parameters whose dotted path matches (after --freeze, in order).")
    static let unfreezePath = RepeatedOption<String>("unfreeze-path", valueName: "glob", help: "Unfreeze parameters whose dotted path matches (in order).")
    static let head = Option<HeadPolicy>("head", default: .auto,
        help: "Replace the head (new), keep it (keep), or replace it when the target's classes differ (auto).")
    static let lrDecay = OptionalOption<Double>("lr-decay", valueName: "factor",
        help: "Discriminative learning rates: each block below the head gets this factor times the rate of the block above.")
    static let unfreezeEvery = OptionalOption<Int>("unfreeze-every", valueName: "epochs", help: "Gradual unfreezing: release one more frozen block, from the top, every N epochs.")
    static let probeEpochs = Option<Int>("probe-epochs", default: 0, help: "Train the new head alone for N epochs first (linear probing), then fine-tune.")
    static let noCache = Flag("no-cache", help: "Do not cache the outputs of a frozen, deterministic prefix.")
    static let dryRun = Flag("dry-run", help: "Print the plan (blocks, freezing, BatchNorm mode, learning rates) and train nothing.")
    static let resume = OptionalOption<String>("resume", valueName: "file", help: "Continue an interrupted run from its .resume.safetensors file.")

    var name: String { "finetune" }
    var abstract: String { "Fine-tune a pretrained checkpoint on a small target dataset." }
    var discussion: String {
        """
        Loads --from, replaces the head when the target's classes differ, freezes the requested blocks \
        (frozen blocks run BatchNorm with running statistics and are excluded from the optimizer), trains, \
        and then verifies that every frozen tensor is bit-identical to the source checkpoint.
        Example: tl finetune --from source.safetensors --data mnist5k --classes 5-9 --per-class 10 --freeze 0..3 --out target.safetensors
        """
    }
    var arguments: [any ArgumentDefinition] {
        [Self.from, TrainingOptions.out] + TrainingOptions.dataArguments
            + [Self.freeze, Self.freezePath, Self.unfreezePath, Self.head, Self.lrDecay, Self.unfreezeEvery, Self.probeEpochs,
               Self.noCache, Self.dryRun, Self.resume] + TrainingOptions.common
    }

    func run(_ a: ParsedArguments, context: CommandContext) throws -> ExitCode {
        var settings = try TrainingOptions.settings(a)
        settings.freeze = a[Self.freeze]
        settings.pathRules = a.sequence.compactMap { item in
            guard item.name == "freeze-path" || item.name == "unfreeze-path", let glob = item.value as? String else { return nil }
            return TrainingSettings.PathRule(pattern: glob, freeze: item.name == "freeze-path")
        }
        if let d = a[Self.lrDecay] {
            guard d > 0, d <= 1 else { throw UsageError(.invalidValue(option: "--lr-decay", expected: "a factor in (0, 1]", got: "\(d)")) }
            settings.learningRateDecay = d
        }
        if let n = a[Self.unfreezeEvery] {
            guard n >= 1 else { throw UsageError(.invalidValue(option: "--unfreeze-every", expected: "a positive integer", got: String(n))) }
            settings.unfreezeEvery = n
        }
        guard a[Self.probeEpochs] >= 0 else { throw UsageError(.invalidValue(option: "--probe-epochs", expected: "an integer ≥ 0", got: String(a[Self.probeEpochs]))) }
        settings.probeEpochs = a[Self.probeEpochs]
        settings.useCache = !a[Self.noCache]
        let dryRun = a[Self.dryRun]
        let out = dryRun ? URL(fileURLWithPath: "/dev/null") : try TrainingOptions.outputURL(a)

        let resumed = try a[Self.resume].map(ResumeFile.load)
        let resumedCheckpoint = resumed?.checkpoint
        if let resumed { settings = resumed.snapshot.state.settings }

        guard let fromPath = a[Self.from] ?? resumedCheckpoint?.info.parent else {
            throw UsageError(.missingRequired("required option --from <checkpoint>"))
        }
        let fromURL = URL(fileURLWithPath: fromPath)
        let sourceFile = try SafeTensorsFile.read(from: fromURL)
        let source = try Checkpoint.header(of: sourceFile, path: fromURL.path)
        let (data, task) = try TrainingOptions.task(a, settings: settings, recorded: resumedCheckpoint?.info)
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
        let frozenBlocks: [Int]
        do {
            if let resumedCheckpoint {
                model = resumedCheckpoint.model
                frozenBlocks = try FreezeRequest.apply(settings, to: model)
            } else {
                (model, frozenBlocks) = try Experiments.finetuneModel(source: sourceFile, path: fromURL.path, classCount: targetClasses.count,
                                                                      replaceHead: replaceHead, settings: settings, rng: &rng)
            }
        } catch let error as TrainingError {
            throw UsageError(error.message)   // a selector that matches nothing is a usage error (exit 2)
        }
        let encoding = TextEncoding.from(kind: source.info.tokenizer, vocabulary: source.info.vocabulary)
        let prepared = try TrainingPipeline.prepare(task.selected, spec: model.spec, settings: settings,
                                                    normalization: source.info.normalization, encoding: encoding)
        if dryRun {
            context.print(FinetunePlan.render(model: model, settings: settings, replaceHead: replaceHead,
                                              source: source.info, trainCount: prepared.train.count,
                                              validationCount: prepared.validation?.count ?? 0))
            return .success
        }
        if !a[TrainingOptions.quiet] {
            if let note = prepared.inputNote { context.printError(note) }
            let frozenCount = model.parameters().filter(\.isFrozen).reduce(0) { $0 + $1.count }
            context.printError("finetune \(fromURL.lastPathComponent) on \(task.selected.source): \(prepared.train.count) training, \(prepared.validation?.count ?? 0) validation samples; head \(replaceHead ? "replaced (\(targetClasses.count) classes)" : "kept"); \(frozenCount) of \(model.parameterCount) parameters frozen")
        }
        var info = CheckpointInfo(kind: "finetune", classNames: targetClasses, seed: settings.seed)
        info.data = data.description
        info.selection = task.selection
        info.settings = settings
        info.command = TrainingOptions.commandLine
        info.normalization = source.info.normalization
        info.vocabulary = source.info.vocabulary
        info.tokenizer = source.info.tokenizer
        info.parent = fromURL.path
        info.frozenBlocks = frozenBlocks
        let trainer = try Trainer(model: model, settings: settings, train: prepared.train, validation: prepared.validation)
        let runner = TrainingRunner(context: context, quiet: a[TrainingOptions.quiet], json: a[TrainingOptions.json])
        let resumeURL = TrainingRunner.resumeURL(for: out)
        let outcome = try runner.run(trainer, resume: resumed?.snapshot) { snapshot in
            try writeResume(snapshot, model: model, info: info, to: resumeURL)
        }
        let verification = try FrozenVerification.check(model: model, against: sourceFile, path: fromURL.path,
                                                         skipPrefix: replaceHead ? model.pathPrefix(ofBlock: model.headIndex) : nil)
        if !a[TrainingOptions.quiet] && !a[TrainingOptions.json] { context.printError(verification.message) }
        return try finish(outcome, model: model, info: info, out: out, resumeURL: resumeURL, arguments: a, context: context,
                          extraSummary: ["frozen_tensors_verified": verification.tensorCount, "frozen_values_verified": verification.valueCount])
    }
}

/// The check that freezing really froze: every frozen parameter, and the BatchNorm
/// statistics of fully frozen blocks, equal the source checkpoint bit for bit.
enum FrozenVerification {
    struct Result { var tensorCount: Int; var valueCount: Int; var message: String }

    static func check(model: TransferModel, against file: SafeTensorsFile, path: String, skipPrefix: String?) throws -> Result {
        var names = model.namedParameters().filter { $0.parameter.isFrozen }.map(\.path)
        for b in 0..<model.blockCount where model.isBlockFrozen(b) {
            let prefix = model.pathPrefix(ofBlock: b)
            names += model.namedBuffers().map(\.path).filter { $0.hasPrefix(prefix) }
        }
        if let skipPrefix { names = names.filter { !$0.hasPrefix(skipPrefix) } }
        let state = model.stateDictionary()
        var values = 0
        for name in names {
            guard let current = state[name] else { continue }
            let original = try file.floats(name)
            guard original.count == current.count,
                  zip(original, current.scalars).allSatisfy({ $0.bitPattern == $1.bitPattern }) else {
                throw TrainingError("frozen tensor \(name) changed during fine-tuning (it must be bit-identical to \(path))")
            }
            values += original.count
        }
        let message = names.isEmpty ? "no frozen tensors to verify"
            : "verified: \(names.count) frozen tensors (\(values) values) are bit-identical to \(path)"
        return Result(tensorCount: names.count, valueCount: values, message: message)
    }
}
