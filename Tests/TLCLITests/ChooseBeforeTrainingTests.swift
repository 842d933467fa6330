import Testing
import Foundation
import TLSafeTensors
import TLModels
import TLTensor
@testable import TLCLI

/// Issue 15 through the real binary: `tl rank`, `--freeze auto`, the learning-rate finder and
/// `--seeds auto`.
@Suite(.serialized) struct ChooseBeforeTrainingTests {
    let lenet = ShippedModelsTests.models.appendingPathComponent("lenet-digits0-4.safetensors").path
    let lenetSpec = ShippedModelsTests.models.appendingPathComponent("lenet.json").path
    let target = ["--data", "mnist5k", "--classes", "5-9", "--per-class", "10"]

    func json(_ text: String) -> [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:] }
    func tensors(_ path: String) throws -> [String: [Float]] {
        let file = try SafeTensorsFile.read(from: URL(fileURLWithPath: path))
        return try Dictionary(uniqueKeysWithValues: file.tensors.keys.map { ($0, try file.floats($0)) })
    }

    /// An untrained LeNet checkpoint: one epoch at a learning rate so small every update rounds away.
    func untrained(in folder: URL) throws -> String {
        let out = folder.appendingPathComponent("untrained.safetensors").path
        let r = try runTL(["pretrain", "--model", lenetSpec, "--data", "mnist5k", "--classes", "0-4", "--epochs", "1", "--lr", "1e-30",
                           "--val-split", "0", "--out", out, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        return out
    }

    @Test func rankPrefersThePretrainedSourceAndMarksMissingHeadsNotApplicable() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let random = try untrained(in: folder)
        // 30 per class: more samples than the 84 feature dimensions (with fewer, LogME can rank
        // random features first; docs/transferability.md shows that case).
        let wider = ["--data", "mnist5k", "--classes", "5-9", "--per-class", "30"]
        let r = try runTL(["rank"] + wider + [random, lenet, "--json", "--quiet"])
        #expect(r.status == 0 && r.stderr.isEmpty, "\(r.stderr)")
        let candidates = json(r.stdout)["candidates"] as? [[String: Any]] ?? []
        #expect(candidates.count == 2)
        // Sorted by LogME, and the digit features beat random ones on digits.
        #expect((candidates.first?["checkpoint"] as? String)?.hasSuffix("lenet-digits0-4.safetensors") == true, "\(r.stdout)")
        let logme = candidates.compactMap { $0["logme"] as? Double }
        #expect(logme.count == 2 && logme[0] > logme[1])
        for c in candidates { #expect(c["leep"] is Double && c["nce"] is Double) }

        // The table: every score column, sorted the same way.
        let table = try runTL(["rank"] + wider + [random, lenet, "--quiet"])
        let lines = table.stdout.split(separator: "\n")
        #expect(lines.first?.contains("LOGME") == true && lines.first?.contains("H-SCORE") == true)
        #expect(lines.count > 1 && lines[1].contains("lenet-digits0-4"))

        // An imported encoder has no trained source head: LEEP and NCE are n/a, not zero.
        let hf = try TinyBertFolder().write(to: folder.appendingPathComponent("tiny-bert"))
        let tiny = folder.appendingPathComponent("tiny.safetensors").path
        #expect(try runTL(["import", hf.path, "--out", tiny, "--tokens", "12", "--quiet"]).status == 0)
        let reviews = folder.appendingPathComponent("reviews.csv")
        let texts = ["the cat sat on the mat", "a big dog ran", "it is fun", "the dog sat", "a cat ran on the mat", "it is big",
                     "the mat is fun", "a dog is big"]
        try ("label,text\n" + texts.enumerated().map { "\($0.offset % 2),\($0.element)" }.joined(separator: "\n") + "\n")
            .write(to: reviews, atomically: true, encoding: .utf8)
        let text = try runTL(["rank", "--data", "text:" + reviews.path, tiny, "--quiet"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("n/a"), "\(text.stdout)")
        let textJSON = json(try runTL(["rank", "--data", "text:" + reviews.path, tiny, "--json", "--quiet"]).stdout)
        let only = (textJSON["candidates"] as? [[String: Any]])?.first ?? [:]
        #expect(only["leep"] is NSNull && only["nce"] is NSNull && only["logme"] is Double, "\(textJSON)")

        // An imported classifier (EfficientNet-Lite0's ImageNet head, say) has a trained head:
        // LEEP and NCE apply. Here: the shipped LeNet recorded as an import.
        var rng = SeededGenerator(seed: 0)
        var imported = try Checkpoint.read(from: URL(fileURLWithPath: lenet), rng: &rng)
        imported.info.kind = "import"
        let importedPath = folder.appendingPathComponent("imported.safetensors").path
        try imported.write(to: URL(fileURLWithPath: importedPath))
        let withHead = json(try runTL(["rank"] + target + [importedPath, "--json", "--quiet"]).stdout)
        let scored = (withHead["candidates"] as? [[String: Any]])?.first ?? [:]
        #expect(scored["leep"] is Double && scored["nce"] is Double, "\(withHead)")

        // Bad input: one line naming the file, exit 1; no candidate: usage error.
        let missing = try runTL(["rank"] + target + [folder.appendingPathComponent("nope.safetensors").path])
        #expect(missing.status == 1 && missing.stderr.contains("nope.safetensors"))
        #expect(try runTL(["rank"] + target).status == 2)
    }

    @Test func freezeAutoChoosesTheBestScoredBlockAndRecordsIt() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("auto.safetensors").path
        let r = try runTL(["finetune", "--from", lenet] + target + ["--val-split", "0", "--freeze", "auto", "--epochs", "2", "--out", out, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("--freeze auto: per-block LogME"), "\(r.stderr)")
        let choice = json(r.stdout)["freeze_choice"] as? [String: Any] ?? [:]
        let scores = (choice["scores"] as? [[String: Any]] ?? []).compactMap { $0["logme"] as? Double }
        let k = try #require(choice["frozen_through"] as? Int)
        #expect(scores.count == 4 && scores[k] == scores.max())

        // The same per-block scores as tl rank --blocks on the same samples.
        let rank = json(try runTL(["rank"] + target + [lenet, "--blocks", "--json", "--quiet"]).stdout)
        let blocks = ((rank["candidates"] as? [[String: Any]])?.first?["blocks"] as? [[String: Any]] ?? []).compactMap { $0["logme"] as? Double }
        #expect(blocks.count == scores.count)
        for (a, b) in zip(blocks, scores) { #expect(abs(a - b) <= 1e-9 * abs(b), "rank \(a) vs finetune \(b)") }

        // Recorded in the checkpoint: the resolved selector, and the scores with the rule.
        let info = try Checkpoint.header(of: SafeTensorsFile.read(from: URL(fileURLWithPath: out)), path: out).info
        let settings = try #require(info.settings)
        #expect(settings.freeze.map(\.description) == [k == 0 ? "0" : "0..\(k)"])
        #expect(settings.freezeChoice?.frozenThrough == k && settings.freezeChoice?.scores.count == 4)
        #expect(info.frozenBlocks == Array(0...k))

        // The dry run prints the scores; auto does not combine with other selectors.
        let dry = try runTL(["finetune", "--from", lenet] + target + ["--freeze", "auto", "--dry-run"])
        #expect(dry.status == 0 && dry.stdout.contains("← highest: freeze 0…\(k)"), "\(dry.stdout)")
        let both = try runTL(["finetune", "--from", lenet] + target + ["--freeze", "auto", "--freeze", "0", "--dry-run"])
        #expect(both.status == 2 && both.stderr.contains("--freeze"))
    }

    @Test func learningRateFinderLeavesNoTraceInTheRun() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let common = ["finetune", "--from", lenet] + target + ["--val-split", "0", "--freeze", "0..1", "--epochs", "3"]

        // --lr find: the sweep and its suggestion on stdout, no checkpoint needed or written.
        let find = try runTL(common + ["--lr", "find"])
        #expect(find.status == 0, "\(find.stderr)")
        #expect(find.stdout.contains("learning-rate range test") && find.stdout.contains("suggested learning rate"), "\(find.stdout)")
        let sweep = json(try runTL(common + ["--lr", "find", "--json"]).stdout)
        let suggestion = try #require(sweep["suggestion"] as? Double)
        let points = sweep["points"] as? [[String: Any]] ?? []
        // The stated rule: where the smoothed loss falls fastest against log(lr).
        let lr = points.compactMap { $0["lr"] as? Double }, smoothed = points.compactMap { $0["smoothed"] as? Double }
        #expect(lr.count == points.count && lr.count >= 3 && zip(lr, lr.dropFirst()).allSatisfy { $0 < $1 })
        var slopes: [Double] = []
        for i in 1..<(lr.count - 1) {
            let rise: Double = smoothed[i + 1] - smoothed[i - 1]
            let run: Double = log(lr[i + 1]) - log(lr[i - 1])
            slopes.append(rise / run)
        }
        let steepestIndex: Int = slopes.indices.min { slopes[$0] < slopes[$1] } ?? 0
        let steepest: Double = lr[1 + steepestIndex]
        #expect(abs(suggestion - steepest) <= 1e-12 * suggestion, "suggested \(suggestion), steepest descent at \(steepest)")

        // --lr auto trains with the suggestion: bit-identical to giving that rate by hand,
        // so the sweep touched neither the model nor any random stream of the real run.
        let auto = folder.appendingPathComponent("auto.safetensors").path
        let manual = folder.appendingPathComponent("manual.safetensors").path
        let a = try runTL(common + ["--lr", "auto", "--out", auto, "--json"])
        #expect(a.status == 0, "\(a.stderr)")
        let used = try #require(json(a.stdout)["learning_rate"] as? Double)
        #expect(used == suggestion)
        #expect(try runTL(common + ["--lr", "\(used)", "--out", manual, "--quiet"]).status == 0)
        let ta = try tensors(auto), tm = try tensors(manual)
        #expect(ta.keys.sorted() == tm.keys.sorted())
        for (name, values) in ta { #expect(values == tm[name], "\(name) differs") }
        let info = try Checkpoint.header(of: SafeTensorsFile.read(from: URL(fileURLWithPath: auto)), path: auto).info
        #expect(abs((info.settings?.learningRateChoice?.suggestion ?? 0) - used) <= 1e-12 * used)

        // Only tl finetune has the finder; --out stays required for a real run.
        let pre = try runTL(["pretrain", "--model", lenetSpec, "--data", "mnist5k", "--lr", "find", "--out", folder.appendingPathComponent("p.safetensors").path])
        #expect(pre.status == 2 && pre.stderr.contains("--lr"))
        let noOut = try runTL(common + ["--lr", "auto"])
        #expect(noOut.status == 2 && noOut.stderr.contains("--out"))
    }

    @Test func seedsAutoStopsWhenTheIntervalExcludesZeroOrAtTheMaximum() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = folder.appendingPathComponent("t.safetensors").path
        #expect(try runTL(["finetune", "--from", lenet] + target + ["--val-split", "0", "--freeze", "0..1", "--epochs", "4", "--lr", "0.003",
                                                                    "--out", model, "--quiet"]).status == 0)
        let r = try runTL(["eval", "--model", model, "--baseline", "scratch", "--seeds", "auto", "--max-seeds", "4", "--json", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let baseline = json(r.stdout)["baseline"] as? [String: Any] ?? [:]
        let used = try #require(baseline["seeds_used"] as? Int)
        let reason = try #require(baseline["stop_reason"] as? String)
        let gain = baseline["transfer_gain"] as? [String: Any] ?? [:]
        let lower = gain["ci95_lower"] as? Double ?? 0, upper = gain["ci95_upper"] as? Double ?? 0
        #expect((3...4).contains(used))
        if lower > 0 || upper < 0 {
            #expect(reason.contains("excludes zero"))
        } else {
            #expect(used == 4 && reason.contains("--max-seeds 4"))
        }
        #expect((baseline["seeds"] as? [Int])?.count == used)
        // The text report says how many seeds and why; a maximum below the minimum is a usage error.
        let text = try runTL(["eval", "--model", model, "--baseline", "scratch", "--seeds", "auto", "--max-seeds", "3", "--quiet"])
        #expect(text.stdout.contains("--seeds auto: 3 seeds; stopped because"), "\(text.stdout)")
        let bad = try runTL(["eval", "--model", model, "--baseline", "scratch", "--seeds", "auto", "--max-seeds", "2"])
        #expect(bad.status == 2 && bad.stderr.contains("--max-seeds"))
    }
}
