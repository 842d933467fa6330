import Testing
import Foundation
@testable import TLTransfer
@testable import TLNN
import TLTensor
import TLData
import TLModels
import TLDistributed

/// A LeNet-like spec without dropout (dropout masks depend on the batch size, so no
/// data-parallel run could match a single process with them).
let tinyLeNet = """
{"name": "tiny-lenet", "input": [6, 6, 1], "blocks": [
  {"name": "conv", "layers": [{"type": "conv2d", "out": 4, "kernel": 3, "padding": 1}, {"type": "relu"}, {"type": "maxpool", "size": 2}]},
  {"name": "fc", "layers": [{"type": "flatten"}, {"type": "linear", "out": 16}, {"type": "relu"}]},
  {"name": "head", "layers": [{"type": "linear", "out": "classes"}]}]}
"""

let tinyBatchNormNet = """
{"name": "tiny-bn", "input": [6, 6, 1], "blocks": [
  {"name": "conv", "layers": [{"type": "conv2d", "out": 4, "kernel": 3, "padding": 1}, {"type": "batchnorm"}, {"type": "relu"}]},
  {"name": "head", "layers": [{"type": "flatten"}, {"type": "linear", "out": "classes"}]}]}
"""

/// Lets a non-Sendable value cross into the rank threads of a test (each rank owns its own).
final class RankBox<T>: @unchecked Sendable { var value: T; init(_ value: T) { self.value = value } }

@Suite struct DistributedTrainingTests {
    func model(_ spec: String = tinyLeNet) throws -> TransferModel {
        var rng = SeededGenerator(seed: 11)
        return try TransferModel(spec: ModelSpec.parse(Data(spec.utf8), file: "tiny"), classCount: 4, rng: &rng)
    }

    var settings: TrainingSettings {
        var s = TrainingSettings()
        s.optimizer = .sgd; s.momentum = 0.9; s.learningRate = 0.05; s.seed = 3
        s.validationSplit = 0; s.batchSize = 16; s.epochs = 2
        return s
    }

    /// Trains one model per rank of an in-process group, each rank on its own thread.
    func trainOnRanks(_ size: Int, spec: String = tinyLeNet, data: Dataset, settings: [TrainingSettings], datasets: [Dataset]? = nil,
                      events: ((Int, ThreadGroup) -> TrainingEvents)? = nil) throws -> [Result<(TransferModel, TrainingOutcome), any Error>] {
        let group = ThreadGroup(size: size, timeout: 60)
        let models = try RankBox((0..<size).map { _ in try model(spec) })
        let box = RankBox((data, settings, datasets))
        let eventsBox = RankBox(events)
        return group.run { r in
            let (data, settings, datasets) = box.value
            let trainer = try Trainer(model: models.value[r], settings: settings[r], train: datasets?[r] ?? data, validation: nil)
            trainer.communicator = group.communicators[r]
            let outcome = try trainer.run(events: eventsBox.value?(r, group) ?? TrainingEvents())
            return (models.value[r], outcome)
        }
    }

    /// Largest |a − b| over largest |b|, over every tensor of the model state.
    func relativeDifference(_ a: TransferModel, _ b: TransferModel) -> Float {
        var worst: Float = 0
        for ((_, x), (_, y)) in zip(a.namedState(), b.namedState()) {
            let diff = zip(x.scalars, y.scalars).map { abs($0 - $1) }.max() ?? 0
            let scale = y.scalars.map(abs).max() ?? 0
            worst = max(worst, scale > 0 ? diff / scale : diff)
        }
        return worst
    }

    @Test func shardsOfEveryBatchAreItsSamplesInOrder() throws {
        let data = try patchImages(classes: 4, perClass: 5, seed: 1)
        for n in [1, 2, 7, 16] {
            var batches = try data.batches(size: n, shuffle: true, seed: 4)
            let batch = batches.next()!
            for size in [1, 2, 3, 5] {
                let parts = (0..<size).map { Trainer.shard(batch, rank: $0, size: size) }
                #expect(parts.flatMap(\.indices) == batch.indices)
                #expect(parts.flatMap(\.features) == batch.features)
                #expect(parts.map(\.count).max()! - parts.map(\.count).min()! <= 1)
            }
        }
    }

    /// Two ranks with the global batch of 16 (8 each) against one process with 16: 50 steps.
    @Test func twoRanksMatchOneProcessWithTheDoubledBatch() throws {
        let data = try patchImages(classes: 4, perClass: 100, seed: 2)   // 400 samples: 25 steps × 2 epochs
        let single = try model()
        let outcome = try Trainer(model: single, settings: settings, train: data, validation: nil).run()
        #expect(outcome.steps == 50)
        let ranks = try trainOnRanks(2, data: data, settings: [settings, settings]).map { try $0.get() }
        #expect(ranks.allSatisfy { $0.1.steps == 50 })
        #expect(relativeDifference(ranks[0].0, single) < 1e-4)
        // Every rank holds bit-identical weights.
        #expect(relativeDifference(ranks[1].0, ranks[0].0) == 0)
        // Epoch figures are the global ones.
        #expect(abs(ranks[0].1.history[1].trainLoss - outcome.history[1].trainLoss) < 1e-3)
        #expect(ranks[0].1.history[1].trainAccuracy == outcome.history[1].trainAccuracy)
        // The tolerance discriminates: the per-rank batch alone trains measurably differently.
        var half = settings
        half.batchSize = 8
        half.epochs = 1
        let other = try model()
        _ = try Trainer(model: other, settings: half, train: data, validation: nil).run()
        #expect(relativeDifference(other, single) > 1e-3)
    }

    /// Three ranks, a batch of 10 (not divisible by 3) and a last batch of one sample (fewer
    /// than the ranks): still the single-process training.
    @Test func unevenShardsStillMatchOneProcess() throws {
        let data = try patchImages(classes: 4, perClass: 30, seed: 5).subset(Array(0..<91))
        var s = settings
        s.batchSize = 10
        s.epochs = 3
        let single = try model()
        _ = try Trainer(model: single, settings: s, train: data, validation: nil).run()
        let ranks = try trainOnRanks(3, data: data, settings: [s, s, s]).map { try $0.get() }
        #expect(relativeDifference(ranks[0].0, single) < 1e-4)
        #expect(relativeDifference(ranks[2].0, ranks[0].0) == 0)
    }

    @Test func batchNormRunningStatisticsAgreeAcrossRanks() throws {
        let data = try patchImages(classes: 4, perClass: 20, seed: 6)
        let ranks = try trainOnRanks(2, spec: tinyBatchNormNet, data: data, settings: [settings, settings]).map { try $0.get() }
        #expect(relativeDifference(ranks[1].0, ranks[0].0) == 0)
        let initial = try model(tinyBatchNormNet)
        let stats = ranks[0].0.namedBuffers().map(\.buffer.value.scalars)
        #expect(!stats.isEmpty)
        #expect(stats != initial.namedBuffers().map(\.buffer.value.scalars))   // they did train
    }

    @Test func ranksWithDifferentSettingsOrDataRefuseToStart() throws {
        let data = try patchImages(classes: 4, perClass: 10, seed: 7)
        var other = settings
        other.learningRate = 0.01
        for result in try trainOnRanks(2, data: data, settings: [settings, other]) {
            #expect(throws: DistributedError.ranksDisagree(on: ["settings"])) { try result.get() }
        }
        let otherData = try patchImages(classes: 4, perClass: 10, seed: 8)
        for result in try trainOnRanks(2, data: data, settings: [settings, settings], datasets: [data, otherData]) {
            #expect(throws: DistributedError.ranksDisagree(on: ["data"])) { try result.get() }
        }
    }

    @Test func aRankThatDiesStopsTheOthersWithAnError() throws {
        let data = try patchImages(classes: 4, perClass: 100, seed: 9)
        let started = Date()
        let results = try trainOnRanks(2, data: data, settings: [settings, settings]) { rank, group in
            var events = TrainingEvents()
            let steps = RankBox(0)
            events.shouldStop = {
                steps.value += 1
                if rank == 1 && steps.value == 5 { group.fail(rank: 1) }
                return false
            }
            return events
        }
        #expect(Date().timeIntervalSince(started) < 30)
        #expect(throws: DistributedError.peerFailed(rank: 1)) { try results[0].get() }
    }

    @Test func aStopRequestOnOneRankStopsEveryRankAtTheSameStep() throws {
        let data = try patchImages(classes: 4, perClass: 100, seed: 10)
        let results = try trainOnRanks(2, data: data, settings: [settings, settings]) { rank, _ in
            var events = TrainingEvents()
            let steps = RankBox(0)
            events.shouldStop = { steps.value += 1; return rank == 1 && steps.value == 7 }
            return events
        }.map { try $0.get() }
        #expect(results.map(\.1.interrupted) == [true, true])
        #expect(results.map(\.1.steps) == [7, 7])
    }
}
