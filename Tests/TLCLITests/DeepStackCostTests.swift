import Foundation
import Testing

/// Issue 18's "pretraining time grows faster than linearly with the number of blocks": a deep
/// stack of linear+ReLU blocks at default initialisation shrinks its activations into the
/// subnormal range, and subnormal arithmetic is ~100× slower on x86 — 128 blocks trained 5.4×
/// slower than 64 before tl flushed subnormals to zero (TLKernels/FloatEnvironment.swift).
/// A ratio measured in one run, through the real binary: 4× the blocks may cost at most 8×
/// the time per sample (linear is 4×; with subnormals 2× the blocks alone cost 5.4×, so 4× costs well over 10×).
@Suite(.serialized) struct DeepStackCostTests {
    func spec(blocks: Int) -> String {
        var layers = [#"{"name": "b0", "layers": [{"type": "flatten"}, {"type": "linear", "out": 64}, {"type": "relu"}]}"#]
        for i in 1..<blocks { layers.append(#"{"name": "b\#(i)", "layers": [{"type": "linear", "out": 64}, {"type": "relu"}]}"#) }
        layers.append(#"{"name": "head", "layers": [{"type": "linear", "out": "classes"}]}"#)
        return #"{"name": "deep\#(blocks)", "input": [28, 28, 1], "blocks": [\#(layers.joined(separator: ", "))]}"#
    }

    /// Samples/s of the last of 2 epochs (the first includes start-up).
    func rate(blocks: Int, in folder: URL) throws -> Double {
        let path = folder.appendingPathComponent("deep\(blocks).json")
        try spec(blocks: blocks).write(to: path, atomically: true, encoding: .utf8)
        let run = try runTL(["pretrain", "--model", path.path, "--data", "mnist5k", "--classes", "0-4", "--epochs", "2",
                             "--val-split", "0", "--lr", "0.0001", "--threads", "1", "--quiet", "--json",
                             "--out", folder.appendingPathComponent("deep\(blocks).safetensors").path])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let history = try #require(json?["history"] as? [[String: Any]])
        return try #require(history.last?["samples_per_second"] as? Double)
    }

    @Test func trainingCostGrowsLinearlyWithDepth() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder("deep-stack")
        defer { try? FileManager.default.removeItem(at: folder) }
        // Alternating runs, best of two each: another process on the machine slows one run, not
        // both of the pair (a single pair measured 6.15× and 7.66× under load 6–8).
        var shallow = 0.0, deep = 0.0
        for _ in 0..<2 {
            shallow = max(shallow, try rate(blocks: 32, in: folder))
            deep = max(deep, try rate(blocks: 128, in: folder))
        }
        #expect(shallow / deep < 8, "32 blocks: \(shallow) samples/s, 128 blocks: \(deep) samples/s")
    }
}
