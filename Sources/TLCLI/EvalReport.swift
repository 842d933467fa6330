import Foundation
import TLTransfer
import TLSafeTensors
import TLModels

extension ClassificationMetrics {
    func jsonObject(classNames: [String]) -> [String: Any] {
        [
            "accuracy": accuracy, "macro_f1": macroF1, "mean_loss": meanLoss, "ece_15_bins": expectedCalibrationError,
            "count": count, "classes": classNames, "precision": precision, "recall": recall, "f1": f1, "confusion": confusion,
        ]
    }
}

/// Text and JSON renderings of evaluation results.
enum EvalReport {
    static func table(_ rows: [[String]]) -> String {
        let widths = (0..<(rows.first?.count ?? 0)).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { r in
            r.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }

    static func metricsTable(_ m: ClassificationMetrics, classNames: [String], title: String) -> String {
        let summary = [["accuracy", percent(m.accuracy)], ["macro-F1", fixed(m.macroF1, 4)],
                       ["mean loss", fixed(m.meanLoss, 4)], ["ECE (15 bins)", fixed(m.expectedCalibrationError, 4)]]
        var lines = [title] + table(summary).split(separator: "\n").map { "  " + $0 } + [""]
        var rows = [["class", "precision", "recall", "f1", "support"]]
        for (i, name) in classNames.enumerated() {
            rows.append([name, String(format: "%.3f", m.precision[i]), String(format: "%.3f", m.recall[i]),
                         String(format: "%.3f", m.f1[i]), String(m.confusion[i].reduce(0, +))])
        }
        lines.append(table(rows))
        lines.append("")
        lines.append("confusion matrix (rows: true class, columns: predicted)")
        var confusion = [["true\\pred"] + classNames]
        for (i, name) in classNames.enumerated() { confusion.append([name] + m.confusion[i].map(String.init)) }
        lines.append(table(confusion))
        return lines.joined(separator: "\n")
    }

    /// Paired-seed comparison of fine-tuning against scratch (and optionally a probe).
    struct Comparison {
        var runs: [Experiments.Run]
        var seeds: [UInt64]
        /// The scratch side's architecture when it is not the checkpoint's own (`--scratch-model`).
        var scratchArchitecture: String? = nil
        /// With `--seeds auto`: why seeds stopped being added.
        var stopReason: String? = nil

        /// "the 95% interval … excludes zero after N seeds", or nil while it includes zero.
        func adaptiveStop() -> String? {
            let g = gain
            guard g.lower > 0 || g.upper < 0 else { return nil }
            return "the 95% interval of the gain excludes zero after \(seeds.count) seeds"
        }

        func accuracies(_ kind: Experiments.Kind) -> [Double] {
            seeds.compactMap { s in runs.first { $0.kind == kind && $0.seed == s }?.metrics.accuracy }
        }
        var gain: TransferGain { TransferGain(transferred: accuracies(.finetune), scratch: accuracies(.scratch)) }
        var probeGain: TransferGain? {
            let p = accuracies(.probe)
            return p.count == seeds.count ? TransferGain(transferred: p, scratch: accuracies(.scratch)) : nil
        }

        static func points(_ x: Double) -> String { String(format: "%+.1f", x * 100) }

        func table() -> String {
            let hasProbe = probeGain != nil
            var rows = [["seed", "fine-tuned", "scratch"] + (hasProbe ? ["probe"] : []) + ["gain"]]
            let ft = accuracies(.finetune), sc = accuracies(.scratch), pr = accuracies(.probe)
            for (i, s) in seeds.enumerated() {
                rows.append([String(s), percent(ft[i]), percent(sc[i])] + (hasProbe ? [percent(pr[i])] : [])
                            + [Self.points(ft[i] - sc[i]) + " pts"])
            }
            func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(Swift.max(v.count, 1)) }
            rows.append(["mean", percent(mean(ft)), percent(mean(sc))] + (hasProbe ? [percent(mean(pr))] : []) + [Self.points(gain.mean) + " pts"])
            let scratchSide = scratchArchitecture.map { "'\($0)' trained from scratch" } ?? "the same architecture from scratch"
            var lines = ["transfer check: fine-tuned vs \(scratchSide), same data and settings, \(seeds.count) seed\(seeds.count == 1 ? "" : "s")",
                         EvalReport.table(rows), ""]
            lines.append(Self.verdictLine("transfer gain", gain, seeds: seeds.count))
            if let stopReason { lines.append("--seeds auto: \(seeds.count) seeds; stopped because \(stopReason)") }
            if let probeGain { lines.append(Self.verdictLine("linear-probe gain", probeGain, seeds: seeds.count)) }
            return lines.joined(separator: "\n")
        }

        static func verdictLine(_ label: String, _ g: TransferGain, seeds: Int) -> String {
            let interval = g.lower.isFinite ? "95% CI [\(points(g.lower)), \(points(g.upper))] pts" : "no interval with one seed"
            return "\(label) \(points(g.mean)) pts, \(interval): \(g.verdict.rawValue.uppercased())"
        }

        func jsonObject() -> [String: Any] {
            func gainObject(_ g: TransferGain) -> [String: Any] {
                ["mean": g.mean, "ci95_lower": g.lower.isFinite ? g.lower : NSNull(), "ci95_upper": g.upper.isFinite ? g.upper : NSNull(),
                 "per_seed": g.gains, "verdict": g.verdict.rawValue]
            }
            var o: [String: Any] = [
                "seeds": seeds.map { Int($0) },
                "runs": runs.map { r -> [String: Any] in
                    ["kind": r.kind.rawValue, "seed": Int(r.seed), "accuracy": r.metrics.accuracy, "macro_f1": r.metrics.macroF1,
                     "mean_loss": r.metrics.meanLoss, "train_samples": r.trainCount, "test_samples": r.testCount, "seconds": r.seconds]
                },
                "transfer_gain": gainObject(gain),
            ]
            if let scratchArchitecture { o["scratch_architecture"] = scratchArchitecture }
            if let stopReason { o["seeds_used"] = seeds.count; o["stop_reason"] = stopReason }
            if let probeGain { o["probe_gain"] = gainObject(probeGain) }
            return o
        }
    }
}
