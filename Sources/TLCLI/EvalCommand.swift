import Foundation
import TLTensor
import TLTransfer
import TLData
import TLModels
import TLSafeTensors
import TLNN
import TLReport

/// `tl eval`: metrics on target test data, and the honest answer to "did transfer help?".
struct EvalCommand: Command {
    enum Baseline: String, ChoiceArgument { case scratch, probe }

    static let model = SharedOptions.model(.checkpoint("to evaluate"))
    static let baseline = RepeatedOption<Baseline>("baseline",
        help: "Compare with the same architecture trained from scratch (scratch) and/or a linear probe on frozen source features (probe).")
    static let scratchModel = OptionalOption<String>("scratch-model", valueName: "spec.json",
        help: "Train this architecture for the scratch baseline instead of the checkpoint's own (e.g. Models/transformer.json; token models build a word vocabulary from their training split).")
    static let seeds = SharedOptions.seeds(default: 3)
    static let maxSeeds = SharedOptions.maxSeeds
    static let failOnNegative = Flag("fail-on-negative", help: "Exit with status 3 when the verdict is negative transfer.")
    static let data = DataOptions(role: .evaluation)
    static let compute = ComputeOptions()
    static let output = OutputOptions(product: .none)
    static let report = ReportOptions()

    var name: String { "eval" }
    var abstract: String { "Evaluate a checkpoint and check whether transfer helped." }
    var discussion: String {
        """
        Reports accuracy, macro-F1, per-class precision and recall, the confusion matrix, mean loss and \
        expected calibration error (15 bins) on held-out data: by default the samples of the checkpoint's own \
        data that it neither trained nor validated on (the few-shot remainder, or else its validation split), \
        or every sample of --test-data. With --baseline scratch it re-runs the fine-tuning and trains \
        the same architecture from scratch on the same target data with the same settings, over --seeds seeds, \
        and reports the transfer gain with a 95% confidence interval and a verdict: positive transfer, \
        no significant difference, or negative transfer (exit status 3 with --fail-on-negative). Those runs \
        test on the few-shot remainder or --test-data; when the fine-tuning used every sample, each seed \
        first holds out a stratified 20% of them as its test set, the same for both sides.
        Example: tl eval --model target.safetensors --baseline scratch --seeds 3
        """
    }
    var arguments: [any ArgumentDefinition] { [Self.model, Self.baseline, Self.scratchModel, Self.seeds, Self.maxSeeds, Self.failOnNegative, Self.sourceData] }
    var groups: [any OptionGroup] { [Self.data, Self.compute, Self.output, Self.report] }

    func run(_ a: ParsedArguments, context: CommandContext) throws -> ExitCode {
        let plan = try SharedOptions.seedPlan(a, seeds: Self.seeds, maxSeeds: Self.maxSeeds)
        _ = try a[Self.sourceData].map { try DataOptions.parse($0, option: "--source-data") }   // malformed: exit 2 before any work
        let modelPath = a.value(of: Self.model, as: String.self)!
        let url = URL(fileURLWithPath: modelPath)
        let file = try SafeTensorsFile.read(from: url)
        var rng = SeededGenerator(seed: 0)
        let checkpoint = try Checkpoint.decode(file, path: url.path, rng: &rng)
        let info = checkpoint.info
        if !a[Self.baseline].isEmpty && (info.kind != "finetune" || info.parent == nil || info.settings == nil || info.selection == nil || info.data == nil) {
            // Checked before any work: a baseline re-runs the fine-tuning this checkpoint records.
            throw TrainingError("--baseline needs a checkpoint written by 'tl finetune' (it records the source checkpoint, data and settings)")
        }
        if a[Self.sourceData] != nil && (info.kind != "finetune" || info.parent == nil) {
            throw TrainingError("--source-data needs a checkpoint written by 'tl finetune' (it records its source checkpoint and keeps the source head)")
        }
        let showsProgress = Self.output.showsProgress(a)
        let log: (String) -> Void = { if showsProgress { context.printError($0) } }
        let batchSize = try ComputeOptions.batchSize(a)

        // The test set.
        let preparation = ImagePreparation.forModel(checkpoint.model.spec, info: info)
        let trainingSource = try info.data.map { try DataSource.parse($0, option: "checkpoint data").preparingImages(preparation) }
        let explicitTestSource = try Self.data.testSource(a)
        if explicitTestSource != nil, try Self.data.source(a) != nil {
            throw UsageError("--data and --test-data exclude each other: --test-data is scored whole, --data has its training samples left out")
        }
        guard let dataSource = try (explicitTestSource ?? Self.data.source(a))?.preparingImages(preparation) ?? trainingSource else {
            throw UsageError(.missingRequired("required option --test-data <source> (the checkpoint records no data)"))
        }
        let all = try dataSource.load()
        let sameSource = explicitTestSource == nil && dataSource == trainingSource
        let testRaw = try Self.heldOut(all, source: dataSource, sameSource: sameSource, info: info,
                                       classes: a[DataOptions.classes], log: log)
        guard testRaw.classNames == info.classNames else {
            throw TrainingError("test classes \(testRaw.classNames.joined(separator: ",")) do not match the model's classes \(info.classNames.joined(separator: ",")) (use --classes)")
        }
        guard testRaw.count > 0 else { throw TrainingError("the test set is empty") }
        let test = try TrainingPipeline.prepareForEvaluation(testRaw, model: checkpoint.model, info: info)
        // With --report, one pass scores the model and collects what the report draws (same metrics).
        let reportURL = Self.report.url(a)
        let analysis = try reportURL.map { _ in
            try ReportAnalysis.evaluate(checkpoint.model, data: test, setName: "\(test.count) test samples of \(dataSource)",
                                        classNames: info.classNames, normalization: info.normalization, batchSize: batchSize)
        }
        let metrics = try analysis?.metrics ?? TrainingPipeline.evaluate(checkpoint.model, data: test, batchSize: batchSize)

        var output: [String: Any] = ["checkpoint": url.path, "test_samples": test.count, "metrics": metrics.jsonObject(classNames: info.classNames)]
        var text = [EvalReport.metricsTable(metrics, classNames: info.classNames, title: "\(url.lastPathComponent) on \(test.count) test samples")]
        var exit = ExitCode.success
        var comparison: EvalReport.Comparison? = nil
        if let forgetting = try Self.forgetting(a, checkpoint: checkpoint, batchSize: batchSize, log: log) {
            text.append(forgetting.text)
            output["forgetting"] = forgetting.json
        }

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
            if let scratchSpec, let path = a[Self.scratchModel] { log("scratch baseline: architecture '\(scratchSpec.name)' from \(path)") }
            if explicitTest == nil && trainSelection.perClass == nil && trainSelection.perClassCounts == nil {
                let share = Int((Experiments.heldOutTestFraction * 100).rounded())
                log("baseline runs: the fine-tuning used every sample of \(trainingSource), so each seed holds out a stratified \(share)% of them as its test set (the same for every run of that seed) and trains on the rest")
            }
            let report = try Self.compare(plan: plan, firstSeed: info.seed, withProbe: baselines.contains(.probe), source: parentFile, sourcePath: parent,
                                          data: trainingData, dataSource: trainingSource, selection: trainSelection,
                                          settings: settings, test: explicitTest, scratchSpec: scratchSpec, log: log)
            comparison = report
            text.append(report.table())
            output["baseline"] = report.jsonObject()
            if report.gain.verdict == .negative && a[Self.failOnNegative] { exit = ExitCode(3) }
        }
        if let reportURL {
            try ReportOptions.write(to: reportURL, quiet: !showsProgress, context: context) {
                var inputs = ReportBuilder.Inputs(title: "tl eval: \(url.lastPathComponent)", subtitle: RunReports.subtitle(info),
                                                  model: checkpoint.model, info: info, checkpointPath: url.path)
                inputs.evaluation = analysis
                inputs.curves = [CurveRun(label: url.lastPathComponent, history: info.history ?? [])]
                if let comparison {
                    inputs.comparison = ReportBuilder.comparison(comparison.runs, seeds: comparison.seeds, scratchArchitecture: comparison.scratchArchitecture)
                    inputs.curves += ReportBuilder.curves(comparison.runs)
                }
                inputs.source = RunReports.parent(of: info)
                return try ReportBuilder.assemble(inputs)
            }
        }
        if a[OutputOptions.json] { context.print(jsonText(output)) } else { context.print(text.joined(separator: "\n\n")) }
        return exit
    }

    /// The samples to score. Another data source: all of it (after `--classes`). The
    /// checkpoint's own data: only what it never trained on — the few-shot remainder, or else
    /// the validation split its run held out (the same stratified split, recomputed); when it
    /// trained on everything there is no honest test set here, and that is an error.
    static func heldOut(_ all: Dataset, source: DataSource, sameSource: Bool, info: CheckpointInfo, classes: String?,
                        log: (String) -> Void) throws -> Dataset {
        if !sameSource {
            let selected = try DataOptions.namingClasses { try classes.map { try ClassSelection.resolve($0, classNames: all.classNames) } }
            return try selected.map { try all.selectingClasses($0) } ?? all
        }
        let recorded = info.selection ?? DataSelection(classes: nil, perClass: nil, seed: info.seed)
        let classList = try DataOptions.namingClasses { try classes.map { try ClassSelection.resolve($0, classNames: all.classNames) } } ?? recorded.classes
        var selection = DataSelection(classes: classList, perClass: recorded.perClass, seed: recorded.seed)
        selection.perClassCounts = recorded.perClassCounts
        let task = try TaskData.select(all, source: source, selection: selection)
        if recorded.perClass != nil || recorded.perClassCounts != nil {
            log("test set: \(task.rest.count) samples of \(source) not used for training (\(task.selected.count) training samples left out)")
            return task.rest
        }
        if info.labelsShuffled == true {
            throw TrainingError("\(source): the model trained on shuffled labels, so its validation split cannot be recomputed; pass --test-data SOURCE")
        }
        if let settings = info.settings, let validation = try TrainingPipeline.split(task.selected, settings: settings).validation {
            log("test set: the \(validation.count) samples of \(source) held out for validation in training (they chose the best epoch, so the figures lean optimistic; --test-data scores an independent set)")
            return validation
        }
        throw TrainingError("\(source): the model trained on every sample of its data (no --per-class draw, no validation split), so none is held out; pass --test-data SOURCE (e.g. a test split) or --data with other data")
    }

    /// Fine-tuning vs scratch (and optionally a probe), paired by seed: a fixed number of seeds
    /// from `firstSeed` on, or (adaptive) one seed at a time until the 95% interval of the gain
    /// excludes zero, with at least `SeedCount.autoMinimum` and at most the plan's maximum.
    static func compare(plan: SeedPlan, firstSeed: UInt64, withProbe: Bool, source: SafeTensorsFile, sourcePath: String, data: Dataset,
                        dataSource: DataSource, selection: DataSelection, settings: TrainingSettings, test: Dataset?,
                        scratchSpec: ModelSpec? = nil, log: (String) -> Void) throws -> EvalReport.Comparison {
        var runs: [Experiments.Run] = []
        let kinds: [Experiments.Kind] = [.finetune, .scratch] + (withProbe ? [.probe] : [])
        let count: Int
        switch plan { case .fixed(let n): count = n; case .adaptive(let maximum): count = maximum }
        var seeds: [UInt64] = []
        var stopReason: String? = nil
        for seed in (0..<count).map({ firstSeed &+ UInt64($0) }) {
            seeds.append(seed)
            for kind in kinds {
                let run = try Experiments.run(kind, seed: seed, source: source, sourcePath: sourcePath, data: data,
                                              dataSource: dataSource, selection: selection, settings: settings, test: test,
                                              scratchSpec: kind == .scratch ? scratchSpec : nil)
                log("  \(kind.rawValue) seed \(seed): accuracy \(percent(run.metrics.accuracy)) (\(run.trainCount) train, \(run.testCount) test, \(fixed(run.seconds, 1)) s)")
                runs.append(run)
            }
            guard case .adaptive(let maximum) = plan else { continue }
            let so = EvalReport.Comparison(runs: runs, seeds: seeds)
            if seeds.count >= SeedCount.autoMinimum, let reason = so.adaptiveStop() {
                stopReason = reason
                break
            }
            if seeds.count == maximum {
                stopReason = "reached --max-seeds \(maximum) with the 95% interval still including zero"
            }
        }
        return EvalReport.Comparison(runs: runs, seeds: seeds, scratchArchitecture: scratchSpec?.name, stopReason: stopReason)
    }
}
