import Foundation
import TLTensor
import TLTransfer
import TLData

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

    static let seeds = Option<Int>("seeds", default: 5, help: "Seeds per side for the transfer check (each seed also draws its own 50 training images).")
    static let outDir = OptionalOption<String>("out-dir", valueName: "folder", help: "Keep the demo's checkpoints in this folder (default: a temporary folder).")
    static let json = Flag("json", help: "Print the results as JSON on stdout.")
    static let quiet = Flag("quiet", short: "q", help: "Only the final report.")

    var name: String { "demo" }
    var abstract: String { "Pretrain on digits 0–4, fine-tune on 10 examples of each of 5–9, and check the transfer." }
    var discussion: String {
        """
        Runs on the embedded mnist5k sample, no download needed:
          1. tl pretrain  --model lenet --data mnist5k --classes 0-4 --epochs 20 --augment
          2. tl finetune  --data mnist5k --classes 5-9 --per-class 10 --freeze 0..1 --lr 0.003 --epochs 60 --val-split 0
          3. tl eval      --baseline scratch: the same LeNet trained from scratch on the same 50 images, per seed,
             scored on the 2,450 digits 5–9 that neither side trained on, with a 95% confidence interval and a verdict.
        """
    }
    var arguments: [any ArgumentDefinition] { [Self.seeds, Self.outDir, TrainingOptions.threads, Self.json, Self.quiet] }

    func run(_ a: ParsedArguments, context: CommandContext) throws -> ExitCode {
        try TrainingOptions.applyThreads(a)
        let seedCount = a[Self.seeds]
        guard seedCount >= 1, seedCount <= 20 else { throw UsageError(.invalidValue(option: "--seeds", expected: "an integer from 1 to 20", got: String(seedCount))) }
        let quiet = a[Self.quiet] || a[Self.json]
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
        let data = DataSource.builtin("mnist5k")
        let all = try data.load()

        // 1. Pretrain on digits 0–4.
        var pre = TrainingSettings()
        pre.epochs = 20; pre.augment = true; pre.seed = 0
        let sourceTask = try TaskData.select(all, source: data, selection: DataSelection(classes: Array(0...4), perClass: nil, seed: 0))
        let prepared = try TrainingPipeline.prepare(sourceTask.selected, spec: spec, settings: pre)
        var rng = SeededGenerator(seed: pre.seed)
        let sourceModel = try TransferModel(spec: spec, classCount: 5, rng: &rng)
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
        sourceInfo.command = "tl pretrain --model Models/lenet.json --data mnist5k --classes 0-4 --epochs 20 --augment --seed 0"
        sourceInfo.normalization = prepared.normalization
        sourceInfo.validationAccuracy = preOutcome.bestValidationAccuracy
        sourceInfo.bestEpoch = preOutcome.bestEpoch
        let sourceURL = folder.appendingPathComponent("source-digits-0-4.safetensors")
        try Checkpoint(model: sourceModel, info: sourceInfo).write(to: sourceURL)
        say(String(format: "    source validation accuracy %.1f%% on held-out digits 0–4", (preOutcome.bestValidationAccuracy ?? 0) * 100))

        // 2 and 3. Fine-tune and compare with scratch, paired by seed.
        var fine = TrainingSettings()
        fine.epochs = 60; fine.learningRate = 0.003; fine.validationSplit = 0; fine.freeze = ["0..1"]
        let sourceFile = try SafeTensorsFile.read(from: sourceURL)
        let seeds = (0..<seedCount).map { UInt64($0) }
        say("2/3 fine-tuning on 10 examples of each of digits 5–9, blocks 0–1 (conv1, conv2) frozen, \(seedCount) seeds…")
        say("3/3 training the same LeNet from scratch on the same 50 examples for comparison…")
        let comparison = try EvalCommand.compare(seeds: seeds, withProbe: false, source: sourceFile, sourcePath: sourceURL.path, data: all,
                                                 dataSource: data, selection: DataSelection(classes: Array(5...9), perClass: 10, seed: 0),
                                                 settings: fine, test: nil, log: say)
        let seconds = Date().timeIntervalSince(started)
        if a[Self.json] {
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
