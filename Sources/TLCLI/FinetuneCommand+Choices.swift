import Foundation
import TLTensor
import TLTransfer
import TLModels
import TLSafeTensors
import TLData

/// `--freeze auto` and `--lr find|auto`: choices made before training, printed and recorded.
extension FinetuneCommand {
    /// Resolves `--freeze auto` on the source weights and the prepared training data: sets the
    /// settings' selector and record, and freezes the model accordingly.
    static func chooseFreezeDepth(model: TransferModel, settings: inout TrainingSettings, train: Dataset, batchSize: Int,
                                  show: (String) -> Void) throws {
        let choice = try AutoFreeze.choose(model, train: train, batchSize: batchSize)
        settings.freeze = [AutoFreeze.selector(choice)]
        settings.freezeChoice = choice
        do { try Freezing.apply(settings, to: model) } catch let error as FreezeError { throw usageError(error) }
        show(freezeChoiceTable(choice))
    }

    /// The learning-rate range test on a twin of the run's model: built from the same
    /// checkpoint, seed and freeze configuration, so the real model and its RNG are untouched.
    static func findLearningRate(source: SafeTensorsFile, path: String, classCount: Int, replaceHead: Bool,
                                 settings: TrainingSettings, train: Dataset) throws -> LearningRateFinder.Sweep {
        var twinRNG = SeededGenerator(seed: settings.seed)
        let twin = try Experiments.finetuneModel(source: source, path: path, classCount: classCount, replaceHead: replaceHead,
                                                 settings: settings, rng: &twinRNG).0
        return try LearningRateFinder.sweep(twin, settings: settings, train: train)
    }

    static func freezeChoiceTable(_ c: FreezeChoice) -> String {
        var rows = [["BLOCK", "NAME", "LOGME", ""]]
        for s in c.scores {
            rows.append([String(s.block), s.name, String(format: "%.4f", s.logME), s.block == c.frozenThrough ? "← highest: freeze 0…\(s.block)" : ""])
        }
        return "--freeze auto: per-block LogME on the training data\n" + EvalReport.table(rows) + "\nrule: \(c.rule)"
    }

    static func freezeChoiceJSON(_ c: FreezeChoice) -> [String: Any] {
        ["frozen_through": c.frozenThrough, "rule": c.rule,
         "scores": c.scores.map { ["block": $0.block, "name": $0.name, "logme": $0.logME] as [String: Any] }]
    }

    /// About a dozen rows of the sweep (every k-th step) and the suggestion with its rule.
    static func sweepTable(_ s: LearningRateFinder.Sweep) -> String {
        var rows = [["LR", "LOSS", "SMOOTHED"]]
        let every = max(1, s.points.count / 12)
        for (i, p) in s.points.enumerated() where i % every == 0 || i == s.points.count - 1 {
            rows.append([String(format: "%.2e", p.learningRate), String(format: "%.4f", p.loss), String(format: "%.4f", p.smoothedLoss)])
        }
        return "learning-rate range test (\(s.points.count) steps; \(s.stopped))\n" + EvalReport.table(rows)
            + "\nsuggested learning rate: \(String(format: "%.3g", s.suggestion)) (\(s.rule))"
    }

    static func sweepJSON(_ s: LearningRateFinder.Sweep) -> [String: Any] {
        ["suggestion": s.suggestion, "rule": s.rule, "stopped": s.stopped,
         "points": s.points.map { ["lr": $0.learningRate, "loss": $0.loss, "smoothed": $0.smoothedLoss] as [String: Any] }]
    }
}
