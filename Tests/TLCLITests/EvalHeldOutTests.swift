import Testing
import Foundation
@testable import TLCLI
import TLTransfer
import TLSafeTensors
import TLModels

/// `tl eval` scores only samples a model never trained on, and says which.
@Suite(.serialized) struct EvalHeldOutTests {
    @Test func pretrainCheckpointIsScoredOnItsValidationSplit() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("blobs.csv"), other = folder.appendingPathComponent("other.csv")
        let spec = folder.appendingPathComponent("mlp.json")
        try PipelineEndToEndTests.writeBlobs(to: data, perClass: 40)
        try PipelineEndToEndTests.writeBlobs(to: other, perClass: 7, seed: 9)
        try PipelineEndToEndTests.writeSpec(to: spec)
        let source = folder.appendingPathComponent("src.safetensors").path
        let pre = try runTL(["pretrain", "--model", spec.path, "--data", "csv:" + data.path, "--epochs", "3", "--out", source, "--quiet"])
        #expect(pre.status == 0, "\(pre.stderr)")

        // No --data: the 10% stratified validation split (4 of 40 per class), never the training samples.
        let held = try runTL(["eval", "--model", source, "--json"])
        #expect(held.status == 0, "\(held.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(held.stdout.utf8)) as? [String: Any])
        #expect(report["test_samples"] as? Int == 20)
        let told = try runTL(["eval", "--model", source])
        #expect(told.stderr.contains("held out for validation"))
        #expect(!told.stderr.contains("not a held-out test"))

        // --test-data: every sample of another set.
        let independent = try runTL(["eval", "--model", source, "--test-data", "csv:" + other.path, "--json"])
        #expect(independent.status == 0, "\(independent.stderr)")
        let r2 = try #require(try JSONSerialization.jsonObject(with: Data(independent.stdout.utf8)) as? [String: Any])
        #expect(r2["test_samples"] as? Int == 35)
        let both = try runTL(["eval", "--model", source, "--test-data", "csv:" + other.path, "--data", "csv:" + data.path])
        #expect(both.status == 2 && both.stderr.contains("--test-data"))

        // Trained on everything: no honest test set, so an error that says what to pass.
        let all = folder.appendingPathComponent("all.safetensors").path
        #expect(try runTL(["pretrain", "--model", spec.path, "--data", "csv:" + data.path, "--epochs", "1", "--val-split", "0", "--out", all, "--quiet"]).status == 0)
        let none = try runTL(["eval", "--model", all])
        #expect(none.status == 1)
        #expect(none.stderr.contains("--test-data") && none.stderr.split(separator: "\n").count == 1)
    }

    @Test func metricsTableValuesAlign() {
        let m = ClassificationMetrics(probabilities: [0.9, 0.1, 0.2, 0.8, 0.6, 0.4], labels: [0, 1, 1], classes: 2)
        let table = EvalReport.metricsTable(m, classNames: ["a", "b"], title: "t")
        let rows = table.split(separator: "\n").dropFirst().prefix(4).map(String.init)
        #expect(rows.count == 4)
        let columns = Set(rows.map { row -> Int in
            let label = row.drop { $0 == " " }
            let afterLabel = ["accuracy", "macro-F1", "mean loss", "ECE (15 bins)"].first { label.hasPrefix($0) }!
            let rest = label.dropFirst(afterLabel.count)
            return row.count - rest.drop { $0 == " " }.count
        })
        #expect(columns.count == 1, "\(rows)")
        #expect(rows[0].hasSuffix("66.7%"))   // accuracy as a percentage, like every other accuracy tl prints
    }
}
