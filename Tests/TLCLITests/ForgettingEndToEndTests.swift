import Foundation
import Testing
import TLSafeTensors
import TLModels
@testable import TLCLI

/// `tl eval --source-data`: the source head kept in the fine-tuned checkpoint, forgetting
/// reported with an interval, through the real binary.
@Suite(.serialized) struct ForgettingEndToEndTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let lenet = root.appendingPathComponent("Models/lenet-digits0-4.safetensors").path
    let target = ["--data", "mnist5k", "--classes", "5-9", "--per-class", "10", "--val-split", "0"]

    func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
    }

    @Test func sourceHeadIsKeptAndForgettingIsMeasured() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // Source accuracy on its own held-out (validation) samples, as its training recorded it.
        let sourceInfo = try Checkpoint.header(of: try SafeTensorsFile.read(from: URL(fileURLWithPath: Self.lenet)), path: Self.lenet).info
        let recorded = try #require(sourceInfo.validationAccuracy)

        // Everything but the head frozen: the body is the source's, so nothing is forgotten.
        let frozen = folder.appendingPathComponent("frozen.safetensors").path
        let f = try runTL(["finetune", "--from", Self.lenet] + target + ["--freeze", "all-but-head", "--epochs", "1", "--out", frozen, "--quiet"])
        #expect(f.status == 0, "\(f.stderr)")
        let file = try SafeTensorsFile.read(from: URL(fileURLWithPath: frozen))
        #expect(file.tensors.keys.contains { $0.hasPrefix("sourceHead.blocks.4.") })
        #expect(try Checkpoint.header(of: file, path: frozen).info.sourceHead?.classNames == sourceInfo.classNames)
        let same = json(try runTL(["eval", "--model", frozen, "--source-data", "mnist5k", "--json", "--quiet"]).stdout)
        let sameHead = (same["forgetting"] as? [String: Any])?["source_head"] as? [String: Any] ?? [:]
        #expect(sameHead["forgotten_points"] as? Double == 0, "\(same)")
        #expect(abs((sameHead["before"] as? Double ?? -1) - recorded) < 0.0045, "\(sameHead) vs recorded \(recorded)")

        // Every block trained at a high rate: the body drifts, and the report says how far.
        let trained = folder.appendingPathComponent("trained.safetensors").path
        #expect(try runTL(["finetune", "--from", Self.lenet] + target + ["--freeze", "none", "--epochs", "15", "--lr", "0.01", "--out", trained, "--quiet"]).status == 0)
        let text = try runTL(["eval", "--model", trained, "--source-data", "mnist5k"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("forgetting on the source task") && text.stdout.contains("source head")
                && text.stdout.contains("linear probe") && text.stdout.contains("forgotten: "), "\(text.stdout)")
        let report = json(try runTL(["eval", "--model", trained, "--source-data", "mnist5k", "--json", "--quiet"]).stdout)
        let head = (report["forgetting"] as? [String: Any])?["source_head"] as? [String: Any] ?? [:]
        let (before, after) = (head["before"] as? Double ?? 0, head["after"] as? Double ?? 0)
        #expect(abs((head["forgotten_points"] as? Double ?? 0) - (before - after) * 100) < 1e-9)
        #expect(after < before, "\(head)")
        let ci = head["ci95_points"] as? [Double] ?? []
        #expect(ci.count == 2 && ci[0] <= (before - after) * 100 && (before - after) * 100 <= ci[1])
        #expect(((report["forgetting"] as? [String: Any])?["linear_probe"] as? [String: Any])?["before"] is Double)

        // Bad values: a malformed source (exit 2), a checkpoint that is no fine-tuning (exit 1).
        let malformed = try runTL(["eval", "--model", trained, "--source-data", "nope:x"])
        #expect(malformed.status == 2 && malformed.stderr.contains("--source-data"), "\(malformed.stderr)")
        let notFinetuned = try runTL(["eval", "--model", Self.lenet, "--source-data", "mnist5k", "--test-data", "mnist5k"])
        #expect(notFinetuned.status == 1 && notFinetuned.stderr.contains("--source-data"), "\(notFinetuned.stderr)")
        #expect(notFinetuned.stderr.split(separator: "\n").count == 1)
    }
}
