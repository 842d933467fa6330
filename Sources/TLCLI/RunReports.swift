import Foundation
import TLData
import TLModels
import TLReport
import TLSafeTensors
import TLTransfer

/// The reports the commands write: after training (`--report` on pretrain and finetune),
/// after evaluation (`eval --report`) and from checkpoints afterwards (`tl report`).
enum RunReports {
    /// A training run's report: its curves, the validation split scored (when there is one),
    /// drift from the source (fine-tuning), plan and provenance. `info` holds the history.
    static func training(command: String, model: TransferModel, info: CheckpointInfo, out: URL, prepared: PreparedTask,
                         source: (file: SafeTensorsFile, path: String)?, headReplaced: Bool?, batchSize: Int) throws -> RunReport {
        var inputs = ReportBuilder.Inputs(title: "tl \(command): \(out.lastPathComponent)", subtitle: subtitle(info),
                                          model: model, info: info, checkpointPath: out.path)
        inputs.curves = [CurveRun(label: "this run", history: info.history ?? [])]
        if let validation = prepared.validation, validation.count > 0 {
            inputs.evaluation = try ReportAnalysis.evaluate(model, data: validation, setName: "the \(validation.count) validation samples",
                                                            classNames: prepared.classNames, normalization: prepared.normalization,
                                                            batchSize: batchSize)
        }
        inputs.source = source
        inputs.headReplaced = headReplaced
        return try ReportBuilder.assemble(inputs)
    }

    /// "fine-tuned from source.safetensors on mnist5k (classes 5–9, 10 per class), seed 0".
    static func subtitle(_ info: CheckpointInfo) -> String {
        var parts: [String] = []
        switch info.kind {
        case "finetune": parts.append("fine-tuned from \(URL(fileURLWithPath: info.parent ?? "?").lastPathComponent)")
        case "pretrain": parts.append("trained from random weights")
        default: parts.append(info.kind)
        }
        if let data = info.data { parts.append("on \(data)") }
        var selection: [String] = ["\(info.classNames.count) classes"]
        if let p = info.selection?.perClass { selection.append("\(p) per class") }
        parts.append("(" + selection.joined(separator: ", ") + ")")
        parts.append("seed \(info.seed)")
        return parts.joined(separator: " ")
    }

    /// The source checkpoint a fine-tuned checkpoint records, when it can still be read.
    static func parent(of info: CheckpointInfo) -> (file: SafeTensorsFile, path: String)? {
        guard let path = info.parent, let file = try? SafeTensorsFile.read(from: URL(fileURLWithPath: path)) else { return nil }
        return (file, path)
    }
}
