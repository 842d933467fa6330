import Foundation
import TLTensor
import TLNN
import TLTransfer
import TLData
import TLModels
import TLSafeTensors
import TLNN

/// `tl demo`: the whole transfer-learning story on the embedded MNIST sample, in under a minute.
struct DemoCommand: Command {
    /// The demo's architecture: identical to `Models/lenet.json` (a test keeps them equal), embedded
    /// so the demo runs from any folder.
    static let lenetSpec = """
    {
      "name": "lenet",
      "description": "LeNet-5 style CNN for 28x28 grayscale images (channels-last).",
      "input": [28, 28, 1],
      "blocks": [
        { "name": "conv1", "layers": [ { "type": "conv2d", "out": 6, "kernel": 5, "padding": 2 }, { "type": "relu" }, { "type": "maxpool", "size": 2 } ] },
        { "name": "conv2", "layers": [ { "type": "conv2d", "out": 16, "kernel": 5 }, { "type": "relu" }, { "type": "maxpool", "size": 2 } ] },
        { "name": "fc1", "layers": [ { "type": "flatten" }, { "type": "linear", "out": 120 }, { "type": "relu" } ] },
        { "name": "fc2", "layers": [ { "type": "linear", "out": 84 }, { "type": "relu" } ] },
        { "name": "head", "layers": [ { "type": "linear", "out": "classes" } ] }
      ]
    }
    """

    static let seeds = SharedOptions.seeds(default: 5)
    static let outDir = OptionalOption<String>("out-dir", valueName: "folder", help: "Keep the demo's checkpoints in this folder (default: a temporary folder).")
    static let compute = ComputeOptions(withBatchSize: false)
    static let output = OutputOptions(product: .none)

    /// The demo's three steps as `tl` command lines. The demo parses the first two with the real
    /// commands' parsers and trains with exactly the settings they give, and its help prints
    /// them, so what the help shows is what runs (a test runs the printed commands).
    static let pretrainWords = ["--model", "Models/lenet.json", "--data", "mnist5k", "--classes", "0-4", "--epochs", "20", "--augment",
                                "--out", "source.safetensors"]
    static let finetuneWords = ["--from", "source.safetensors", "--data", "mnist5k", "--classes", "5-9", "--per-class", "10",
                                "--freeze", "0..1", "--lr", "0.003", "--epochs", "60", "--val-split", "0", "--out", "target.safetensors"]
    static func evalWords(seeds: Int) -> [String] { ["--model", "target.safetensors", "--baseline", "scratch", "--seeds", String(seeds)] }

    var name: String { "demo" }
    var abstract: String { "Pretrain on digits 0–4, fine-tune on 10 examples of each of 5–9, and check the transfer." }
    var discussion: String {
        """
        Runs on the embedded mnist5k sample, no download needed; from the repository folder it is the same as:
          1. tl pretrain \(Self.pretrainWords.joined(separator: " "))
          2. tl finetune \(Self.finetuneWords.joined(separator: " "))
          3. tl eval \(Self.evalWords(seeds: 5).joined(separator: " "))
        Step 3 trains the same LeNet from scratch on the same 50 images, per seed, and scores both on the \
        2,450 digits 5–9 that neither side trained on, with a 95% confidence interval and a verdict.
        """
    }
    var arguments: [any ArgumentDefinition] { [Self.seeds, Self.outDir] }
    var groups: [any OptionGroup] { [Self.compute, Self.output] }

    /// Parses `words` with `command`'s own parser (and groups' validation).
    static func parsed(_ words: [String], by command: any Command) throws -> ParsedArguments {
        let a = try ArgumentParser(command.allArguments).parse(words)
        for group in command.groups { try group.prepare(a) }
        return a
    }

    func run(_ a: ParsedArguments, context: CommandContext) throws -> ExitCode {
        let plan = try SharedOptions.seedPlan(a, seeds: Self.seeds, maxSeeds: nil)
        let quiet = !Self.output.showsProgress(a)
        let say: (String) -> Void = { if !quiet { context.printError($0) } }
        let folder: URL
        if let d = a[Self.outDir] {
            folder = URL(fileURLWithPath: d)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } else {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("tl-demo-\(ProcessInfo.processInfo.processIdentifier)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }
        defer { if a[Self.outDir] == nil { try? FileManager.default.removeItem(at: folder) } }
        let started = Date()
        let spec = try ModelSpec.parse(Data(Self.lenetSpec.utf8), file: "demo lenet spec")
        let preArguments = try Self.parsed(Self.pretrainWords, by: PretrainCommand())
        let fineArguments = try Self.parsed(Self.finetuneWords, by: FinetuneCommand())
        let pre = try PretrainCommand.training.settings(preArguments)
        let fine = try FinetuneCommand.settings(fineArguments)
        let data = try PretrainCommand.data.source(preArguments)!
        let all = try data.load()

        // 1. Pretrain on digits 0–4.
        let sourceTask = try TaskData.load(data, classes: preArguments[DataOptions.classes], perClass: nil, seed: pre.seed)
        let prepared = try TrainingPipeline.prepare(sourceTask.selected, spec: spec, settings: pre)
        var rng = SeededGenerator(seed: pre.seed)
        let sourceModel = try TransferModel(spec: spec, classCount: prepared.classNames.count, rng: &rng)
        say("1/3 pretraining LeNet on mnist5k digits 0–4 (\(prepared.train.count) images, \(pre.epochs) epochs)…")
        let progress = context.makeProgressReporter(quiet: quiet)
        var events = TrainingEvents()
        events.batchCompleted = { e, s, n, loss, acc, rate in
            progress.update(TrainingProgress(epoch: e, totalEpochs: pre.epochs, step: s, totalSteps: n, loss: loss, accuracy: acc, samplesPerSecond: rate))
        }
        let preOutcome = try Trainer(model: sourceModel, settings: pre, train: prepared.train, validation: prepared.validation).run(events: events)
        progress.finish()
        var sourceInfo = CheckpointInfo(kind: "pretrain", classNames: prepared.classNames, seed: pre.seed)
        sourceInfo.data = data.description
        sourceInfo.selection = sourceTask.selection
        sourceInfo.settings = pre
        sourceInfo.command = "tl pretrain " + Self.pretrainWords.joined(separator: " ")
        sourceInfo.normalization = prepared.normalization
        sourceInfo.validationAccuracy = preOutcome.bestValidationAccuracy
        sourceInfo.bestEpoch = preOutcome.bestEpoch
        let sourceURL = folder.appendingPathComponent("source-digits-0-4.safetensors")
        try Checkpoint(model: sourceModel, info: sourceInfo).write(to: sourceURL)
        say(String(format: "    source validation accuracy %.1f%% on held-out digits 0–4", (preOutcome.bestValidationAccuracy ?? 0) * 100))

        // 2 and 3. Fine-tune and compare with scratch, paired by seed.
        let sourceFile = try SafeTensorsFile.read(from: sourceURL)
        let seedText: String
        switch plan { case .fixed(let n): seedText = "\(n) seeds"; case .adaptive(let m): seedText = "seeds until the verdict is clear (at most \(m))" }
        say("2/3 fine-tuning on 10 examples of each of digits 5–9, blocks 0–1 (conv1, conv2) frozen, \(seedText)…")
        say("3/3 training the same LeNet from scratch on the same 50 examples for comparison…")
        let targetTask = try FinetuneCommand.data.task(fineArguments, seed: fine.seed, recorded: nil)
        let comparison = try EvalCommand.compare(plan: plan, firstSeed: 0, withProbe: false, source: sourceFile, sourcePath: sourceURL.path, data: all,
                                                 dataSource: targetTask.0, selection: targetTask.1.selection,
                                                 settings: fine, test: nil, log: say)
        let seconds = Date().timeIntervalSince(started)
        if a[OutputOptions.json] {
            var o = comparison.jsonObject()
            o["source_validation_accuracy"] = preOutcome.bestValidationAccuracy ?? NSNull()
            o["wall_seconds"] = seconds
            context.print(jsonText(o))
        } else {
            context.print("""
            tl demo: transfer from digits 0–4 to digits 5–9 with 10 labelled examples per class
            (test: the 2,450 images of digits 5–9 that no model trained on; \(String(format: "%.0f", seconds)) s)

            \(comparison.table())
            """)
        }
        return .success
    }
}
