import Foundation
import TLNN
import TLTransfer
import TLSafeTensors
import TLModels
import TLReport

/// The `--dry-run` report: what fine-tuning would do, block by block.
enum FinetunePlan {
    static func render(model: TransferModel, settings: TrainingSettings, schedule: FreezeSchedule, replaceHead: Bool, source: CheckpointInfo,
                       trainCount: Int, validationCount: Int) -> String {
        let shapes = (try? model.spec.blockOutputShapes(classes: model.classCount, vocab: model.vocabularySize)) ?? []
        var rows: [[String]] = [["BLOCK", "NAME", "OUTPUT", "PARAMS", "STATE", "BATCHNORM", "LR", "WD"]]
        for b in 0..<model.blockCount {
            let params = model.blocks[b].parameters()
            let count = params.reduce(0) { $0 + $1.count }
            let frozen = params.filter(\.isFrozen).count
            let state = params.isEmpty ? "-" : frozen == params.count ? "frozen" : frozen == 0 ? "trainable" : "partial (\(frozen)/\(params.count) frozen)"
            let norms = model.blocks[b].namedModules().compactMap { $0.module as? BatchNorm }
            let bn = norms.isEmpty ? "-" : norms.allSatisfy { $0.usesBatchStatistics } ? "batch stats" : norms.allSatisfy { !$0.usesBatchStatistics } ? "running stats" : "mixed"
            let lr = settings.learningRate(ofBlock: b, headIndex: model.headIndex)
            let trainable = frozen < params.count
            let shape = b < shapes.count ? "[" + shapes[b].map(String.init).joined(separator: ", ") + "]" : "?"
            rows.append([String(b), model.spec.blocks[b].name + (b == model.headIndex ? (replaceHead ? " (new head)" : " (head)") : ""),
                         shape, grouped(count), state, bn,
                         trainable ? String(format: "%.3g", lr) : "-", trainable ? String(format: "%.3g", settings.weightDecay) : "-"])
        }
        var lines = [EvalReport.table(rows)]
        let total = model.parameterCount
        let trainable = model.trainableParameters().reduce(0) { $0 + $1.count }
        lines.append("")
        lines.append("trainable parameters: \(grouped(trainable)) of \(grouped(total)) (\(grouped(total - trainable)) frozen)")
        lines.append("data: \(trainCount) training, \(validationCount) validation samples; source classes \(source.classNames.joined(separator: ",")); head \(replaceHead ? "replaced" : "kept")")
        lines.append("optimizer: \(settings.optimizer.rawValue), schedule \(settings.schedule.rawValue), \(settings.epochs) epochs of batch \(settings.batchSize)")
        lines.append("augmentation: " + (settings.augment.isIdentity ? "none"
            : "\(settings.augment.summary) (--augment \(settings.augment); seeded; frozen-prefix caching off)"))
        if let n = settings.unfreezeEvery { lines.append("gradual unfreezing: one more frozen block, from the top, every \(n) epochs") }
        if !settings.useCache { lines.append("frozen-prefix caching: off (--no-cache)") }
        lines += settings.adaptation?.summaryLines ?? []
        lines.append("")
        lines.append(phaseTable(model: model, settings: settings, schedule: schedule))
        return lines.joined(separator: "\n")
    }

    /// The phases of the run (from the same `FreezeSchedule` the Trainer follows): one
    /// column per phase, each block's learning rate in it, or "frozen".
    /// (The same plan the HTML report shows: `ReportBuilder.plan`.)
    static func phaseTable(model: TransferModel, settings: TrainingSettings, schedule: FreezeSchedule) -> String {
        let plan = ReportBuilder.plan(model: model, settings: settings, schedule: schedule, headReplaced: nil)
        return EvalReport.table([["PHASE PLAN"] + plan.phaseHeaders] + plan.rows.map { [$0.block] + $0.cells })
    }
}

