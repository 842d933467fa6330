import Foundation
import TLData
import TLModels
import TLReport
import TLSafeTensors
import TLTensor
import TLTransfer

/// `tl report`: the HTML report of one or more checkpoints, rebuilt afterwards from what
/// they record (per-epoch history, settings, data and selection, source checkpoint).
struct ReportCommand: Command {
    static let checkpoints = RepeatedPositional<String>("checkpoint", required: true,
        help: "Checkpoints to report on; the first is scored and described, the others add their learning curves.")
    static let data = DataOptions(role: .evaluation)
    static let compute = ComputeOptions()
    static let output = OutputOptions(product: .report)

    var name: String { "report" }
    var abstract: String { "Build a self-contained HTML report from checkpoints." }
    var discussion: String {
        """
        Draws the learning curves every checkpoint records (on the same axes), scores the first one on its \
        held-out data (as tl eval does: the samples of its data it never trained on, or --test-data) for the \
        confusion matrix, calibration, highest-loss examples and PCA of its features, measures each block's drift \
        from the checkpoint it was fine-tuned from (when that file is still there), and lists its plan and \
        provenance. The comparison with training from scratch needs the runs of 'tl eval --baseline scratch --report'.
        Example: tl report target.safetensors source.safetensors --out report.html
        """
    }
    var arguments: [any ArgumentDefinition] { [Self.checkpoints] }
    var groups: [any OptionGroup] { [Self.data, Self.compute, Self.output] }

    func run(_ a: ParsedArguments, context: CommandContext) throws -> ExitCode {
        let paths = a[Self.checkpoints]
        let out = Self.output.outURL(a)!
        let showsProgress = Self.output.showsProgress(a)
        let log: (String) -> Void = { if showsProgress { context.printError($0) } }
        var rng = SeededGenerator(seed: 0)
        var loaded: [(url: URL, checkpoint: Checkpoint)] = []
        for path in paths {
            let url = URL(fileURLWithPath: path)
            loaded.append((url, try Checkpoint.read(from: url, rng: &rng)))
        }
        guard let (url, checkpoint) = loaded.first else { throw UsageError(.missingRequired("argument <checkpoint>")) }
        let info = checkpoint.info
        for (u, c) in loaded where c.info.history == nil {
            log("\(u.lastPathComponent) records no per-epoch history (written before tl recorded it, or imported): no learning curve for it")
        }
        var evaluationJSON: Any = NSNull()
        let batchSize = try ComputeOptions.batchSize(a)
        try ReportOptions.write(to: out, quiet: !showsProgress, context: context) {
            var inputs = ReportBuilder.Inputs(title: "tl report: \(url.lastPathComponent)", subtitle: RunReports.subtitle(info),
                                              model: checkpoint.model, info: info, checkpointPath: url.path)
            inputs.curves = loaded.map { CurveRun(label: $0.url.lastPathComponent, history: $0.checkpoint.info.history ?? []) }
            if let (test, name) = try Self.testSet(a, info: info, model: checkpoint.model, log: log) {
                let evaluation = try ReportAnalysis.evaluate(checkpoint.model, data: test, setName: name, classNames: info.classNames,
                                                             normalization: info.normalization, batchSize: batchSize)
                evaluationJSON = evaluation.metrics.jsonObject(classNames: info.classNames)
                inputs.evaluation = evaluation
            }
            inputs.source = RunReports.parent(of: info)
            if info.parent != nil && inputs.source == nil { log("the source checkpoint \(info.parent ?? "") cannot be read: no drift section") }
            return try ReportBuilder.assemble(inputs)
        }
        if a[OutputOptions.json] {
            let size = (try? FileManager.default.attributesOfItem(atPath: out.path)[.size] as? Int) ?? 0
            context.print(jsonText(["report": out.path, "bytes": size, "checkpoints": paths, "metrics": evaluationJSON]))
        }
        return .success
    }

    /// The first checkpoint's held-out samples, prepared for its model, as `tl eval` picks
    /// them; nil (with a note) when there are none.
    static func testSet(_ a: ParsedArguments, info: CheckpointInfo, model: TransferModel,
                        log: (String) -> Void) throws -> (Dataset, String)? {
        let trainingSource = try info.data.map { try DataSource.parse($0, option: "checkpoint data") }
        let explicit = try data.testSource(a)
        guard let source = try explicit ?? data.source(a) ?? trainingSource else {
            log("no test data (the checkpoint records no data; pass --test-data): no evaluation sections")
            return nil
        }
        let all = try source.load()
        let raw: Dataset
        do {
            raw = try EvalCommand.heldOut(all, source: source, sameSource: explicit == nil && source == trainingSource, info: info,
                                          classes: a[DataOptions.classes], log: log)
        } catch let error as TrainingError {
            log("\(error): no evaluation sections")
            return nil
        }
        guard raw.classNames == info.classNames, raw.count > 0 else {
            log("the test classes do not match the model's: no evaluation sections (use --classes)")
            return nil
        }
        return (try TrainingPipeline.prepareForEvaluation(raw, model: model, info: info), "\(raw.count) held-out samples of \(source)")
    }
}
