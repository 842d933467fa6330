import Testing
import Foundation
@testable import TLTransfer
import TLSafeTensors
@testable import TLNN
import TLTensor
import TLData
import TLModels

/// A small synthetic image task: each of `classes` classes lights up its own 3×3 patch of a
/// 6×6 image (plus noise), so a CNN learns it quickly.
func patchImages(classes: Int, perClass: Int, seed: UInt64) throws -> Dataset {
    var rng = SeededGenerator(seed: seed)
    var features: [Float] = [], labels: [Int] = []
    for c in 0..<classes {
        for _ in 0..<perClass {
            var image = (0..<36).map { _ in 0.2 * rng.nextNormal() }
            let (r, q) = ((c / 2) % 2 * 3, c % 2 * 3)
            for y in 0..<3 { for x in 0..<3 { image[(r + y) * 6 + q + x] += 1 + Float(c / 4) } }
            features += image
            labels.append(c)
        }
    }
    return try Dataset(features: features, sampleShape: [6, 6, 1], labels: labels, classNames: (0..<classes).map(String.init), source: "patches")
}

let tinyCNN = """
{"name": "tiny", "input": [6, 6, 1], "blocks": [
  {"name": "conv", "layers": [{"type": "conv2d", "out": 4, "kernel": 3, "padding": 1}, {"type": "relu"}, {"type": "maxpool", "size": 2}]},
  {"name": "fc", "layers": [{"type": "flatten"}, {"type": "linear", "out": 12}, {"type": "relu"}, {"type": "dropout", "rate": 0.2}]},
  {"name": "fc2", "layers": [{"type": "linear", "out": 8}, {"type": "relu"}]},
  {"name": "head", "layers": [{"type": "linear", "out": "classes"}]}]}
"""

@Suite struct TrainerTests {
    func model(seed: UInt64 = 1, classes: Int = 4) throws -> TransferModel {
        var rng = SeededGenerator(seed: seed)
        return try TransferModel(spec: ModelSpec.parse(Data(tinyCNN.utf8), file: "tiny"), classCount: classes, rng: &rng)
    }

    func bits(_ m: TransferModel) -> [String: [UInt32]] {
        Dictionary(uniqueKeysWithValues: m.namedState().map { ($0.name, $0.tensor.scalars.map(\.bitPattern)) })
    }

    @Test func cachedPrefixGivesBitIdenticalWeights() throws {
        let data = try patchImages(classes: 4, perClass: 30, seed: 3)
        var results: [[String: [UInt32]]] = []
        var cachedEpochs: [Int] = []
        for useCache in [true, false] {
            let m = try model()
            _ = try m.freeze(.blocks(from: 0, through: 0))
            var s = TrainingSettings()
            s.epochs = 3; s.batchSize = 16; s.validationSplit = 0.2; s.useCache = useCache; s.seed = 5
            let split = try data.stratifiedSplit(validationFraction: 0.2, seed: 1)
            let outcome = try Trainer(model: m, settings: s, train: split.train, validation: split.validation).run()
            cachedEpochs.append(outcome.history.filter { $0.cachedBlocks > 0 }.count)
            results.append(bits(m))
        }
        #expect(cachedEpochs == [3, 0])          // the cache was really used, and really off
        #expect(results[0] == results[1])
    }

    @Test func resumeAfterInterruptionIsBitIdentical() throws {
        let data = try patchImages(classes: 4, perClass: 25, seed: 4)
        var s = TrainingSettings()
        s.epochs = 4; s.batchSize = 8; s.validationSplit = 0.2; s.seed = 9; s.optimizer = .sgd; s.momentum = 0.9
        s.learningRate = 0.05; s.schedule = .cosine; s.warmupSteps = 3; s.weightDecay = 1e-3
        let split = try data.stratifiedSplit(validationFraction: 0.2, seed: 2)

        let straight = try model()
        let full = try Trainer(model: straight, settings: s, train: split.train, validation: split.validation).run()

        // Interrupt after 17 steps (in the middle of epoch 2), keep what a resume file keeps.
        let first = try model()
        var steps = 0
        var saved: (TrainingSnapshot, [String: Tensor])? = nil
        var events = TrainingEvents()
        events.shouldStop = { steps += 1; return steps == 17 }
        events.saveResumeState = { snapshot in saved = (snapshot, first.stateDictionary()) }
        let partial = try Trainer(model: first, settings: s, train: split.train, validation: split.validation).run(events: events)
        #expect(partial.interrupted)
        let (snapshot, weights) = try #require(saved)
        #expect(snapshot.state.epoch == 1 && snapshot.state.stepInEpoch > 0)

        let second = try model(seed: 77)                 // different init: everything must come from the snapshot
        try second.loadState(weights)
        let resumed = try Trainer(model: second, settings: s, train: split.train, validation: split.validation)
            .run(resumeFrom: snapshot)
        #expect(bits(second) == bits(straight))
        #expect(resumed.history.map(\.trainLoss) == full.history.map(\.trainLoss))
    }

    @Test func probeThenGradualUnfreezing() throws {
        let data = try patchImages(classes: 4, perClass: 10, seed: 6)
        let m = try model()
        _ = try m.freeze(.blocks(from: 0, through: 1))
        var s = TrainingSettings()
        s.epochs = 5; s.batchSize = 16; s.validationSplit = 0; s.probeEpochs = 1; s.unfreezeEvery = 1
        let outcome = try Trainer(model: m, settings: s, train: data, validation: nil).run()
        let counts = outcome.history.map(\.trainableParameters)
        let head = m.blocks[3].parameterCount, fc2 = m.blocks[2].parameterCount
        let fc = m.blocks[1].parameterCount, conv = m.blocks[0].parameterCount
        // probe: head only; then the freeze plan (blocks 0–1 frozen); then 1, then 0 released.
        #expect(counts == [head, head + fc2, head + fc2 + fc, head + fc2 + fc + conv, head + fc2 + fc + conv])
        // The user's freeze configuration is restored at the end.
        #expect(m.blocks[0].parameters().allSatisfy(\.isFrozen) && !m.blocks[2].parameters().contains(where: \.isFrozen))
    }

    @Test func discriminativeLearningRates() throws {
        let m = try model()
        var s = TrainingSettings()
        s.learningRate = 0.1; s.learningRateDecay = 0.5
        let trainer = try Trainer(model: m, settings: s, train: try patchImages(classes: 4, perClass: 2, seed: 1), validation: nil)
        try trainer.enterPhase(0)
        let rates = trainer.optimizer!.groups.map(\.learningRate)
        #expect(zip(rates, [0.0125, 0.025, 0.05, 0.1]).allSatisfy { Swift.abs(Double($0) - $1) < 1e-12 })
    }

    @Test func divergenceStopsWithLastGoodWeights() throws {
        let data = try patchImages(classes: 4, perClass: 10, seed: 7)
        let m = try model()
        var s = TrainingSettings()
        s.epochs = 3; s.batchSize = 8; s.validationSplit = 0; s.learningRate = 1e12; s.optimizer = .sgd
        let outcome = try Trainer(model: m, settings: s, train: data, validation: nil).run()
        let message = try #require(outcome.divergence)
        #expect(message.contains("loss became"))
    }

    @Test func headReplacementKeepsTheBody() throws {
        let folder = try makeTempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = try model(classes: 4)
        let url = folder.appendingPathComponent("s.safetensors")
        try Checkpoint(model: source, info: CheckpointInfo(kind: "pretrain", classNames: ["a", "b", "c", "d"], seed: 0)).write(to: url)
        var rng = SeededGenerator(seed: 3)
        let target = try Checkpoint.read(from: url, classCount: 2, dropHead: true, rng: &rng).model
        let s = source.stateDictionary(), t = target.stateDictionary()
        for (name, tensor) in t where !name.hasPrefix("blocks.3.") { #expect(tensor == s[name]!, "\(name)") }
        #expect(t["blocks.3.0.weight"]!.shape == [2, 8])
        // Without dropping the head, a class-count mismatch is an error naming the file.
        #expect(throws: CheckpointError.self) { try Checkpoint.read(from: url, classCount: 2, rng: &rng) }
    }
}
