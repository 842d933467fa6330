import Testing
import Foundation
import TLTransfer
import TLSafeTensors
import TLModels
import TLNN
import TLTensor

/// Freezing through the real `tl` binary: gradual unfreezing writes its checkpoint and
/// verifies what stayed frozen, resuming inside an unfreeze phase is exact, resume state is
/// written by time (not per epoch), the dry-run shows the phase plan that training follows,
/// and selectors outside the model are usage errors.
@Suite(.serialized) struct FreezingEndToEndTests {
    let lenet = ShippedModelsTests.models.appendingPathComponent("lenet-digits0-4.safetensors").path
    let target = ["--data", "mnist5k", "--classes", "5-9", "--per-class", "10", "--val-split", "0"]

    func tensors(_ path: String) throws -> [String: StoredTensor] { try SafeTensorsFile.read(from: URL(fileURLWithPath: path)).tensors }
    func json(_ text: String) -> [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:] }

    @Test func gradualUnfreezingWritesItsCheckpoint() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("gu.safetensors").path
        let resumeFile = folder.appendingPathComponent("gu.resume.safetensors").path
        // The command of the report: every frozen block is released during the run.
        let r = try runTL(["finetune", "--from", lenet] + target + ["--freeze", "0..1", "--unfreeze-every", "2", "--epochs", "6", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("released by gradual unfreezing: block 1 (conv2) at epoch 3, block 0 (conv1) at epoch 5"), "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: out) && !FileManager.default.fileExists(atPath: resumeFile))

        // With --lr-decay, and block 0–1 frozen for the whole run: those are verified, block 2 is listed.
        let d = try runTL(["finetune", "--from", lenet] + target + ["--freeze", "0..2", "--unfreeze-every", "2", "--lr-decay", "0.5",
                                                                    "--epochs", "4", "--out", out, "--json"])
        #expect(d.status == 0, "\(d.stderr)")
        let summary = json(d.stdout)
        let released = summary["released_blocks"] as? [[String: Any]] ?? []
        #expect(released.count == 1 && released.first?["block"] as? Int == 2 && released.first?["epoch"] as? Int == 3, "\(d.stdout)")
        let source = try tensors(lenet), tuned = try tensors(out)
        let kept = source.keys.filter { $0.hasPrefix("blocks.0.") || $0.hasPrefix("blocks.1.") }
        #expect(summary["frozen_tensors_verified"] as? Int == kept.count && !kept.isEmpty)
        for name in kept { #expect(source[name] == tuned[name], "\(name)") }
        let released2 = source.keys.filter { $0.hasPrefix("blocks.2.") }
        #expect(!released2.isEmpty && released2.contains { source[$0] != tuned[$0] })
        var rng = SeededGenerator(seed: 0)
        let info = try Checkpoint.read(from: URL(fileURLWithPath: out), rng: &rng).info
        #expect(info.frozenBlocks == [0, 1] && info.releasedBlocks == [.init(block: 2, epoch: 3)])
        let typed = try BlockSelector.parse("0..2")
        #expect(info.settings?.freeze == [typed])
    }

    @Test func interruptInsideAnUnfreezePhaseResumesExactly() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = "csv:" + folder.appendingPathComponent("blobs.csv").path
        try PipelineEndToEndTests.writeBlobs(to: folder.appendingPathComponent("blobs.csv"), perClass: 600, dimensions: 64)
        try PipelineEndToEndTests.writeSpec(to: folder.appendingPathComponent("wide.json"), dimensions: 64, hidden: 256)
        let source = folder.appendingPathComponent("src.safetensors").path
        let pre = try runTL(["pretrain", "--model", folder.appendingPathComponent("wide.json").path, "--data", data, "--classes", "0-2",
                             "--epochs", "2", "--out", source, "--quiet"])
        #expect(pre.status == 0, "\(pre.stderr)")
        let common = ["finetune", "--from", source, "--data", data, "--classes", "3,4", "--freeze", "0..1", "--unfreeze-every", "120",
                      "--lr-decay", "0.5", "--epochs", "250", "--batch-size", "16", "--optimizer", "sgd", "--seed", "4", "--no-cache", "--json"]
        let straight = folder.appendingPathComponent("straight.safetensors").path
        let r0 = try runTL(common + ["--out", straight])
        #expect(r0.status == 0, "\(r0.stderr)")

        let out = folder.appendingPathComponent("run.safetensors").path
        let resumeFile = folder.appendingPathComponent("run.resume.safetensors").path
        let run = try BackgroundTL(common + ["--out", out, "--resume-every", "0"])
        // Block 1 is released at epoch 121 and block 0 at 241: Ctrl-C inside the phase between.
        let released = run.waitForError(containing: "released block 1")
        guard released, run.process.isRunning else {
            _ = run.interruptAndWait()
            Issue.record("training ended before it could be interrupted; make the run longer: \(run.stderr)")
            return
        }
        #expect(run.interruptAndWait() == 130)
        let partial = json(run.stdout)
        #expect((partial["epochs_run"] as? Int ?? 0) >= 120, "\(run.stdout)")
        #expect(partial["resume_writes"] as? Int == 1)
        #expect(FileManager.default.fileExists(atPath: resumeFile))

        let r1 = try runTL(["finetune", "--resume", resumeFile, "--out", out, "--json"])
        #expect(r1.status == 0, "\(r1.stderr)")
        #expect(try tensors(out) == tensors(straight))
        let a = json(r0.stdout)["released_blocks"] as? [[String: Any]] ?? [], b = json(r1.stdout)["released_blocks"] as? [[String: Any]] ?? []
        #expect(a.map { $0["epoch"] as? Int } == [121, 241] && b.map { $0["epoch"] as? Int } == [121, 241], "\(r1.stdout)")
        #expect(!FileManager.default.fileExists(atPath: resumeFile))
    }

    @Test func resumeStateIsWrittenByTimeNotPerEpoch() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("t.safetensors").path
        let base = ["finetune", "--from", lenet] + target + ["--freeze", "0..1", "--epochs", "5", "--out", out]
        // Default interval (10 minutes): a short run writes no resume state, and says so.
        let quiet = try runTL(base)
        #expect(quiet.status == 0 && quiet.stderr.contains("resume state written 0 times (0 bytes)"), "\(quiet.stderr)")
        let none = json(try runTL(base + ["--json", "--resume-every", "0"]).stdout)
        #expect(none["resume_writes"] as? Int == 0 && none["resume_bytes_written"] as? Int == 0)
        // A tiny interval writes after (nearly) every batch; the bytes counted are whole files.
        let often = json(try runTL(base + ["--json", "--resume-every", "0.000001"]).stdout)
        let writes = often["resume_writes"] as? Int ?? 0, bytes = often["resume_bytes_written"] as? Int ?? 0
        let modelBytes = try tensors(out).values.reduce(0) { $0 + $1.shape.reduce(4, *) }
        #expect(writes >= 1 && bytes > writes * modelBytes, "\(often)")
        let bad = try runTL(base + ["--resume-every", "-1"])
        #expect(bad.status == 2 && bad.stderr.contains("--resume-every"))
    }

    @Test func dryRunShowsThePhasePlanThatTrainingFollows() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let plan = ["finetune", "--from", lenet] + target + ["--freeze", "0..2", "--unfreeze-every", "2", "--probe-epochs", "1",
                                                             "--lr-decay", "0.5", "--lr", "0.001", "--epochs", "6"]
        let dry = try runTL(plan + ["--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        let lines = dry.stdout.split(separator: "\n").map(String.init)
        let header = try #require(lines.first { $0.hasPrefix("PHASE PLAN") })
        for phase in ["1: epoch 1 (probe)", "2: epochs 2–3", "3: epochs 4–5", "4: epoch 6"] { #expect(header.contains(phase), "\(header)") }
        func cells(_ prefix: String) -> [String] {
            (lines.first { $0.hasPrefix(prefix) } ?? "").components(separatedBy: "  ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        let lr = { (depth: Int) in String(format: "lr %.3g", 0.001 * pow(0.5, Double(depth))) }
        #expect(cells("0 conv1") == ["0 conv1", "frozen", "frozen", "frozen", "frozen"])
        #expect(cells("1 conv2") == ["1 conv2", "frozen", "frozen", "frozen", lr(3)])
        #expect(cells("2 fc1") == ["2 fc1", "frozen", "frozen", lr(2), lr(2)])
        #expect(cells("3 fc2") == ["3 fc2", "frozen", lr(1), lr(1), lr(1)])
        #expect(cells("4 head") == ["4 head", lr(0), lr(0), lr(0), lr(0)])
        // Training releases the blocks exactly when the plan says.
        let run = try runTL(plan + ["--out", folder.appendingPathComponent("p.safetensors").path, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let released = json(run.stdout)["released_blocks"] as? [[String: Any]] ?? []
        #expect(released.map { [$0["block"] as? Int, $0["epoch"] as? Int] } == [[2, 4], [1, 6]], "\(run.stdout)")
    }

    @Test func selectorsOutsideTheModelAreUsageErrors() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("x.safetensors").path
        for selector in ["7..", "0..7", "head-9"] {
            for mode in [["--dry-run"], ["--out", out]] {
                let r = try runTL(["finetune", "--from", lenet] + target + ["--freeze", selector] + mode)
                #expect(r.status == 2, "\(selector) \(mode): \(r.stderr)")
                #expect(r.stderr.contains("--freeze") && r.stderr.contains("0 conv1, 1 conv2, 2 fc1, 3 fc2, 4 head"), "\(r.stderr)")
            }
        }
        let malformed = try runTL(["finetune", "--from", lenet] + target + ["--freeze", "3..1", "--dry-run"])
        #expect(malformed.status == 2 && malformed.stderr.contains("--freeze expects"), "\(malformed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
