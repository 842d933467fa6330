import Foundation
import TLTensor
import TLNN
import TLOptim
import TLModels

/// Everything besides the current weights that a run needs to continue exactly where it
/// stopped: position (epoch, step, global step — hence the schedule position), the unfreezing
/// phase (an index into the run's `FreezeSchedule`), optimizer state, best-so-far weights and
/// metrics, partial epoch statistics and the
/// state of every dropout generator. Data order and augmentation are functions of
/// (seed, epoch) and are replayed, not stored.
public struct TrainingSnapshot {
    public struct State: Codable, Sendable, Equatable {
        public var settings: TrainingSettings
        public var epoch: Int
        public var stepInEpoch: Int
        public var globalStep: Int
        public var history: [EpochSummary]
        public var bestEpoch: Int?
        public var bestAccuracy: Double?
        public var bestLoss: Double?
        public var epochsWithoutImprovement: Int
        /// Index of the `FreezeSchedule` phase the optimizer state belongs to (nil in resume
        /// files written before it was recorded: derived from the position).
        public var phaseIndex: Int?
        public var epochLossSum: Double
        public var epochCorrect: Int
        public var epochSeen: Int
        public var optimizerScalars: [String: Double]
        public var dropoutStates: [String: [UInt64]]
    }

    public var state: State
    /// `optimizer.<key>` and `best.<parameter path>` tensors.
    public var tensors: [String: Tensor]
    /// The file it was read from (named in errors), or "".
    public var source = ""

    /// The JSON form stored under `tl.resume` in a checkpoint's metadata.
    public func metadataJSON() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(state), as: UTF8.self)
    }

    /// Reads the snapshot back from a checkpoint, or nil when it holds none.
    public static func from(_ checkpoint: Checkpoint) throws -> TrainingSnapshot? {
        guard let json = checkpoint.extraMetadata[Checkpoint.resumeKey] else { return nil }
        let state = try Checkpoint.jsonDecoder.decode(State.self, from: Data(json.utf8))
        return TrainingSnapshot(state: state, tensors: checkpoint.extraTensors)
    }
}

extension Trainer {
    /// A resumable snapshot of the run as it is now.
    public func snapshot() -> TrainingSnapshot {
        var tensors: [String: Tensor] = [:]
        var scalars: [String: Double] = [:]
        if let optimizer {
            let s = optimizer.state()
            for (k, t) in s.tensors { tensors["optimizer.\(k)"] = t }
            scalars = s.scalars
        }
        if let best { for (name, t) in best.state { tensors["best.\(name)"] = t } }
        let dropout = model.namedRandomStates()
        let state = TrainingSnapshot.State(
            settings: settings, epoch: epoch, stepInEpoch: stepInEpoch, globalStep: globalStep, history: history,
            bestEpoch: best?.epoch, bestAccuracy: best?.accuracy ?? nil, bestLoss: best?.loss ?? nil,
            epochsWithoutImprovement: epochsWithoutImprovement, phaseIndex: phase,
            epochLossSum: epochLossSum, epochCorrect: epochCorrect, epochSeen: epochSeen,
            optimizerScalars: scalars, dropoutStates: dropout)
        return TrainingSnapshot(state: state, tensors: tensors)
    }

    /// Restores a snapshot taken by `snapshot()` (the model already holds the weights saved
    /// with it).
    func restore(_ snapshot: TrainingSnapshot) throws {
        let s = snapshot.state
        guard s.settings == settings else { throw TrainingError("the resume state was made with different training settings") }
        // The position comes from a file: check it before it drives a loop or an index.
        let counts = [s.epochsWithoutImprovement, s.epochCorrect, s.epochSeen, s.bestEpoch ?? 0, s.phaseIndex ?? 0]
        guard (0...settings.epochs).contains(s.epoch), (0...stepsPerEpoch).contains(s.stepInEpoch),
              s.globalStep >= 0, s.globalStep <= stepsPerEpoch * settings.epochs, counts.allSatisfy({ $0 >= 0 }),
              s.epochLossSum.isFinite, s.history.count <= settings.epochs else {
            throw TrainingError("\(snapshot.source.isEmpty ? "" : snapshot.source + ": ")the resume state is impossible for this run (epoch \(s.epoch), step \(s.stepInEpoch), global step \(s.globalStep); the run has \(settings.epochs) epochs of \(stepsPerEpoch) steps)")
        }
        epoch = s.epoch; stepInEpoch = s.stepInEpoch; globalStep = s.globalStep
        history = s.history
        epochsWithoutImprovement = s.epochsWithoutImprovement
        epochLossSum = s.epochLossSum; epochCorrect = s.epochCorrect; epochSeen = s.epochSeen
        if let bestEpoch = s.bestEpoch {
            var state: [(name: String, tensor: Tensor)] = []
            for (name, _) in model.namedState() {
                guard let t = snapshot.tensors["best.\(name)"] else { throw TrainingError("resume state lacks best weights for \(name)") }
                state.append((name, t))
            }
            best = (bestEpoch, s.bestAccuracy, s.bestLoss, state)
        }
        if epoch < settings.epochs {
            // A snapshot taken at an epoch's end still holds the optimizer of that epoch's phase.
            let index = s.phaseIndex ?? schedule.phaseIndex(forEpoch: stepInEpoch == 0 && epoch > 0 ? epoch - 1 : epoch)
            guard schedule.phases.indices.contains(index) else { throw TrainingError("the resume state names unfreezing phase \(index), which this run does not have") }
            try enterPhase(index)
            var optimizerTensors: [String: Tensor] = [:]
            for (k, t) in snapshot.tensors where k.hasPrefix("optimizer.") { optimizerTensors[String(k.dropFirst(10))] = t }
            try optimizer?.loadState(OptimizerState(tensors: optimizerTensors, scalars: s.optimizerScalars))
        }
        try model.loadRandomStates(s.dropoutStates)
    }
}
