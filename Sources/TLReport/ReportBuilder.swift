import Foundation
import TLNN
import TLModels
import TLTransfer

/// Assembles the parts of a `RunReport` that come from a run's records: the plan (from the
/// same `FreezeSchedule` the Trainer follows), the phase bands, the provenance and the
/// comparison figures.
public enum ReportBuilder {
    /// The plan of a run of `settings` on `model` under `schedule`: one column per phase,
    /// each block's learning rate in it or "frozen".
    public static func plan(model: TransferModel, settings: TrainingSettings, schedule: FreezeSchedule, headReplaced: Bool?) -> Plan {
        let headers = schedule.phases.enumerated().map { i, p in
            let epochs = p.firstEpoch == p.lastEpoch ? "epoch \(p.firstEpoch)" : "epochs \(p.firstEpoch)–\(p.lastEpoch)"
            return "\(i + 1): \(epochs)\(p.probing ? " (probe)" : "")"
        }
        var rows: [(block: String, parameters: Int, cells: [String])] = []
        for b in 0..<model.blockCount {
            let lr = String(format: "lr %.3g", settings.learningRate(ofBlock: b, headIndex: model.headIndex))
            let cells = schedule.phases.indices.map { i -> String in
                switch schedule.state(ofBlock: b, inPhase: i) {
                case .noParameters: return "-"
                case .frozen: return "frozen"
                case .trainable: return lr
                case let .partial(frozen, of): return "\(lr) (\(frozen)/\(of) frozen)"
                }
            }
            var name = "\(b) \(model.spec.blocks[b].name)"
            if b == model.headIndex, let replaced = headReplaced { name += replaced ? " (new head)" : " (head)" }
            rows.append((name, model.blocks[b].parameters().reduce(0) { $0 + $1.count }, cells))
        }
        var notes = ["optimizer \(settings.optimizer.rawValue), schedule \(settings.schedule.rawValue), \(settings.epochs) epochs of batch \(settings.batchSize), weight decay \(String(format: "%.3g", settings.weightDecay))"]
        if let d = settings.learningRateDecay { notes.append("discriminative learning rates: ×\(String(format: "%.3g", d)) per block below the head") }
        if let n = settings.unfreezeEvery { notes.append("gradual unfreezing: one more frozen block, from the top, every \(n) epochs") }
        if settings.probeEpochs > 0 { notes.append("linear probe for \(settings.probeEpochs) epochs first") }
        return Plan(phaseHeaders: headers, rows: rows, notes: notes)
    }

    /// Shaded bands for the phases of `schedule` when there is more than one.
    public static func bands(_ schedule: FreezeSchedule, model: TransferModel) -> [ShadedBand] {
        guard schedule.phases.count > 1 else { return [] }
        return schedule.phases.map { p in
            let label: String
            if p.probing { label = "probe" }
            else if let last = p.released.last { label = "+\(model.spec.blocks[last].name)" }
            else { label = "fine-tune" }
            return ShadedBand(from: Double(p.firstEpoch) - 0.5, to: Double(p.lastEpoch) + 0.5, label: label)
        }
    }

    /// Data, selection, settings, seed, command line and version of a checkpoint.
    public static func provenance(_ info: CheckpointInfo, checkpoint: String?) -> [(String, String)] {
        var rows: [(String, String)] = []
        if let checkpoint { rows.append(("checkpoint", checkpoint)) }
        rows.append(("kind", info.kind))
        if let parent = info.parent { rows.append(("fine-tuned from", parent)) }
        if let data = info.data { rows.append(("data", data + (info.labelsShuffled == true ? " (labels shuffled)" : ""))) }
        rows.append(("classes", info.classNames.joined(separator: ", ")))
        if let s = info.selection {
            var parts: [String] = []
            if let c = s.classes { parts.append("original classes " + c.map(String.init).joined(separator: ",")) }
            if let p = s.perClass { parts.append("\(p) per class") }
            parts.append("drawn with seed \(s.seed)")
            rows.append(("selection", parts.joined(separator: "; ")))
        }
        rows.append(("seed", String(info.seed)))
        if let settings = info.settings {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            if let data = try? encoder.encode(settings) { rows.append(("settings", String(decoding: data, as: UTF8.self))) }
        }
        if let f = info.frozenBlocks { rows.append(("frozen throughout", f.isEmpty ? "none" : f.map(String.init).joined(separator: ", "))) }
        if let r = info.releasedBlocks, !r.isEmpty {
            rows.append(("released", r.map { "block \($0.block) at epoch \($0.epoch)" }.joined(separator: ", ")))
        }
        if let v = info.validationAccuracy, let e = info.bestEpoch {
            rows.append(("best validation accuracy", String(format: "%.2f%% (epoch %d)", v * 100, e)))
        }
        if let command = info.command { rows.append(("command line", command)) }
        rows.append(("tl version", info.version))
        return rows
    }

    /// The comparison part of a report from the runs of `tl eval --baseline`.
    public static func comparison(_ runs: [Experiments.Run], seeds: [UInt64], scratchArchitecture: String?) -> Comparison? {
        func accuracies(_ kind: Experiments.Kind) -> [Double] {
            seeds.compactMap { s in runs.first { $0.kind == kind && $0.seed == s }?.metrics.accuracy }
        }
        let ft = accuracies(.finetune), sc = accuracies(.scratch), pr = accuracies(.probe)
        guard !ft.isEmpty, ft.count == sc.count else { return nil }
        var table = [(kind: "fine-tuned", values: ft), (kind: "scratch", values: sc)]
        var probeGain: TransferGain? = nil
        if pr.count == seeds.count {
            table.append((kind: "probe", values: pr))
            probeGain = TransferGain(transferred: pr, scratch: sc)
        }
        return Comparison(seeds: seeds, accuracies: table, gain: TransferGain(transferred: ft, scratch: sc), probeGain: probeGain,
                          scratchArchitecture: scratchArchitecture)
    }

    /// Learning curves of every baseline run, labelled by kind and seed.
    public static func curves(_ runs: [Experiments.Run]) -> [CurveRun] {
        runs.map { r in
            let label = r.kind == .finetune ? "fine-tuned" : r.kind.rawValue
            return CurveRun(label: label, seed: r.seed, history: r.history.map(\.record))
        }
    }
}
