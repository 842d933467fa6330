import Foundation
import TLTensor
import TLTransfer
import TLSafeTensors
import TLData
import TLModels
import TLReport
import TLNN

/// `tl pretrain`: trains an architecture from `Models/*.json` on source data.
struct PretrainCommand: Command {
    static let model = SharedOptions.model(.spec)
    static let shuffleLabels = Flag("shuffle-labels",
        help: "Control run: randomly permute the training labels (seeded), so the model learns nothing transferable.")
    static let data = DataOptions(role: .training)
    static let resume = ResumeOptions()
    static let training = TrainingOptions()
    static let compute = ComputeOptions()
    static let distributed = DistributedOptions()
    static let output = OutputOptions(product: .requiredCheckpoint)
    static let report = ReportOptions()
    static let adaptation = AdaptationOptions(role: .pretrain)

    var name: String { "pretrain" }
    var abstract: String { "Train an architecture from a spec on a source dataset." }
    var discussion: String {
        """
        Keeps the weights of the epoch with the best validation accuracy and writes them as a \
        safetensors checkpoint with full provenance (architecture, class names, data, settings, seed, version). \
        Ctrl-C stops after the current batch, saves the best-so-far checkpoint and a resume file, and exits 130.
        Example: tl pretrain --model Models/lenet.json --data mnist5k --classes 0-4 --out source.safetensors
        """
    }
    var arguments: [any ArgumentDefinition] { [Self.model, Self.shuffleLabels] }
    var groups: [any OptionGroup] { [Self.data, Self.resume, Self.training, Self.adaptation, Self.compute, Self.distributed, Self.output, Self.report] }

    func run(_ a: ParsedArguments, context: CommandContext) throws -> ExitCode {
        if a[TrainingOptions.lr] == .find || a[TrainingOptions.lr] == .auto {
            throw UsageError.invalid("--lr", expected: "a positive number (the learning-rate finder, find or auto, belongs to tl finetune)", got: a[TrainingOptions.lr].argumentDescription)
        }
        var settings = try Self.training.settings(a)
        let out = Self.output.outURL(a)!
        let resumedFile = try Self.resume.load(a)
        let resumed = resumedFile?.checkpoint
        if let resumedFile { settings = resumedFile.snapshot.state.settings }
        let spec: ModelSpec
        if let resumed {
            spec = resumed.model.spec
        } else {
            let specPath = a.value(of: Self.model, as: String.self)!
            if specPath.hasSuffix(".safetensors") {
                throw UsageError.invalid("--model", expected: "an architecture spec (.json): pretrain starts from random weights; to start from the weights of \(specPath) use 'tl finetune --from \(specPath)'", got: specPath)
            }
            spec = try ModelSpec.load(from: URL(fileURLWithPath: specPath))
        }
        var (source, task) = try Self.data.task(a, seed: settings.seed, recorded: resumed?.info, image: ImagePreparation.forModel(spec))
        let shuffled = a[Self.shuffleLabels] || resumed?.info.labelsShuffled == true
        if shuffled {
            var shuffleRNG = SeededGenerator(seed: settings.seed &+ 99)
            task.selected.labels.seededShuffle(using: &shuffleRNG)
            task.selected.source += " [labels shuffled]"
        }
        let prepared = try TrainingPipeline.prepare(task.selected, spec: spec, settings: settings,
                                                    encoding: resumed.flatMap { TextEncoding.from(kind: $0.info.tokenizer, vocabulary: $0.info.vocabulary) })
        try TrainingOptions.checkAugmentation(settings, prepared: prepared, data: source.description)
        var rng = SeededGenerator(seed: settings.seed)
        let model = try resumed?.model ?? TransferModel(spec: spec, classCount: prepared.classNames.count,
                                                        vocabularySize: prepared.encoding?.vocabulary.count ?? 0, rng: &rng)
        if resumed == nil { try Self.adaptation.record(a, in: &settings, train: prepared.train, model: model) }
        let domain = try AdaptationOptions.inputs(for: &settings, train: prepared.train, spec: spec, normalization: prepared.normalization,
                                                  encoding: prepared.encoding, image: ImagePreparation.forModel(spec))
        if Self.output.showsProgress(a), let note = task.selected.reading.images { context.printError(note) }
        if Self.output.showsProgress(a), let note = prepared.inputNote { context.printError(note) }
        if Self.output.showsProgress(a) {
            context.printError("pretrain \(spec.name) on \(task.selected.source): \(prepared.train.count) training, \(prepared.validation?.count ?? 0) validation samples, \(prepared.classNames.count) classes, \(model.parameterCount) parameters")
        }
        var info = CheckpointInfo(kind: "pretrain", classNames: prepared.classNames, seed: settings.seed)
        info.data = source.description
        info.selection = task.selection
        info.labelsShuffled = shuffled ? true : nil
        info.settings = settings
        info.command = TrainingOptions.commandLine
        info.normalization = prepared.normalization
        info.vocabulary = prepared.encoding?.vocabulary
        info.tokenizer = prepared.encoding?.kind
        let trainer = try Trainer(model: model, settings: settings, train: prepared.train, validation: prepared.validation)
        trainer.domain = domain
        if Self.output.showsProgress(a) { for line in settings.adaptation?.summaryLines ?? [] { context.printError(line) } }
        let runner = try TrainingRunner(context: context, output: Self.output, resume: Self.resume, arguments: a, out: out,
                                        communicator: try Self.distributed.communicator(a))
        let outcome = try runner.run(trainer, resume: resumedFile?.snapshot) { snapshot in
            try writeResume(snapshot, model: model, info: info, to: runner.resumeURL)
        }
        let code = try finish(outcome, model: model, info: info, out: out, runner: runner, arguments: a, output: Self.output, context: context,
                              extraSummary: ["adaptation": AdaptationOptions.json(settings.adaptation, adaBN: nil)])
        if code == .success, let reportURL = Self.report.url(a) {
            try ReportOptions.write(to: reportURL, quiet: !Self.output.showsProgress(a), context: context) {
                try RunReports.training(command: name, model: model, info: info.finished(outcome), out: out, prepared: prepared,
                                        source: nil, headReplaced: nil, batchSize: settings.batchSize)
            }
        }
        return code
    }
}

/// Writes the resumable state: current weights, optimizer state, best weights, position.
func writeResume(_ snapshot: TrainingSnapshot, model: TransferModel, info: CheckpointInfo, to url: URL) throws {
    var checkpoint = Checkpoint(model: model, info: info)
    checkpoint.extraTensors = snapshot.tensors
    checkpoint.extraMetadata[Checkpoint.resumeKey] = try snapshot.metadataJSON()
    try checkpoint.write(to: url)
}

extension CheckpointInfo {
    /// The info with the run's outcome recorded: best epoch and validation accuracy, per-epoch history.
    func finished(_ outcome: TrainingOutcome) -> CheckpointInfo {
        var info = self
        info.validationAccuracy = outcome.bestValidationAccuracy
        info.bestEpoch = outcome.bestEpoch
        info.history = outcome.history.map(\.record)
        return info
    }
}

/// Common ending of pretrain/finetune: handle divergence and interruption, write the
/// checkpoint, print the summary. Returns the exit code.
func finish(_ outcome: TrainingOutcome, model: TransferModel, info: CheckpointInfo, extraTensors: [String: Tensor] = [:], out: URL, runner: TrainingRunner,
            arguments a: ParsedArguments, output: OutputOptions, context: CommandContext, extraSummary: [String: Any] = [:],
            afterWrite: (() throws -> Void)? = nil) throws -> ExitCode {
    let resumeURL = runner.resumeURL
    defer { runner.lock?.release() }
    var extraSummary = extraSummary
    extraSummary["resume_writes"] = runner.resumeLog.writes
    extraSummary["resume_bytes_written"] = runner.resumeLog.bytes
    if let communicator = runner.communicator {
        // Data-parallel: rank 0 alone writes and prints; every rank ends MPI after the last collective.
        extraSummary["ranks"] = communicator.size
        extraSummary["allreduce_seconds"] = (runner.distributedLog.allreduceSeconds * 1000).rounded() / 1000
        communicator.finalize()   // training's last collective is behind every rank
        if !runner.isWriter {
            if let divergence = outcome.divergence { throw TrainingError("stopped: \(divergence) (rank 0 keeps the last good weights)") }
            return outcome.interrupted ? .interrupted : .success
        }
    }
    let info = info.finished(outcome)
    var checkpoint = Checkpoint(model: model, info: info)
    checkpoint.extraTensors = extraTensors   // e.g. the source head a fine-tuned checkpoint keeps
    if let divergence = outcome.divergence {
        if outcome.bestEpoch > 0 {
            try checkpoint.write(to: out)
            throw TrainingError("stopped: \(divergence); lower --lr; kept the last good weights (epoch \(outcome.bestEpoch)) in \(out.path)")
        }
        throw TrainingError("stopped: \(divergence); lower --lr; no epoch completed, so \(out.path) was not written")
    }
    try checkpoint.write(to: out)
    try afterWrite?()
    if outcome.interrupted {
        let resume = FileManager.default.fileExists(atPath: resumeURL.path)
            ? "continue with --resume \(resumeURL.path)" : "the resume file could not be written, so a new run must start over"
        context.printError("interrupted: saved the best-so-far weights to \(out.path); \(resume); \(runner.resumeLog.summary)")
        if a[OutputOptions.json] { context.print(jsonText(outcome.summary(checkpoint: out.path, extra: extraSummary))) }
        return .interrupted
    }
    // Only a regular file of ours is removed (never a folder that happens to have the name).
    var isFolder: ObjCBool = false
    if FileManager.default.fileExists(atPath: resumeURL.path, isDirectory: &isFolder), !isFolder.boolValue {
        try? FileManager.default.removeItem(at: resumeURL)
    }
    if a[OutputOptions.json] {
        context.print(jsonText(outcome.summary(checkpoint: out.path, extra: extraSummary)))
    }
    if output.showsProgress(a) {
        let v = outcome.bestValidationAccuracy.map { ", validation accuracy \(percent($0)) (epoch \(outcome.bestEpoch))" } ?? ""
        context.printError("wrote \(out.path)\(v); \(rateText(outcome.samplesPerSecond)) samples/s, \(String(format: "%.1f", outcome.wallSeconds)) s; \(runner.resumeLog.summary)")
    }
    return .success
}
