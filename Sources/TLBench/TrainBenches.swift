import Foundation
import TLKernels
import TLTensor
import TLNN
import TLOptim
import TLModels

// Training-step benchmarks (`tl-bench --train WORKLOAD`), the tl side of Scripts/bench-vs-torch.sh;
// Scripts/torch_twins.py holds the PyTorch twin of each workload with the same names.
//
// What a timed step includes (both sides): building the input tensor from an in-memory batch
// (16 pre-generated random batches, cycled), forward, cross-entropy, zero-grad, backward and
// an Adam step. Not included: data loading, shuffling, accuracy bookkeeping. Warm-up steps
// (≥ 3 and ≥ 0.3 s) run first; then steps are timed until ≥ `seconds` have passed.

/// One training-step workload: how to build the model, which blocks run each step, the input.
struct TrainWorkload {
    let name: String
    let summary: String
    let batch: Int
    /// Builds the model and returns it with the first block a step runs (> 0: a cached prefix).
    let build: () throws -> (TransferModel, firstBlock: Int, learningRate: Double)
    /// One sample's input shape (images [H, W, C]; token ids [T]).
    let sampleShape: [Int]
    /// Token vocabulary for id inputs (0: real-valued inputs).
    let vocabulary: Int
    let classes: Int
}

func specModel(_ file: String, classes: Int, vocabulary: Int = 0) throws -> TransferModel {
    let url = URL(fileURLWithPath: file)
    guard FileManager.default.fileExists(atPath: url.path) else { fail("\(file): not found (run tl-bench from the repository root)") }
    var rng = SeededGenerator(seed: 1)
    return try TransferModel(spec: ModelSpec.load(from: url), classCount: classes, vocabularySize: vocabulary, rng: &rng)
}

/// Freezes blocks `0..<k` and puts them in inference mode, as the Trainer does for --freeze 0..k-1.
func freezePrefix(_ model: TransferModel, _ k: Int) {
    for b in 0..<k {
        for p in model.blocks[b].parameters() { p.freeze() }
        model.blocks[b].eval()
    }
}

nonisolated(unsafe) let trainWorkloads: [TrainWorkload] = [
    TrainWorkload(name: "mlp", summary: "Models/mlp.json 784-256-128-10, batch 64", batch: 64,
                  build: { (try specModel("Models/mlp.json", classes: 10), 0, 1e-3) }, sampleShape: [28, 28, 1], vocabulary: 0, classes: 10),
    TrainWorkload(name: "lenet", summary: "Models/lenet.json LeNet-5, batch 64", batch: 64,
                  build: { (try specModel("Models/lenet.json", classes: 10), 0, 1e-3) }, sampleShape: [28, 28, 1], vocabulary: 0, classes: 10),
    TrainWorkload(name: "resnet", summary: "Models/resnet.json (stem + 3 residual blocks, BatchNorm), batch 64", batch: 64,
                  build: { (try specModel("Models/resnet.json", classes: 10), 0, 1e-3) }, sampleShape: [28, 28, 1], vocabulary: 0, classes: 10),
    TrainWorkload(name: "transformer", summary: "Models/transformer-d128.json: 2 layers d128 4 heads FFN 512, 64 tokens, batch 32", batch: 32,
                  build: { (try specModel("Models/transformer-d128.json", classes: 2, vocabulary: 5000), 0, 1e-3) },
                  sampleShape: [64], vocabulary: 5000, classes: 2),
    TrainWorkload(name: "lenet-head", summary: "LeNet, blocks 0-3 frozen, head trained, prefix run every step (no cache), batch 64", batch: 64,
                  build: { let m = try specModel("Models/lenet.json", classes: 10); freezePrefix(m, 4); return (m, 0, 1e-3) },
                  sampleShape: [28, 28, 1], vocabulary: 0, classes: 10),
    TrainWorkload(name: "lenet-head-cache", summary: "LeNet, blocks 0-3 frozen, head trained on cached fc2 features, batch 64", batch: 64,
                  build: { let m = try specModel("Models/lenet.json", classes: 10); freezePrefix(m, 4); return (m, 4, 1e-3) },
                  sampleShape: [28, 28, 1], vocabulary: 0, classes: 10),
    TrainWorkload(name: "minilm-top2", summary: "MiniLM-L6 (random weights), layers 4-5 + pool + head trained on cached layer-3 outputs, batch 32 x 64 tokens", batch: 32,
                  build: { let m = try miniLMModel(tokens: 64); freezePrefix(m, 5); return (m, 5, 1e-4) },
                  sampleShape: [64], vocabulary: 30522, classes: 2),
]

/// Runs one workload and prints a JSON line: samples/s, process CPU seconds per step, peak RSS.
func runTrainBench(_ name: String, seconds: Double, json: Bool) throws {
    guard let w = trainWorkloads.first(where: { $0.name == name }) else {
        fail("--train: unknown workload '\(name)' (expected one of \(trainWorkloads.map(\.name).joined(separator: ", ")))")
    }
    let (model, first, lr) = try w.build()
    for b in first..<model.blockCount where !model.isBlockFrozen(b) { model.blocks[b].train() }
    var rng = SeededGenerator(seed: 42)
    let sampleCount = w.sampleShape.reduce(1, *)
    var inputs: [Tensor] = []
    var labels: [[Int]] = []
    for _ in 0..<16 {
        var x = [Float](repeating: 0, count: w.batch * sampleCount)
        if w.vocabulary > 0 {
            for i in 0..<x.count { x[i] = i % sampleCount == 0 ? 101 : Float(1000 + Int(rng.nextUniform() * Float(w.vocabulary - 1001))) }
        } else {
            for i in 0..<x.count { x[i] = rng.nextNormal() }
        }
        var input = try Tensor(x, shape: [w.batch] + w.sampleShape)
        // A cached prefix: its outputs are computed once, as the Trainer's feature cache does.
        if first > 0 { input = try withNoGrad { try model.forward(input, blocks: 0..<first) } }
        inputs.append(input)
        labels.append((0..<w.batch).map { _ in Int(rng.nextUniform() * Float(w.classes)) % w.classes })
    }
    let optimizer = try Adam(model, learningRate: lr)
    var stepIndex = 0
    func step() throws {
        let i = stepIndex % inputs.count
        stepIndex += 1
        // A fresh tensor from the batch's values, as the Trainer builds one per step.
        let x = try Tensor(inputs[i].scalars, shape: inputs[i].shape)
        let logits = try model.forward(x, blocks: first..<model.blockCount)
        let loss = try Loss.crossEntropy(logits: logits, labels: labels[i])
        optimizer.zeroGrad()
        try loss.backward()
        try optimizer.step()
    }
    func clockSeconds(_ clock: clockid_t) -> Double {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
    func processCPU() -> Double { clockSeconds(CLOCK_PROCESS_CPUTIME_ID) }
    func monotonic() -> Double { clockSeconds(CLOCK_MONOTONIC) }
    let warm0 = Date()
    var warm = 0
    while warm < 3 || Date().timeIntervalSince(warm0) < 0.3 { try step(); warm += 1 }
    let cpu0 = processCPU()
    let stepsStart = monotonic()   // Scripts/profile-step.sh keeps the perf samples between these two times
    let t0 = Date()
    var steps = 0
    while steps < 3 || Date().timeIntervalSince(t0) < seconds { try step(); steps += 1 }
    let wall = Date().timeIntervalSince(t0)
    let cpu = processCPU() - cpu0
    let stepsEnd = monotonic()
    let rate = Double(steps * w.batch) / wall
    let peakMB = Double(peakResidentBytes()) / 1_048_576
    if json {
        print("{\"side\":\"tl\",\"workload\":\"\(w.name)\",\"batch\":\(w.batch),\"threads\":\(kernelThreadCount),\"steps\":\(steps),"
            + "\"seconds\":\(wall),\"samples_per_second\":\(rate),\"cpu_seconds_per_step\":\(cpu / Double(steps)),\"peak_rss_mb\":\(peakMB),"
            + "\"monotonic_start\":\(stepsStart),\"monotonic_end\":\(stepsEnd)}")
    } else {
        print("\(w.name) (\(w.summary)): \(String(format: "%.0f", rate)) samples/s, \(steps) steps in \(String(format: "%.2f", wall)) s, "
            + "\(String(format: "%.2f", cpu / Double(steps) * 1e3)) ms CPU/step, threads \(kernelThreadCount), peak RSS \(String(format: "%.0f", peakMB)) MB")
    }
}
