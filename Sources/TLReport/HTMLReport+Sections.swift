import Foundation
import TLTransfer
import TLModels

extension HTMLReport {
    /// Loss and accuracy per epoch for every run, training dashed and validation solid, one
    /// colour per kind of run (every seed of a kind shares it); phases shaded.
    static func curves(_ r: RunReport) -> String {
        var labels: [String] = []
        for c in r.curves where !labels.contains(c.label) { labels.append(c.label) }
        func color(_ label: String) -> String { SVG.palette[(labels.firstIndex(of: label) ?? 0) % SVG.palette.count] }
        func series(_ value: (EpochRecord) -> Double?, training: Bool) -> [LineSeries] {
            r.curves.compactMap { c in
                let points = c.history.compactMap { e in value(e).map { PlotPoint(Double(e.epoch), $0) } }
                guard !points.isEmpty else { return nil }
                let name = c.label + (c.seed.map { " seed \($0)" } ?? "") + (training ? " training" : " validation")
                return LineSeries(name: name, color: color(c.label), dashed: training, points: points)
            }
        }
        let loss = LinePlot(title: "loss per epoch", xTitle: "epoch", yTitle: "loss",
                            series: series({ $0.trainLoss }, training: true) + series({ $0.validationLoss }, training: false), bands: r.phases)
        let accuracy = LinePlot(title: "accuracy per epoch", xTitle: "epoch", yTitle: "accuracy",
                                series: series({ $0.trainAccuracy }, training: true) + series({ $0.validationAccuracy }, training: false),
                                bands: r.phases, yPercent: true)
        let hasValidation = r.curves.contains { $0.history.contains { $0.validationLoss != nil } }
        var items: [(color: String, label: String, dashed: Bool)] = []
        for label in labels {
            let n = r.curves.filter { $0.label == label }.count
            let name = label + (n > 1 ? " (\(n) seeds)" : "")
            items.append((color(label), name + " — training", true))
            if hasValidation { items.append((color(label), name + " — validation", false)) }
        }
        var s = legend(items)
        if !r.phases.isEmpty {
            s += "<p class=\"note\">Shaded: the run's phases (" + r.phases.map { "\(esc($0.label)) epochs \(Int($0.from + 0.5))–\(Int($0.to - 0.5))" }.joined(separator: "; ") + ").</p>"
        }
        s += "<div class=\"row\">" + figure(loss.svg(), caption: "Loss per epoch (training: running mean over the epoch).")
        s += figure(accuracy.svg(), caption: "Accuracy per epoch.") + "</div>"
        if let best = r.bestEpoch, best > 0 { s += "<p class=\"note\">Weights kept from epoch \(best).</p>" }
        s += "<details><summary>Per-epoch figures</summary>"
        for c in r.curves {
            let title = c.label + (c.seed.map { " seed \($0)" } ?? "")
            let rows = c.history.map { e in
                [String(e.epoch), String(format: "%.4f", e.trainLoss), String(format: "%.2f%%", e.trainAccuracy * 100),
                 e.validationLoss.map { String(format: "%.4f", $0) } ?? "–", e.validationAccuracy.map { String(format: "%.2f%%", $0 * 100) } ?? "–",
                 String(format: "%.2f", e.seconds)]
            }
            s += "<p class=\"note\">\(esc(title))</p>" + table(["epoch", "train loss", "train acc", "val loss", "val acc", "seconds"], rows, cssClass: "epochs")
        }
        return s + "</details>"
    }

    /// The verdict in words and colour, the per-seed table and the gain plot.
    static func comparison(_ c: Comparison) -> String {
        let g = c.gain
        let cls = verdictClass(g.verdict)
        let interval = g.lower.isFinite ? "95% interval [\(points(g.lower)), \(points(g.upper))] points" : "no interval with one seed"
        let words: String
        switch g.verdict {
        case .positive: words = "Fine-tuning from the source beat training from scratch: the whole interval lies above zero."
        case .noSignificantDifference: words = "The interval includes zero: with these seeds, fine-tuning and training from scratch cannot be told apart."
        case .negative: words = "Transfer hurt: training from scratch did better, and the whole interval lies below zero."
        }
        var s = "<p class=\"verdict \(cls)\">\(esc(g.verdict.rawValue.uppercased())): gain \(points(g.mean)) points, \(interval)</p>"
        s += "<p>\(esc(words)) Fine-tuned vs \(esc(c.scratchArchitecture.map { "'\($0)' trained from scratch" } ?? "the same architecture from scratch")), same data and settings, \(c.seeds.count) seed\(c.seeds.count == 1 ? "" : "s"); each seed draws its own few-shot sample.</p>"
        let ft = c.accuracies.first { $0.kind == "fine-tuned" }?.values ?? []
        let sc = c.accuracies.first { $0.kind == "scratch" }?.values ?? []
        var rows: [[String]] = []
        for (i, seed) in c.seeds.enumerated() {
            rows.append([String(seed)] + c.accuracies.map { pct($0.values[i]) } + [points(ft[i] - sc[i]) + " pts"])
        }
        func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(Swift.max(v.count, 1)) }
        rows.append(["mean"] + c.accuracies.map { pct(mean($0.values)) } + [points(g.mean) + " pts"])
        s += table(["seed"] + c.accuracies.map(\.kind) + ["gain"], rows)
        let plot = GainPlot(seeds: c.seeds, gains: g.gains, mean: g.mean, lower: g.lower, upper: g.upper, verdictClass: cls)
        s += figure(plot.svg(), caption: "Gain per seed (fine-tuned minus scratch accuracy, points); line: mean; band: 95% Student-t interval.")
        if let p = c.probeGain {
            s += "<p class=\"verdict \(verdictClass(p.verdict))\">linear probe vs scratch: \(esc(p.verdict.rawValue)), \(points(p.mean)) points"
                + (p.lower.isFinite ? ", 95% interval [\(points(p.lower)), \(points(p.upper))]" : "") + "</p>"
        }
        return s
    }

    static func headline(_ e: Evaluation) -> String {
        let m = e.metrics
        return "<p class=\"note\">On \(esc(e.setName)).</p><div class=\"figures\">"
            + "<div>accuracy<b>\(pct(m.accuracy))</b></div><div>macro-F1<b>\(String(format: "%.4f", m.macroF1))</b></div>"
            + "<div>mean loss<b>\(String(format: "%.4f", m.meanLoss))</b></div><div>ECE (15 bins)<b>\(String(format: "%.4f", m.expectedCalibrationError))</b></div>"
            + "<div>samples<b>\(m.count)</b></div></div>"
    }

    static func confusion(_ e: Evaluation) -> String {
        let m = e.metrics
        var s = headline(e)
        let heat = ConfusionHeatMap(classNames: e.classNames, confusion: m.confusion)
        let rows = e.classNames.indices.map { i in
            [e.classNames[i], String(format: "%.3f", m.precision[i]), String(format: "%.3f", m.recall[i]), String(format: "%.3f", m.f1[i]),
             String(m.confusion[i].reduce(0, +))]
        }
        s += "<div class=\"row\">" + figure(heat.svg(), caption: "Rows: true class; columns: predicted. Shade: share of the row (blue: correct, orange: confused).", cssClass: "heatfig")
        s += "<figure>" + table(["class", "precision", "recall", "F1", "support"], rows) + "</figure></div>"
        return s
    }

    static func calibration(_ e: Evaluation) -> String {
        let plot = ReliabilityPlot(bins: e.bins, ece: e.metrics.expectedCalibrationError)
        return figure(plot.svg(), caption: "Reliability diagram: accuracy of the predictions in each of 15 confidence bins; the dashed diagonal is perfect calibration. Expected calibration error (ECE) \(String(format: "%.4f", e.metrics.expectedCalibrationError)).")
    }

    static func worst(_ e: Evaluation) -> String {
        var s = "<p class=\"note\">Of \(esc(e.setName)), the \(e.worst.count) with the highest loss (−log p of the true class), worst first.</p><div class=\"examples\">"
        for x in e.worst {
            s += "<div class=\"example\">"
            if let t = x.thumbnail { s += "<img alt=\"sample \(x.index)\" src=\"\(t)\">" }
            if let text = x.text { s += "<div class=\"text\">“\(esc(String(text.prefix(300))))”</div>" }
            s += "<div>true <b>\(esc(e.classNames[x.trueClass]))</b> · predicted <b>\(esc(e.classNames[x.predicted]))</b></div>"
            s += "<div>p(true) \(String(format: "%.3f", x.probabilityOfTrue)) · loss \(String(format: "%.2f", x.loss))</div></div>"
        }
        return s + "</div>"
    }

    static func projection(_ p: Projection, classNames: [String]) -> String {
        let plot = ScatterPlot(xs: p.xs, ys: p.ys, classes: p.classes, classNames: classNames,
                               xTitle: String(format: "PC1 (%.0f%% of variance)", p.explained.0 * 100),
                               yTitle: String(format: "PC2 (%.0f%%)", p.explained.1 * 100))
        let key = "<ul class=\"legend\">" + classNames.indices.map {
            "<li><span class=\"dotkey\" style=\"background:\(ScatterPlot.color(ofClass: $0))\"></span>\(esc(classNames[$0]))</li>"
        }.joined() + "</ul>"
        return key + figure(plot.svg(), caption: "The \(p.featureCount) features the head reads, for \(p.sampleCount) samples, projected on their first two principal components; colour: true class.")
    }

    static func drift(_ rows: [DriftPlot.Row], source: String?) -> String {
        let plot = DriftPlot(rows: rows)
        return figure(plot.svg(), caption: "Relative L2 change ‖w − w₀‖ / ‖w₀‖ of each block's parameters from \(esc(source ?? "the source checkpoint")); grey bars: blocks frozen for the whole run (0 means bit-identical).")
    }

    static func plan(_ p: Plan) -> String {
        let rows = p.rows.map { [$0.block, String($0.parameters)] + $0.cells }
        return table(["block", "parameters"] + p.phaseHeaders, rows) + p.notes.map { "<p class=\"note\">\(esc($0))</p>" }.joined()
    }

    static func provenance(_ rows: [(String, String)]) -> String {
        "<div class=\"scroll\"><table class=\"kv\"><tbody>" + rows.map { "<tr><th>\(esc($0.0))</th><td>\(esc($0.1))</td></tr>" }.joined() + "</tbody></table></div>"
    }
}
