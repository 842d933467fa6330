import Foundation
import TLTensor
import TLTransfer
import TLData
import TLModels
import TLSafeTensors
import TLNN

/// `tl eval`: metrics on target test data, and the honest answer to "did transfer help?".
struct EvalCommand: Command {
    enum Baseline: String, ChoiceArgument { case scratch, probe }

    static let model = Option<String>("model", short: "m", valueName: "checkpoint", help: "The checkpoint to evaluate.")
    static let data = OptionalOption<String>("data", valueName: "source",
        help: "Test data (default: the checkpoint's own data, minus every sample it trained on).")
    static let classes = OptionalOption<String>("classes", valueName: "list", help: "Class subset of --data (default: the checkpoint's).")
    static let baseline = RepeatedOption<Baseline>("baseline",
        help: "Compare with the same architecture trained from scratch (scratch) and/or a linear probe on frozen source features (probe).")
    static let scratchModel = OptionalOption<String>("scratch-model", valueName: "spec.json",
        help: "Train this architecture for the scratch baseline instead of the checkpoint's own (e.g. Models/transformer.json; token models build a word vocabulary from their training split).")
    static let seeds = Option<Int>("seeds", default: 3, help: "Seeds per side for the baseline comparison.")
    static let failOnNegative = Flag("fail-on-negative", help: "Exit with status 3 when the verdict is negative transfer.")
    static let json = Flag("json", help: "Print every figure, per seed, as JSON on stdout.")
    static let quiet = Flag("quiet", short: "q", help: "No progress messages.")

    var name: String { "eval" }
    var abstract: String { "Evaluate a checkpoint and check whether transfer helped." }
    var discussion: String {
        """
        Reports accuracy, macro-F1, per-class precision and recall, the confusion matrix, mean loss and \
        expected calibration error (15 bins). With --baseline scratch it re-runs the fine-tuning and trains \
        the same architecture from scratch on the same target data with the same settings, over --seeds seeds, \
        and reports the transfer gain with a 95% confidence interval and a verdict: positive transfer, \
        no significant difference, or negative transfer (exit status 3 with --fail-on-negative).
        Example: tl eval --model target.safetensors --baseline scratch --seeds 3
        """
    }
    var arguments: [any ArgumentDefinition] {
        [Self.model, Self.data, Self.classes, Self.baseline, Self.scratchModel, Self.seeds, Self.failOnNegative, TrainingOptions.threads, Self.json, Self.quiet]
    }

    func run(_ a: ParsedArguments, context: CommandContext) throws -> ExitCode {
        try TrainingOptions.applyThreads(a)
        guard a[Self.seeds] >= 1, a[Self.seeds] <= 100 else {
            throw UsageError(.invalidValue(option: "--seeds", expected: "an integer from 1 to 100", got: String(a[Self.seeds])))
        }
        let url = URL(fileURLWithPath: a[Self.model])
        let file = try SafeTensorsFile.read(from: url)
        var rng = SeededGenerator(seed: 0)
        let checkpoint = try Checkpoint.decode(file, path: url.path, rng: &rng)
        let info = checkpoint.info
        if !a[Self.baseline].isEmpty && (info.kind != "finetune" || info.parent == nil || info.settings == nil || info.selection == nil || info.data == nil) {
            // Checked before any work: a baseline re-runs the fine-tuning this checkpoint records.
            throw TrainingError("--baseline needs a checkpoint written by 'tl finetune' (it records the source checkpoint, data and settings)")
        }
        let log: (String) -> Void = { if !a[Self.quiet] && !a[Self.json] { context.printError($0) } }

        // The test set.
        let trainingSource = try info.data.map { try DataSource.parse($0, option: "checkpoint data") }
        let dataSource = try a[Self.data].map(TrainingOptions.parseDataArgument) ?? trainingSource
        guard let dataSource else { throw UsageError(.missingRequired("required option --data <source> (the checkpoint records no data)")) }
        let all = try dataSource.load()
        let sameSource = dataSource == trainingSource
        let classList = try a[Self.classes].map { try ClassSelection.resolve($0, classNames: all.classNames) }
            ?? (sameSource ? info.selection?.classes : nil)
        let selection = DataSelection(classes: classList, perClass: sameSource ? info.selection?.perClass : nil,
                                      seed: info.selection?.seed ?? info.seed)
        let task = try TaskData.select(all, source: dataSource, selection: selection)
        var testRaw = task.selected
        if sameSource {
            if selection.perClass != nil {
                testRaw = task.rest
                log("test set: \(testRaw.count) samples of \(dataSource) not used for training (\(task.selected.count) training samples left out)")
            } else {
                log("warning: --data is the data the model was trained on; these figures are not a held-out test")
            }
        }
        guard testRaw.classNames == info.classNames else {
            throw TrainingError("test classes \(testRaw.classNames.joined(separator: ",")) do not match the model's classes \(info.classNames.joined(separator: ",")) (use --classes)")
        }
        guard testRaw.count > 0 else { throw TrainingError("the test set is empty") }
        let test = try TrainingPipeline.prepareForEvaluation(testRaw, model: checkpoint.model, info: info)
        let metrics = try TrainingPipeline.evaluate(checkpoint.model, data: test)

        var output: [String: Any] = ["checkpoint": url.path, "test_samples": test.count, "metrics": metrics.jsonObject(classNames: info.classNames)]
        var text = [EvalReport.metricsTable(metrics, classNames: info.classNames, title: "\(url.lastPathComponent) on \(test.count) test samples")]
        var exit = ExitCode.success

        let baselines = Array(Set(a[Self.baseline])).sorted { $0.rawValue > $1.rawValue }
        if !baselines.isEmpty {
            guard info.kind == "finetune", let parent = info.parent, let settings = info.settings, let trainingSource,
                  let trainSelection = info.selection else {
                throw TrainingError("--baseline needs a checkpoint written by 'tl finetune' (it records the source checkpoint, data and settings)")
            }
            let parentURL = URL(fileURLWithPath: parent)
            let parentFile: SafeTensorsFile
            do { parentFile = try SafeTensorsFile.read(from: parentURL) } catch {
                throw TrainingError("--baseline re-runs fine-tuning from the source checkpoint \(parent), which cannot be read: \(error)")
            }
            let trainingData = sameSource ? all : try trainingSource.load()
            let explicitTest: Dataset? = sameSource ? nil : testRaw
            let scratchSpec = try a[Self.scratchModel].map { try ModelSpec.load(from: URL(fileURLWithPath: $0)) }
            if let scratchSpec, !baselines.contains(.scratch) {
                throw UsageError(.invalidValue(option: "--scratch-model", expected: "to be used with --baseline scratch", got: scratchSpec.name))
            }
            if let scratchSpec { log("scratch baseline: architecture '\(scratchSpec.name)' from \(a[Self.scratchModel]!)") }
            let seeds = (0..<a[Self.seeds]).map { info.seed &+ UInt64($0) }
            let report = try Self.compare(seeds: seeds, withProbe: baselines.contains(.probe), source: parentFile, sourcePath: parent,
                                          data: trainingData, dataSource: trainingSource, selection: trainSelection,
                                          settings: settings, test: explicitTest, scratchSpec: scratchSpec, log: log)
            text.append(report.table())
            output["baseline"] = report.jsonObject()
            if report.gain.verdict == .negative && a[Self.failOnNegative] { exit = ExitCode(3) }
        }
        if a[Self.json] { context.print(jsonText(output)) } else { context.print(text.joined(separator: "\n\n")) }
        return exit
    }

    /// Fine-tuning vs scratch (and optionally a probe), paired by seed.
    static func compare(seeds: [UInt64], withProbe: Bool, source: SafeTensorsFile, sourcePath: String, data: Dataset,
                        dataSource: DataSource, selection: DataSelection, settings: TrainingSettings, test: Dataset?,
                        scratchSpec: ModelSpec? = nil, log: (String) -> Void) throws -> EvalReport.Comparison {
        var runs: [Experiments.Run] = []
        let kinds: [Experiments.Kind] = [.finetune, .scratch] + (withProbe ? [.probe] : [])
        for seed in seeds {
            for kind in kinds {
                let run = try Experiments.run(kind, seed: seed, source: source, sourcePath: sourcePath, data: data,
                                              dataSource: dataSource, selection: selection, settings: settings, test: test,
                                              scratchSpec: kind == .scratch ? scratchSpec : nil)
                log(String(format: "  %@ seed %llu: accuracy %.4f (%d train, %d test, %.1f s)", kind.rawValue, seed,
                           run.metrics.accuracy, run.trainCount, run.testCount, run.seconds))
                runs.append(run)
            }
        }
        return EvalReport.Comparison(runs: runs, seeds: seeds, scratchArchitecture: scratchSpec?.name)
    }
}
