import Testing
import Foundation
@testable import TLTransfer
import TLSafeTensors
import TLModels
@testable import TLNN
import TLTensor
import TLData

/// Probing and gradual unfreezing as one schedule that the Trainer follows and the dry-run
/// prints; verification of what stayed frozen; typed freeze settings in checkpoints.
@Suite struct FreezeScheduleTests {
    func model(seed: UInt64 = 1) throws -> TransferModel {
        var rng = SeededGenerator(seed: seed)
        return try TransferModel(spec: ModelSpec.parse(Data(tinyCNN.utf8), file: "tiny"), classCount: 4, rng: &rng)
    }

    func settings(epochs: Int, probe: Int = 0, every: Int? = nil, freeze: String) throws -> TrainingSettings {
        var s = TrainingSettings()
        s.epochs = epochs; s.probeEpochs = probe; s.unfreezeEvery = every; s.batchSize = 8; s.validationSplit = 0; s.seed = 3
        s.freeze = [try BlockSelector.parse(freeze)]
        return s
    }

    @Test func phasesOfProbingThenGradualUnfreezing() throws {
        let m = try model()
        let s = try settings(epochs: 6, probe: 1, every: 2, freeze: "0..1")
        try Freezing.apply(s, to: m)
        let schedule = FreezeSchedule(settings: s, model: m)
        #expect(schedule.unfreezeOrder == [1, 0])
        #expect(schedule.phases.map { [$0.firstEpoch, $0.lastEpoch] } == [[1, 1], [2, 3], [4, 5], [6, 6]])
        #expect(schedule.phases.map(\.probing) == [true, false, false, false])
        #expect(schedule.phases.map(\.released) == [[], [], [1], [1, 0]])
        #expect((0..<6).map(schedule.phaseIndex(forEpoch:)) == [0, 1, 1, 2, 2, 3])
        #expect(schedule.state(ofBlock: 2, inPhase: 0) == .frozen && schedule.state(ofBlock: 2, inPhase: 1) == .trainable)
        #expect(schedule.releases(throughEpoch: 6) == [.init(block: 1, epoch: 4), .init(block: 0, epoch: 6)])
        #expect(schedule.releases(throughEpoch: 5) == [.init(block: 1, epoch: 4)])
        // Frozen for the whole run: nothing after block 0 is released; block 0 alone before that.
        let block0 = Set(m.blocks[0].parameters().map(ObjectIdentifier.init))
        #expect(schedule.frozenThroughout(epochs: 6).isEmpty)
        #expect(schedule.frozenThroughout(epochs: 5) == block0)
    }

    @Test func theTrainerFollowsTheSchedule() throws {
        let m = try model()
        let s = try settings(epochs: 5, probe: 1, every: 1, freeze: "0..1")
        try Freezing.apply(s, to: m)
        let trainer = try Trainer(model: m, settings: s, train: try patchImages(classes: 4, perClass: 6, seed: 2), validation: nil)
        let outcome = try trainer.run()
        let schedule = trainer.schedule
        let expected = (0..<5).map { e -> Int in
            let phase = schedule.phaseIndex(forEpoch: e)
            return (0..<m.blockCount).filter { schedule.state(ofBlock: $0, inPhase: phase) == .trainable }
                .reduce(0) { $0 + m.blocks[$1].parameterCount }
        }
        #expect(outcome.history.map(\.trainableParameters) == expected)
    }

    @Test func resumingInsideAnUnfreezePhaseIsBitIdentical() throws {
        let data = try patchImages(classes: 4, perClass: 12, seed: 5)
        var s = try settings(epochs: 6, every: 2, freeze: "0..2")
        s.learningRateDecay = 0.5; s.optimizer = .sgd; s.learningRate = 0.05
        let straight = try model()
        try Freezing.apply(s, to: straight)
        _ = try Trainer(model: straight, settings: s, train: data, validation: nil).run()

        let first = try model()
        try Freezing.apply(s, to: first)
        var steps = 0
        var saved: (TrainingSnapshot, [String: Tensor])? = nil
        var events = TrainingEvents()
        events.shouldStop = { steps += 1; return steps == 15 }   // 6 steps an epoch: inside epoch 3, after block 2 was released
        events.saveResumeState = { snapshot in saved = (snapshot, first.stateDictionary()) }
        let partial = try Trainer(model: first, settings: s, train: data, validation: nil).run(events: events)
        let (snapshot, weights) = try #require(saved)
        #expect(partial.interrupted && snapshot.state.epoch == 2 && snapshot.state.phaseIndex == 1)

        let second = try model(seed: 99)
        try second.loadState(weights)
        try Freezing.apply(s, to: second)
        _ = try Trainer(model: second, settings: s, train: data, validation: nil).run(resumeFrom: snapshot)
        let a = straight.namedState(), b = second.namedState()
        #expect(a.map(\.name) == b.map(\.name))
        #expect(zip(a, b).allSatisfy { $0.tensor.scalars.map(\.bitPattern) == $1.tensor.scalars.map(\.bitPattern) })
    }

    @Test func selectorsOutsideTheModelAreTypedErrors() throws {
        let m = try model()
        var s = TrainingSettings()
        s.freeze = [try BlockSelector.parse("7..")]
        #expect(throws: FreezeError.blockOutOfRange(range: "7..", blocks: ["0 conv", "1 fc", "2 fc2", "3 head"])) { try Freezing.apply(s, to: m) }
        s.freeze = []
        s.pathRules = [.init(pattern: "*.gamma", freeze: true)]
        #expect {
            try Freezing.apply(s, to: m)
        } throws: { error in
            guard case let FreezeError.noMatch(rule, nearest)? = error as? FreezeError else { return false }
            return rule.pattern == "*.gamma" && !nearest.isEmpty
        }
    }

    @Test func settingsStoredBeforeTheTypedFormStillDecode() throws {
        var s = TrainingSettings()
        s.freeze = [.blocks(0, through: 1)]
        var object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(s)) as? [String: Any])
        #expect(try JSONDecoder().decode(TrainingSettings.self, from: JSONSerialization.data(withJSONObject: object)) == s)
        object["freeze"] = ["0..1"]   // what checkpoints held before
        #expect(try JSONDecoder().decode(TrainingSettings.self, from: JSONSerialization.data(withJSONObject: object)) == s)
    }
}
