import Testing
import Foundation
import TLSafeTensors
import TLModels
import TLTensor

/// Domain adaptation and re-weighting through the real `tl` binary: --unlabeled, --adapt-bn,
/// --coral, --coral-block, --class-weights, --per-class counts, invert=, tl adapt, and
/// tl pretrain --reweight-to/--reweight-clip; every bad value is one clear line.
@Suite(.serialized) struct DomainAdaptationEndToEndTests {
    func json(_ text: String) -> [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:] }
    func info(_ path: String) throws -> CheckpointInfo {
        var rng = SeededGenerator(seed: 0)
        return try Checkpoint.read(from: URL(fileURLWithPath: path), rng: &rng).info
    }
    func tensors(_ path: String) throws -> [String: StoredTensor] { try SafeTensorsFile.read(from: URL(fileURLWithPath: path)).tensors }

    /// A small ResNet (BatchNorm) source on digits 0–1, one quick epoch.
    func resnetSource(in folder: URL) throws -> String {
        let out = folder.appendingPathComponent("resnet01.safetensors").path
        let r = try runTL(["pretrain", "--model", ShippedModelsTests.models.appendingPathComponent("resnet.json").path, "--data", "mnist5k",
                           "--classes", "0-1", "--per-class", "20", "--epochs", "1", "--val-split", "0", "--quiet", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        return out
    }

    @Test func finetuneAdaptsRecordsAndPlans() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = try resnetSource(in: folder)
        let target = ["--data", "mnist5k,invert=yes", "--classes", "0-1", "--per-class", "12,4", "--val-split", "0", "--batch-size", "8"]
        let options = ["--unlabeled", "mnist5k,invert=yes", "--adapt-bn", "--coral", "0.5", "--coral-block", "3", "--class-weights", "balanced"]
        // The plan shows every technique.
        let plan = try runTL(["finetune", "--from", source] + target + options + ["--dry-run"])
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("unlabeled target data: mnist5k,invert=yes (5000 samples, labels ignored)"), "\(plan.stdout)")
        #expect(plan.stdout.contains("AdaBN: after training"))
        #expect(plan.stdout.contains("CORAL: loss + 0.5 × ‖C_s − C_t‖²_F / (4d²) at the output of block 3"))
        // Balanced weights from the 12/4 draw: n/(k·n_c) = 16/24 and 16/8.
        #expect(plan.stdout.contains("class weights (balanced): 0.667, 2"), "\(plan.stdout)")
        #expect(plan.stdout.contains("data: 16 training"))
        // Training: recorded in the checkpoint, AdaBN changes running statistics only.
        let out = folder.appendingPathComponent("adapted.safetensors").path
        let r = try runTL(["finetune", "--from", source] + target + options + ["--epochs", "1", "--json", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("AdaBN: re-estimated 9 BatchNorm layers on 5,000 unlabeled samples"), "\(r.stderr)")
        let adaptation = json(r.stdout)["adaptation"] as? [String: Any] ?? [:]
        #expect((adaptation["adabn"] as? [String: Any])?["layers"] as? Int == 9, "\(r.stdout)")
        let recorded = try info(out).settings?.adaptation
        #expect(recorded?.adaptBatchNorm == true && recorded?.coral == DomainAdaptationSettings.Coral(weight: 0.5, block: 3) && recorded?.unlabeledCount == 5000)
        #expect(recorded?.classWeights?.rule == "balanced" && recorded?.classWeights?.weights.count == 2)
        #expect(try info(out).selection?.perClassCounts == [12, 4])

        // tl adapt: the same step on a checkpoint; weights unchanged, running statistics re-estimated.
        let adapted = folder.appendingPathComponent("adabn.safetensors").path
        let a = try runTL(["adapt", "--from", source, "--unlabeled", "mnist5k,invert=yes,", "--out", adapted])
        #expect(a.status == 2 && a.stderr.contains("--unlabeled"), "\(a.stderr)")   // a malformed source
        let b = try runTL(["adapt", "--from", source, "--unlabeled", "mnist5k,invert=yes", "--out", adapted, "--json"])
        #expect(b.status == 0, "\(b.stderr)")
        #expect(json(b.stdout)["layers"] as? Int == 9 && json(b.stdout)["samples"] as? Int == 5000, "\(b.stdout)")
        let before = try tensors(source), after = try tensors(adapted)
        #expect(before.keys.sorted() == after.keys.sorted())
        for (name, t) in before {
            if name.hasSuffix("runningMean") || name.hasSuffix("runningVar") { #expect(after[name] != t, "\(name)") }
            else if !name.hasSuffix("numBatchesTracked") { #expect(after[name] == t, "\(name)") }
        }
        #expect(try info(adapted).settings?.adaptation?.adaptBatchNorm == true)
        let lenet = ShippedModelsTests.models.appendingPathComponent("lenet-digits0-4.safetensors").path
        let never = folder.appendingPathComponent("never.safetensors").path
        let noBN = try runTL(["adapt", "--from", lenet, "--unlabeled", "mnist5k", "--out", never])
        #expect(noBN.status == 1 && noBN.stderr.contains("no BatchNorm"), "\(noBN.status) \(noBN.stderr)")
        #expect(!FileManager.default.fileExists(atPath: never))
    }

    @Test func pretrainReweightsTowardATarget() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("rw.safetensors").path
        let r = try runTL(["pretrain", "--model", ShippedModelsTests.models.appendingPathComponent("mlp.json").path, "--data", "mnist5k",
                           "--classes", "0-1", "--per-class", "30", "--epochs", "1", "--val-split", "0",
                           "--reweight-to", "mnist5k,invert=yes", "--reweight-clip", "90", "--class-weights", "1,2", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("importance weights toward mnist5k,invert=yes (5000 samples)"), "\(r.stderr)")
        #expect(r.stderr.contains("clipped at the 90% percentile") && r.stderr.contains("effective sample size"), "\(r.stderr)")
        let i = try info(out).settings?.adaptation?.importance
        #expect(i?.sampleCount == 60 && i?.clipPercentile == 90 && (i?.effectiveSampleSize ?? 0) > 1 && (i?.effectiveSampleSize ?? 99) <= 60)
        #expect(try info(out).settings?.adaptation?.classWeights?.weights == [1, 2])
    }

    @Test func badValuesAreOneClearLine() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let lenet = ShippedModelsTests.models.appendingPathComponent("lenet-digits0-4.safetensors").path
        let ft = ["finetune", "--from", lenet, "--data", "mnist5k", "--classes", "5-9", "--per-class", "5", "--dry-run"]
        let cases: [([String], String)] = [
            (ft + ["--adapt-bn"], "--adapt-bn needs --unlabeled"),
            (ft + ["--coral", "1"], "--coral needs --unlabeled"),
            (ft + ["--unlabeled", "mnist5k", "--coral", "0"], "--coral"),
            (ft + ["--unlabeled", "mnist5k", "--coral-block", "1"], "--coral-block needs --coral"),
            (ft + ["--unlabeled", "mnist5k", "--coral", "1", "--coral-block", "9"], "--coral-block: 9 is not below the head"),
            (ft + ["--unlabeled", "nosuch"], "--unlabeled"),
            (ft + ["--class-weights", "1,2,3"], "--class-weights: 3 weights for 5 classes"),
            (ft + ["--class-weights", "heavy"], "--class-weights"),
            (ft + ["--class-weights", "1,-1,1,1,1"], "--class-weights"),
            (["finetune", "--from", lenet, "--data", "mnist5k", "--classes", "5-9", "--per-class", "5,0,5,5,5", "--dry-run"], "--per-class"),
            (["finetune", "--from", lenet, "--data", "mnist5k", "--classes", "5-9", "--per-class", "5,5", "--dry-run"], "--per-class: 2 per-class counts for 5 classes"),
            (["finetune", "--from", lenet, "--data", "mnist5k,invert=maybe", "--dry-run"], "invert"),
            (["pretrain", "--model", ShippedModelsTests.models.appendingPathComponent("mlp.json").path, "--data", "mnist5k", "--reweight-clip", "0", "--out", "/tmp/never.safetensors"], "--reweight-clip"),
            (["pretrain", "--model", ShippedModelsTests.models.appendingPathComponent("mlp.json").path, "--data", "mnist5k", "--reweight-to", "mnist5k,scale=2", "--out", "/tmp/never.safetensors"], "--reweight-to"),
            (["adapt", "--from", lenet, "--out", "/tmp/never.safetensors"], "--unlabeled"),
        ]
        for (words, expected) in cases {
            let r = try runTL(words)
            #expect(r.status == 2, "\(words): \(r.status) \(r.stderr)")
            let first = r.stderr.split(separator: "\n").first.map(String.init) ?? ""
            #expect(first.contains(expected), "\(words): \(r.stderr)")
            #expect(!r.stderr.contains("Fatal error") && r.stdout.isEmpty)
        }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/never.safetensors"))
    }
}
