import Foundation
import TLNN
import TLData
import TLModels

/// `--freeze auto`: the freeze depth chosen from per-block transferability on the target's
/// training data, before training, so the run itself is an ordinary fixed-depth run.
public enum AutoFreeze {
    /// The rule, as recorded and printed.
    public static let rule = "freeze blocks 0…k, where block k's output has the highest LogME on the target's training data (blocks below the head); the blocks above k and the head are trained"

    /// Scores every block below the head of `model` (source weights) on `train` (prepared
    /// for the model) and applies the rule.
    public static func choose(_ model: TransferModel, train: Dataset, batchSize: Int = 256) throws -> FreezeChoice {
        guard model.headIndex >= 1 else { throw TrainingError("--freeze auto needs a model with blocks below its head") }
        guard Set(train.labels).count >= 2 else { throw TrainingError("--freeze auto needs training samples of at least two classes") }
        let scores = try Transferability.blockScores(model, data: train, blocks: Array(0..<model.headIndex), batchSize: batchSize)
        return decide(scores.map { FreezeChoice.BlockScore(block: $0.block, name: $0.name, logME: $0.logME) })
    }

    /// The rule on given scores (the highest LogME; the lower block on a tie).
    public static func decide(_ scores: [FreezeChoice.BlockScore]) -> FreezeChoice {
        var best = scores[0]
        for s in scores.dropFirst() where s.logME > best.logME { best = s }
        return FreezeChoice(scores: scores, frozenThrough: best.block, rule: rule)
    }

    /// The block selector the choice resolves to.
    public static func selector(_ choice: FreezeChoice) -> BlockSelector { .blocks(0, through: choice.frozenThrough) }
}
