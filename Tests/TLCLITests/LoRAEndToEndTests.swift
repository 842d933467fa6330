import Foundation
import Testing
import TLSafeTensors
import TLModels
@testable import TLCLI

/// `tl finetune --lora`, `tl merge`, adapter checkpoints in inspect/eval/predict/embed, and
/// their bad values, through the real binary.
@Suite(.serialized) struct LoRAEndToEndTests {
    func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
    }

    /// One clear line on stderr, the expected status, and no output file.
    func expectRefused(_ r: (status: Int32, stdout: String, stderr: String), status: Int32, mentioning text: String, out: String? = nil) {
        #expect(r.status == status, "\(r.stderr)")
        #expect(r.stderr.contains(text), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").first.map { $0.contains(text) } == true, "\(r.stderr)")
        if let out { #expect(!FileManager.default.fileExists(atPath: out)) }
    }

    @Test func adaptersTrainStoreLittleLoadEverywhereAndMerge() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let hf = try TinyBertFolder().write(to: folder.appendingPathComponent("tiny-bert"))
        let base = folder.appendingPathComponent("tiny.safetensors").path
        #expect(try runTL(["import", hf.path, "--out", base, "--tokens", "12", "--quiet"]).status == 0)
        let reviews = folder.appendingPathComponent("reviews.csv")
        let texts = ["the cat sat on the mat", "a big dog ran", "it is fun", "the dog sat", "a cat ran on the mat", "it is big",
                     "the mat is fun", "a dog is big"]
        try ("label,text\n" + texts.enumerated().map { "\($0.offset % 2),\($0.element)" }.joined(separator: "\n") + "\n")
            .write(to: reviews, atomically: true, encoding: .utf8)
        let data = ["--data", "text:" + reviews.path, "--val-split", "0", "--epochs", "2", "--lr", "0.01"]
        let adapted = folder.appendingPathComponent("adapted.safetensors").path

        let trained = try runTL(["finetune", "--from", base] + data + ["--lora", "2", "--lora-alpha", "4", "--out", adapted, "--json"])
        #expect(trained.status == 0, "\(trained.stderr)")
        #expect(trained.stderr.contains("LoRA: rank 2, alpha 4"), "\(trained.stderr)")
        // The embeddings block sits below the first adapted layer: frozen, so cached.
        let history = json(trained.stdout)["history"] as? [[String: Any]] ?? []
        #expect(history.count == 2 && history.allSatisfy { ($0["cached_blocks"] as? Int ?? 0) >= 1 }, "\(history)")

        // Adapters on the top encoder layer only: the embeddings and layer 0 are cached.
        let top = folder.appendingPathComponent("top.safetensors").path
        let topRun = try runTL(["finetune", "--from", base] + data + ["--lora", "1", "--lora-targets", "blocks.2.*", "--out", top, "--json", "--quiet"])
        #expect(topRun.status == 0, "\(topRun.stderr)")
        let topHistory = json(topRun.stdout)["history"] as? [[String: Any]] ?? []
        #expect(topHistory.first?["cached_blocks"] as? Int == 2, "\(topHistory)")
        #expect(try Checkpoint.header(of: try SafeTensorsFile.read(from: URL(fileURLWithPath: top)), path: top).info.adapters?.modules
                == ["blocks.2.0.layer.attention.query", "blocks.2.0.layer.attention.key", "blocks.2.0.layer.attention.value",
                    "blocks.2.0.layer.attention.output", "blocks.2.0.layer.intermediate", "blocks.2.0.layer.output"])

        // Only adapters and the (new) head are stored; the base is named with its sha256.
        let file = try SafeTensorsFile.read(from: URL(fileURLWithPath: adapted))
        let header = try Checkpoint.header(of: file, path: adapted)
        let headPrefix = "blocks.\(header.spec.blocks.count - 1)."
        // (plus the replaced source head, kept for `tl eval --source-data`)
        #expect(!file.tensors.isEmpty && file.tensors.keys.allSatisfy { $0.contains(".adapter.") || $0.hasPrefix(headPrefix) || $0.hasPrefix("sourceHead.") },
                "\(file.tensors.keys.sorted())")
        let adapters = try #require(header.info.adapters)
        #expect(adapters.rank == 2 && adapters.alpha == 4 && adapters.modules.count == 8)   // 4 projections × 2 layers
        #expect(adapters.baseSHA256 == (runProcess("/usr/bin/env", ["sha256sum", base])?.stdout.prefix(64)).map(String.init))
        let baseFile = try SafeTensorsFile.read(from: URL(fileURLWithPath: base))
        #expect(file.parameterCount < baseFile.parameterCount / 2, "\(file.parameterCount) of \(baseFile.parameterCount)")

        // inspect shows the adapters; eval, predict and embed accept the file.
        let inspect = try runTL(["inspect", adapted])
        #expect(inspect.stdout.contains("LoRA adapters: rank 2, alpha 4") && inspect.stdout.contains("8 layers"), "\(inspect.stdout)")
        let inspectJSON = json(try runTL(["inspect", adapted, "--json"]).stdout)
        #expect((inspectJSON["adapters"] as? [String: Any])?["parameters"] as? Int == adapters.parameterCount)
        #expect(try runTL(["eval", "--model", adapted, "--test-data", "text:" + reviews.path, "--quiet"]).status == 0)
        #expect(try runTL(["embed", "--model", adapted, "--text", "the cat", "--quiet"]).status == 0)
        let predicted = try runTL(["predict", "--model", adapted, "--data", "text:" + reviews.path, "--json", "--quiet"])
        #expect(predicted.status == 0, "\(predicted.stderr)")

        // merge: a full checkpoint, same predictions to 1e-5.
        let full = folder.appendingPathComponent("full.safetensors").path
        let merged = try runTL(["merge", "--from", adapted, "--out", full, "--json"])
        #expect(merged.status == 0, "\(merged.stderr)")
        #expect(json(merged.stdout)["merged_layers"] as? Int == 8)
        let fullFile = try SafeTensorsFile.read(from: URL(fileURLWithPath: full))
        #expect(try Checkpoint.header(of: fullFile, path: full).info.adapters == nil)
        #expect(!fullFile.tensors.keys.contains { $0.contains(".adapter.") })
        let fromFull = try runTL(["predict", "--model", full, "--data", "text:" + reviews.path, "--json", "--quiet"])
        func probabilities(_ text: String) -> [Double] {
            (json(text)["predictions"] as? [[String: Any]] ?? []).flatMap { row -> [Double] in
                let p = row["probabilities"] as? [String: Double] ?? [:]
                return p.keys.sorted().map { p[$0]! }
            }
        }
        let (p1, p2) = (probabilities(predicted.stdout), probabilities(fromFull.stdout))
        #expect(!p1.isEmpty && p1.count == p2.count, "\(predicted.stdout.prefix(300))")
        #expect(zip(p1, p2).allSatisfy { abs($0 - $1) < 1e-5 })

        // Bad values: one clear line, exit 2, nothing written.
        let out = folder.appendingPathComponent("bad.safetensors").path
        let run = ["finetune", "--from", base] + data + ["--out", out]
        expectRefused(try runTL(run + ["--lora", "0"]), status: 2, mentioning: "--lora", out: out)
        expectRefused(try runTL(run + ["--lora", "x"]), status: 2, mentioning: "--lora", out: out)
        expectRefused(try runTL(run + ["--lora", "9"]), status: 2, mentioning: "--lora", out: out)          // hidden size 8
        expectRefused(try runTL(run + ["--lora", "2", "--lora-alpha", "0"]), status: 2, mentioning: "--lora-alpha", out: out)
        expectRefused(try runTL(run + ["--lora-alpha", "2"]), status: 2, mentioning: "--lora-alpha", out: out)
        expectRefused(try runTL(run + ["--lora-targets", "*.query"]), status: 2, mentioning: "--lora-targets", out: out)
        expectRefused(try runTL(run + ["--lora", "2", "--lora-targets", "*.atention.query"]), status: 2, mentioning: "--lora-targets", out: out)
        expectRefused(try runTL(run + ["--lora", "2", "--lora-targets", ","]), status: 2, mentioning: "--lora-targets", out: out)
        expectRefused(try runTL(["finetune", "--from", adapted] + data + ["--lora", "2", "--out", out]), status: 2, mentioning: "tl merge", out: out)
        expectRefused(try runTL(["merge", "--from", base, "--out", out]), status: 1, mentioning: "no LoRA adapters", out: out)

        // The base changed or is gone: refused with one line naming the adapter file.
        try FileManager.default.moveItem(atPath: base, toPath: base + ".moved")
        expectRefused(try runTL(["eval", "--model", adapted, "--test-data", "text:" + reviews.path]), status: 1, mentioning: "missing")
        expectRefused(try runTL(["merge", "--from", adapted, "--out", out]), status: 1, mentioning: "missing", out: out)
        var changed = try SafeTensorsFile.read(from: URL(fileURLWithPath: base + ".moved"))
        changed.metadata["note"] = "edited"
        try changed.write(to: URL(fileURLWithPath: base))
        expectRefused(try runTL(["predict", "--model", adapted, "--data", "text:" + reviews.path]), status: 1, mentioning: "sha256")
    }
}
