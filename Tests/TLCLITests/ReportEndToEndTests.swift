import Testing
import Foundation
import TLModels
import TLTensor

/// `--report` and `tl report` through the real binary: a fine-tune and an eval with a scratch
/// baseline, each writing a report; every section is there and every figure in it is the one
/// the run printed as JSON.
@Suite(.serialized) struct ReportEndToEndTests {
    let lenet = ShippedModelsTests.models.appendingPathComponent("lenet-digits0-4.safetensors").path
    let target = ["--data", "mnist5k", "--classes", "5-9", "--per-class", "10", "--val-split", "0"]

    func json(_ text: String) -> [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:] }
    func pct(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }
    func pts(_ x: Double) -> String { String(format: "%+.1f", x * 100) }
    func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    @Test func finetuneAndEvalReportsMatchTheirJSON() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("target.safetensors").path
        let finetuneReport = folder.appendingPathComponent("finetune.html").path
        let ft = try runTL(["finetune", "--from", lenet] + target + ["--freeze", "0..1", "--unfreeze-every", "2", "--epochs", "4",
                                                                     "--lr", "0.003", "--out", out, "--json", "--report", finetuneReport])
        #expect(ft.status == 0, "\(ft.stderr)")
        #expect(ft.stderr.contains("report: \(finetuneReport)"), "\(ft.stderr)")
        let history = json(ft.stdout)["history"] as? [[String: Any]] ?? []
        #expect(history.count == 4)
        // One clean line per epoch in a log, with elapsed time (and an ETA until the last).
        let epochLines = ft.stderr.split(separator: "\n").filter { $0.hasPrefix("epoch ") && $0.contains("/4 ") }
        #expect(epochLines.count == 4 && epochLines.allSatisfy { $0.contains("elapsed ") } && epochLines[0].contains("ETA "), "\(ft.stderr)")

        let html1 = try read(finetuneReport)
        for id in ["curves", "drift", "plan", "provenance"] { #expect(html1.contains("<section id=\"\(id)\">"), "finetune report lacks \(id)") }
        #expect(!html1.contains("<section id=\"gain\">"))   // no comparison in a fine-tuning run
        #expect(html1.contains(">+conv2</text>"))           // gradual-unfreezing phase shaded
        #expect(html1.contains("0.0000 (frozen)"))          // conv1 frozen for the whole run: no drift
        for e in history {
            let row = "<td class=\"num\">\(String(format: "%.4f", e["train_loss"] as? Double ?? -1))</td><td class=\"num\">\(String(format: "%.2f%%", (e["train_accuracy"] as? Double ?? -1) * 100))</td>"
            #expect(html1.contains(row), "epoch \(e["epoch"] ?? "?") figures")
        }

        let evalReport = folder.appendingPathComponent("eval.html").path
        let ev = try runTL(["eval", "--model", out, "--baseline", "scratch", "--seeds", "2", "--json", "--report", evalReport])
        #expect(ev.status == 0, "\(ev.stderr)")
        let result = json(ev.stdout)
        let html = try read(evalReport)
        for id in ["gain", "curves", "confusion", "calibration", "worst", "pca", "drift", "plan", "provenance"] {
            #expect(html.contains("<section id=\"\(id)\">"), "eval report lacks \(id)")
        }
        let size = try FileManager.default.attributesOfItem(atPath: evalReport)[.size] as? Int ?? 0
        #expect(size > 0 && size < 2_000_000, "\(size) bytes")
        #expect(!html.contains("<script") && !html.contains("src=\"http"))

        // Metrics, per class and the confusion matrix.
        let m = result["metrics"] as? [String: Any] ?? [:]
        let classes = m["classes"] as? [String] ?? []
        #expect(html.contains("accuracy<b>\(pct(m["accuracy"] as? Double ?? -1))</b>"))
        #expect(html.contains("macro-F1<b>\(String(format: "%.4f", m["macro_f1"] as? Double ?? -1))</b>"))
        #expect(html.contains("mean loss<b>\(String(format: "%.4f", m["mean_loss"] as? Double ?? -1))</b>"))
        #expect(html.contains("ECE (15 bins)<b>\(String(format: "%.4f", m["ece_15_bins"] as? Double ?? -1))</b>"))
        #expect(html.contains("ECE \(String(format: "%.4f", m["ece_15_bins"] as? Double ?? -1))</text>"))
        #expect(html.contains("samples<b>\(result["test_samples"] as? Int ?? -1)</b>"))
        let confusion = m["confusion"] as? [[Int]] ?? []
        let precision = m["precision"] as? [Double] ?? [], recall = m["recall"] as? [Double] ?? []
        #expect(confusion.count == 5 && classes.count == 5)
        for (i, name) in classes.enumerated() {
            for (j, other) in classes.enumerated() {
                #expect(html.contains("true \(name), predicted \(other): \(confusion[i][j])</title>"), "cell \(i),\(j)")
            }
            #expect(html.contains("<td>\(name)</td><td class=\"num\">\(String(format: "%.3f", precision[i]))</td><td class=\"num\">\(String(format: "%.3f", recall[i]))</td>"))
        }

        // The comparison: every run's accuracy, the gain per seed, its mean, interval and verdict.
        let baseline = result["baseline"] as? [String: Any] ?? [:]
        let gain = baseline["transfer_gain"] as? [String: Any] ?? [:]
        let runs = baseline["runs"] as? [[String: Any]] ?? []
        #expect(runs.count == 4)
        for seed in baseline["seeds"] as? [Int] ?? [] {
            let ftAcc = runs.first { $0["kind"] as? String == "finetune" && $0["seed"] as? Int == seed }?["accuracy"] as? Double ?? -1
            let scAcc = runs.first { $0["kind"] as? String == "scratch" && $0["seed"] as? Int == seed }?["accuracy"] as? Double ?? -1
            #expect(html.contains("<td>\(seed)</td><td class=\"num\">\(pct(ftAcc))</td><td class=\"num\">\(pct(scAcc))</td><td class=\"num\">\(pts(ftAcc - scAcc)) pts</td>"), "seed \(seed)")
            #expect(html.contains("fine-tuned seed \(seed) training") && html.contains("scratch seed \(seed) training"), "curves of seed \(seed)")
        }
        let verdict = gain["verdict"] as? String ?? "?"
        let lower = gain["ci95_lower"] as? Double ?? .nan, upper = gain["ci95_upper"] as? Double ?? .nan
        #expect(html.contains("\(verdict.uppercased()): gain \(pts(gain["mean"] as? Double ?? -1)) points, 95% interval [\(pts(lower)), \(pts(upper))] points"))
        let verdictClass = ["positive transfer": "positive", "negative transfer": "negative"][verdict] ?? "neutral"
        #expect(html.contains("<p class=\"verdict \(verdictClass)\">"))
        // The checkpoint's recorded history is drawn and listed too.
        for e in history { #expect(html.contains("<td class=\"num\">\(String(format: "%.4f", e["train_loss"] as? Double ?? -1))</td>")) }

        // Rebuilt afterwards from the checkpoint: the same evaluation figures.
        let later = folder.appendingPathComponent("later.html").path
        let rep = try runTL(["report", out, lenet, "--out", later, "--json"])
        #expect(rep.status == 0, "\(rep.stderr)")
        let laterHTML = try read(later)
        #expect(laterHTML.contains("accuracy<b>\(pct(m["accuracy"] as? Double ?? -1))</b>"))
        #expect(laterHTML.contains("ECE (15 bins)<b>\(String(format: "%.4f", m["ece_15_bins"] as? Double ?? -1))</b>"))
        #expect(laterHTML.contains("<section id=\"drift\">") && laterHTML.contains("target.safetensors training"))
        let repJSON = json(rep.stdout)
        #expect(repJSON["bytes"] as? Int == (try FileManager.default.attributesOfItem(atPath: later)[.size] as? Int))
    }

    @Test func pretrainReportScoresTheValidationSplit() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try PipelineEndToEndTests.writeBlobs(to: folder.appendingPathComponent("blobs.csv"), perClass: 60, dimensions: 8)
        try PipelineEndToEndTests.writeSpec(to: folder.appendingPathComponent("mlp.json"), dimensions: 8, hidden: 16)
        let report = folder.appendingPathComponent("pre.html").path
        let r = try runTL(["pretrain", "--model", folder.appendingPathComponent("mlp.json").path, "--data", "csv:" + folder.appendingPathComponent("blobs.csv").path,
                           "--epochs", "3", "--val-split", "0.2", "--out", folder.appendingPathComponent("pre.safetensors").path,
                           "--report", report, "--json", "--quiet"])
        #expect(r.status == 0 && r.stderr.isEmpty, "\(r.stderr)")
        let html = try read(report)
        for id in ["curves", "confusion", "calibration", "worst", "pca", "plan", "provenance"] {
            #expect(html.contains("<section id=\"\(id)\">"), "pretrain report lacks \(id)")
        }
        #expect(!html.contains("<section id=\"gain\">") && !html.contains("<section id=\"drift\">"))
        let summary = json(r.stdout)
        let history = summary["history"] as? [[String: Any]] ?? []
        #expect(history.count == 3)
        for e in history {
            let v = String(format: "%.4f", e["validation_loss"] as? Double ?? -1) + "</td><td class=\"num\">" + String(format: "%.2f%%", (e["validation_accuracy"] as? Double ?? -1) * 100)
            #expect(html.contains(v), "epoch \(e["epoch"] ?? "?") validation figures")
        }
        // The kept epoch's weights scored on the validation split: its accuracy is the best one recorded.
        #expect(html.contains("accuracy<b>\(pct(summary["validation_accuracy"] as? Double ?? -1))</b>"))
        #expect(html.contains("validation samples.</p>"))
    }

    @Test func badReportPathsAreUsageErrorsBeforeAnyWork() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("t.safetensors").path
        for bad in [folder.appendingPathComponent("r.txt").path, folder.appendingPathComponent("missing/r.html").path] {
            let r = try runTL(["finetune", "--from", lenet] + target + ["--epochs", "1", "--out", out, "--report", bad])
            #expect(r.status == 2 && r.stderr.contains("--report"), "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
        let dry = try runTL(["finetune", "--from", lenet] + target + ["--dry-run", "--report", folder.appendingPathComponent("r.html").path])
        #expect(dry.status == 2 && dry.stderr.contains("--report needs a run"), "\(dry.stderr)")
        let r = try runTL(["report", lenet, "--out", folder.appendingPathComponent("r.pdf").path])
        #expect(r.status == 2 && r.stderr.contains("--out expects an .html file name"), "\(r.stderr)")
        let missing = try runTL(["report", folder.appendingPathComponent("nope.safetensors").path, "--out", folder.appendingPathComponent("r.html").path])
        #expect(missing.status == 1 && missing.stderr.contains("nope.safetensors"))
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("r.html").path))
    }
}
