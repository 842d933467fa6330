import Testing
import Foundation
import TLTransfer
import TLModels
import TLSafeTensors
import TLNN

/// End-to-end tests of the real `tl` binary on generated data: pretrain → finetune → eval →
/// predict, usage errors, dry-run, divergence, and Ctrl-C with exact resume.
@Suite(.serialized) struct PipelineEndToEndTests {
    /// Five Gaussian blobs in 16 dimensions, label in the last CSV column.
    static func writeBlobs(to url: URL, perClass: Int, dimensions: Int = 16, seed: UInt64 = 1) throws {
        var state = seed
        func uniform() -> Double { state = state &* 6364136223846793005 &+ 1442695040888963407; return Double(state >> 11) / Double(1 << 53) }
        func normal() -> Double { (-2 * log(uniform() + 1e-12)).squareRoot() * cos(2 * .pi * uniform()) }
        var lines: [String] = []
        for c in 0..<5 {
            let center = (0..<dimensions).map { d in Double((d * 7 + c * 3) % 5 == 0 ? 2 : 0) }
            for _ in 0..<perClass {
                lines.append((center.map { String(format: "%.4f", $0 + 0.8 * normal()) } + [String(c)]).joined(separator: ","))
            }
        }
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
    }

    static func writeSpec(to url: URL, dimensions: Int = 16, hidden: Int = 32) throws {
        let spec = """
        {"name": "mlp16", "input": [\(dimensions)], "blocks": [
          {"name": "hidden1", "layers": [{"type": "linear", "out": \(hidden)}, {"type": "relu"}]},
          {"name": "hidden2", "layers": [{"type": "linear", "out": 16}, {"type": "relu"}]},
          {"name": "head", "layers": [{"type": "linear", "out": "classes"}]}]}
        """
        try spec.write(to: url, atomically: true, encoding: .utf8)
    }

    struct Workspace {
        let folder: URL
        var data: String { "csv:" + folder.appendingPathComponent("blobs.csv").path }
        var spec: String { folder.appendingPathComponent("mlp16.json").path }
        func file(_ name: String) -> String { folder.appendingPathComponent(name).path }
    }

    func workspace(perClass: Int = 40) throws -> Workspace {
        let folder = try makeTempFolder()
        try Self.writeBlobs(to: folder.appendingPathComponent("blobs.csv"), perClass: perClass)
        try Self.writeSpec(to: folder.appendingPathComponent("mlp16.json"))
        return Workspace(folder: folder)
    }

    func tensors(_ path: String) throws -> [String: StoredTensor] { try SafeTensorsFile.read(from: URL(fileURLWithPath: path)).tensors }

    @Test func pretrainFinetuneEvalPredict() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let w = try workspace()
        defer { try? FileManager.default.removeItem(at: w.folder) }
        let pre = try runTL(["pretrain", "--model", w.spec, "--data", w.data, "--classes", "0-2", "--epochs", "5",
                             "--out", w.file("src.safetensors"), "--json"])
        #expect(pre.status == 0, "\(pre.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(pre.stdout.utf8)) as? [String: Any]
        #expect((summary?["checkpoint"] as? String) == w.file("src.safetensors"))
        #expect((summary?["samples_per_second"] as? Double ?? 0) > 0)

        // Dry run: the plan, nothing trained, nothing written.
        let plan = try runTL(["finetune", "--from", w.file("src.safetensors"), "--data", w.data, "--classes", "3,4",
                              "--per-class", "8", "--freeze", "0", "--lr-decay", "0.5", "--dry-run"])
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("hidden1") && plan.stdout.contains("frozen") && plan.stdout.contains("head (new head)"))
        #expect(plan.stdout.contains("trainable parameters: 562 of 1,106 (544 frozen)"))

        let fine = try runTL(["finetune", "--from", w.file("src.safetensors"), "--data", w.data, "--classes", "3,4",
                              "--per-class", "8", "--freeze", "0", "--epochs", "8", "--val-split", "0", "--out", w.file("tgt.safetensors")])
        #expect(fine.status == 0, "\(fine.stderr)")
        #expect(fine.stderr.contains("head replaced (2 classes)"))
        #expect(fine.stderr.contains("verified: 2 frozen tensors (544 values) are bit-identical"))
        let source = try tensors(w.file("src.safetensors")), target = try tensors(w.file("tgt.safetensors"))
        #expect(source["blocks.0.0.weight"] == target["blocks.0.0.weight"])
        #expect(source["blocks.1.0.weight"] != target["blocks.1.0.weight"])
        #expect(target["blocks.2.0.weight"]?.shape == [2, 16])

        let eval = try runTL(["eval", "--model", w.file("tgt.safetensors"), "--baseline", "scratch", "--seeds", "2", "--json"])
        #expect(eval.status == 0, "\(eval.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any]
        #expect((report?["test_samples"] as? Int) == 64)     // 2 classes × (40 − 8) held out
        let baseline = report?["baseline"] as? [String: Any]
        #expect((baseline?["runs"] as? [Any])?.count == 4)
        #expect(((baseline?["transfer_gain"] as? [String: Any])?["verdict"] as? String) != nil)

        let predict = try runTL(["predict", "--model", w.file("tgt.safetensors"), "--data", w.data, "--classes", "3,4", "--limit", "3"])
        #expect(predict.status == 0)
        #expect(predict.stdout.hasPrefix("index,label,predicted,confidence,p_3,p_4\n0,3,"))

        let inspect = try runTL(["inspect", w.file("tgt.safetensors")])
        #expect(inspect.stdout.contains("BLOCK") && inspect.stdout.contains("hidden2"))
    }

    @Test func usageErrorsNameTheFlag() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let w = try workspace(perClass: 10)
        defer { try? FileManager.default.removeItem(at: w.folder) }
        let cases: [([String], String)] = [
            (["pretrain", "--model", w.spec, "--data", w.data, "--out", w.file("a.safetensors"), "--epoch", "3"], "--epoch"),
            (["pretrain", "--model", w.spec, "--data", w.data, "--out", w.file("a.safetensors"), "--lr", "fast"], "--lr"),
            (["pretrain", "--model", w.spec, "--data", w.data, "--out", w.file("a.safetensors"), "--optimizer", "rmsprop"], "--optimizer"),
            (["pretrain", "--model", w.spec, "--data", "foo:bar", "--out", w.file("a.safetensors")], "--data"),
            (["pretrain", "--model", w.spec, "--data", w.data, "--out", w.file("a.txt")], "--out"),
            (["pretrain", "--model", w.spec, "--data", w.data], "--out"),
            (["pretrain", "--model", w.spec, "--data", w.data, "--out", w.file("a.safetensors"), "--val-split", "1.5"], "--val-split"),
        ]
        for (words, flag) in cases {
            let r = try runTL(words)
            #expect(r.status == 2, "\(words): \(r.stderr)")
            #expect(r.stderr.contains(flag) && r.stderr.contains("USAGE: tl pretrain"), "\(words): \(r.stderr)")
        }
        // Freeze selectors are checked against the model's blocks.
        let pre = try runTL(["pretrain", "--model", w.spec, "--data", w.data, "--epochs", "1", "--out", w.file("s.safetensors"), "--quiet"])
        #expect(pre.status == 0, "\(pre.stderr)")
        let past = try runTL(["finetune", "--from", w.file("s.safetensors"), "--data", w.data, "--freeze", "0..7", "--dry-run"])
        #expect(past.status == 2 && past.stderr.contains("0 hidden1, 1 hidden2, 2 head"))
        let glob = try runTL(["finetune", "--from", w.file("s.safetensors"), "--data", w.data, "--freeze-path", "*.gamma", "--dry-run"])
        #expect(glob.status == 2 && glob.stderr.contains("'*.gamma' matches no parameter") && glob.stderr.contains("nearest valid paths: blocks"))
        let keep = try runTL(["finetune", "--from", w.file("s.safetensors"), "--data", w.data, "--classes", "0,1", "--head", "keep", "--dry-run"])
        #expect(keep.status == 2 && keep.stderr.contains("--head"))
        // Runtime failures: one line, exit 1, the file named.
        try Data("not a checkpoint".utf8).write(to: URL(fileURLWithPath: w.file("bad.safetensors")))
        let bad = try runTL(["finetune", "--from", w.file("bad.safetensors"), "--data", w.data, "--dry-run"])
        #expect(bad.status == 1 && bad.stderr.contains(w.file("bad.safetensors")) && bad.stderr.split(separator: "\n").count == 1)
    }

    @Test func divergenceStopsAndKeepsTheLastGoodCheckpoint() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let w = try workspace(perClass: 10)
        defer { try? FileManager.default.removeItem(at: w.folder) }
        let out = w.file("m.safetensors")
        let good = try runTL(["pretrain", "--model", w.spec, "--data", w.data, "--epochs", "2", "--out", out, "--quiet"])
        #expect(good.status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: out))
        let r = try runTL(["pretrain", "--model", w.spec, "--data", w.data, "--epochs", "3", "--lr", "1e12", "--optimizer", "sgd",
                           "--out", out, "--quiet"])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("loss became") && r.stderr.contains("lower --lr"), "\(r.stderr)")
        // The checkpoint on disk is good: either the previous one (no epoch completed) or the
        // last epoch with a finite validation loss; never the diverged weights.
        let after = try Data(contentsOf: URL(fileURLWithPath: out))
        if after != before {
            #expect(r.stderr.contains("kept the last good weights (epoch"))
        } else {
            #expect(r.stderr.contains("was not written"))
        }
        for (_, t) in try tensors(out) { #expect(try t.floats().allSatisfy(\.isFinite)) }
    }

    @Test func interruptSavesAndResumesExactly() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // 9,000 samples: each run takes a few seconds, so a loaded machine still delivers Ctrl-C
        // long before the 30th epoch (with 3,000 the whole run was 1.5 s and the race was lost now and then).
        try Self.writeBlobs(to: folder.appendingPathComponent("blobs.csv"), perClass: 1800, dimensions: 64)
        try Self.writeSpec(to: folder.appendingPathComponent("wide.json"), dimensions: 64, hidden: 256)
        let common = ["--model", folder.appendingPathComponent("wide.json").path, "--data", "csv:" + folder.appendingPathComponent("blobs.csv").path,
                      "--epochs", "30", "--batch-size", "16", "--optimizer", "sgd", "--schedule", "cosine", "--seed", "4"]
        let straight = folder.appendingPathComponent("straight.safetensors").path
        let r0 = try runTL(["pretrain"] + common + ["--out", straight, "--quiet"])
        #expect(r0.status == 0, "\(r0.stderr)")

        let out = folder.appendingPathComponent("run.safetensors").path
        let resumeFile = folder.appendingPathComponent("run.resume.safetensors").path
        // --resume-every 0: no resume file until Ctrl-C. Press it once the first epoch has ended.
        let run = try BackgroundTL(["pretrain"] + common + ["--out", out, "--resume-every", "0", "--json"])
        let started = run.waitForError(containing: "epoch 1/30  loss")
        guard started, run.process.isRunning else {
            _ = run.interruptAndWait()
            Issue.record("training ended before it could be interrupted; make the run longer: \(run.stderr)")
            return
        }
        #expect(!FileManager.default.fileExists(atPath: resumeFile))  // not written per epoch
        #expect(run.interruptAndWait() == 130)
        #expect(FileManager.default.fileExists(atPath: out))          // best-so-far weights
        #expect(FileManager.default.fileExists(atPath: resumeFile))
        let summary = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let size = try FileManager.default.attributesOfItem(atPath: resumeFile)[.size] as? Int
        #expect(summary?["resume_writes"] as? Int == 1 && summary?["resume_bytes_written"] as? Int == size, "\(run.stdout)")

        let r1 = try runTL(["pretrain", "--resume", resumeFile, "--out", out, "--quiet"])
        #expect(r1.status == 0, "\(r1.stderr)")
        #expect(try tensors(out) == tensors(straight))
        #expect(!FileManager.default.fileExists(atPath: resumeFile))   // removed once the run completed
    }
}
