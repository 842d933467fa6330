import Foundation
import Testing
@testable import TLModels
import TLSafeTensors
import TLTensor
import TLNN
import TLData
import TLTestSupport

@Suite struct CheckpointLayoutTests {
    static let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Models")

    static let relu6Spec = #"""
    {"name": "tiny-relu6", "input": [6, 6, 1], "blocks": [
      {"name": "conv", "layers": [{"type": "conv2d", "out": 3, "kernel": 3}, {"type": "relu6"}]},
      {"name": "head", "layers": [{"type": "flatten"}, {"type": "linear", "out": "classes"}]}]}
    """#

    /// What `--data` said is recorded in checkpoint metadata and parses back to the same source,
    /// for every format and option of the data-source table.
    @Test func everyDataArgumentRoundTripsThroughCheckpointMetadata() throws {
        let spec = try ModelSpec.parse(Data(Self.relu6Spec.utf8), file: "tiny-relu6.json")
        var rng = SeededGenerator(seed: 3)
        let model = try TransferModel(spec: spec, classCount: 2, rng: &rng)
        let folder = try makeTempFolder("data-args")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("c.safetensors")
        for text in DataArgumentFixtures.fullySpecified {
            let source = try DataSource.parse(text)
            var info = CheckpointInfo(kind: "pretrain", classNames: ["a", "b"], seed: 3)
            info.data = source.description
            try Checkpoint(model: model, info: info).write(to: url)
            let header = try Checkpoint.header(of: SafeTensorsFile.read(from: url), path: url.path)
            #expect(try DataSource.parse(try #require(header.info.data)) == source, "\(text)")
        }
    }

    /// A spec using relu6 builds, runs, and comes back from a checkpoint with the same spec and outputs.
    @Test func relu6ModelRoundTripsThroughACheckpoint() throws {
        let spec = try ModelSpec.parse(Data(Self.relu6Spec.utf8), file: "tiny-relu6.json")
        var rng = SeededGenerator(seed: 3)
        let model = try TransferModel(spec: spec, classCount: 2, rng: &rng)
        #expect(model.blocks[0].namedModules().contains { $0.1 is ReLU6 })
        let x = Tensor.uniform([2, 6, 6, 1], low: -4, high: 4, using: &rng)
        let before = try model.forward(x)
        #expect(before.shape == [2, 2])

        let folder = try makeTempFolder("relu6")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("relu6.safetensors")
        try Checkpoint(model: model, info: CheckpointInfo(kind: "scratch", classNames: ["a", "b"], seed: 3)).write(to: url)
        let stored = try SafeTensorsFile.read(from: url)
        #expect(stored.metadata[Checkpoint.specKey]?.contains(#"{"type":"relu6"}"#) == true)

        var other = SeededGenerator(seed: 99)
        let loaded = try Checkpoint.read(from: url, rng: &other)
        #expect(loaded.model.spec == spec)
        #expect(try loaded.model.forward(x).scalars == before.scalars)
    }

    @Test func checkpointsStateTheirLayout() throws {
        let spec = try ModelSpec.parse(Data(Self.relu6Spec.utf8), file: "tiny-relu6.json")
        var rng = SeededGenerator(seed: 4)
        let model = try TransferModel(spec: spec, classCount: 2, rng: &rng)
        let folder = try makeTempFolder("layout")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("m.safetensors")
        try Checkpoint(model: model, info: CheckpointInfo(kind: "scratch", classNames: ["a", "b"], seed: 4)).write(to: url)
        let metadata = try SafeTensorsHeader.read(from: url).metadata
        #expect(metadata["format"] == Checkpoint.format)
        #expect(metadata["format"]?.contains("pt") == false)
        let layout = try #require(metadata["layout"])
        #expect(layout.contains("[out, kh, kw, in]") && layout.contains("permute(0, 3, 1, 2)") && layout.contains("running_mean"))
        // The conv weight really is [out, kh, kw, in]: 3 filters of 3×3 over 1 channel.
        #expect(try SafeTensorsHeader.read(from: url).entries.first { $0.name == "blocks.0.0.weight" }?.shape == [3, 3, 3, 1])
    }

    /// The shipped checkpoint predates `format: tl-1` (it says pt-compatible) and still loads;
    /// its stored spec text is exactly what the registry writes today (the JSON format is unchanged).
    @Test func shippedCheckpointStillLoadsAndItsSpecTextIsUnchanged() throws {
        let url = Self.models.appendingPathComponent("lenet-digits0-4.safetensors")
        let file = try SafeTensorsFile.read(from: url)
        #expect(file.metadata["format"]?.hasPrefix("pt-compatible") == true)
        var rng = SeededGenerator(seed: 0)
        let checkpoint = try Checkpoint.decode(file, path: url.path, rng: &rng)
        #expect(file.metadata[Checkpoint.specKey] == checkpoint.model.spec.jsonText())
        #expect(checkpoint.model.spec == (try ModelSpec.load(from: Self.models.appendingPathComponent("lenet.json"))))
    }

    /// docs/checkpoints.md's recipe, followed literally on a stored checkpoint in PyTorch's
    /// conventions (NCHW input, conv weight permute(0, 3, 1, 2), linear-after-flatten columns
    /// permuted to [C, H, W] order), computes the same logits as tl.
    @Test func documentedPyTorchRecipeReproducesTheLogits() throws {
        let (h, w, c, o, k) = (5, 5, 2, 3, 4)
        let spec = try ModelSpec.parse(Data("""
            {"name": "doc", "input": [\(h), \(w), \(c)], "blocks": [
              {"name": "conv", "layers": [{"type": "conv2d", "out": \(o), "kernel": 3, "padding": 1}, {"type": "relu"}]},
              {"name": "head", "layers": [{"type": "flatten"}, {"type": "linear", "out": "classes"}]}]}
            """.utf8), file: "doc.json")
        var rng = SeededGenerator(seed: 21)
        let model = try TransferModel(spec: spec, classCount: k, rng: &rng)
        let x = Tensor.uniform([1, h, w, c], low: -1, high: 1, using: &rng)
        let expected = try model.forward(x).scalars
        let folder = try makeTempFolder("doc-recipe")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("doc.safetensors")
        try Checkpoint(model: model, info: CheckpointInfo(kind: "scratch", classNames: ["a", "b", "c", "d"], seed: 21)).write(to: url)
        let file = try SafeTensorsFile.read(from: url)
        let convW = try file.floats("blocks.0.0.weight"), convB = try file.floats("blocks.0.0.bias")   // [o, 3, 3, c], [o]
        let linW = try file.floats("blocks.1.1.weight"), linB = try file.floats("blocks.1.1.bias")     // [k, h·w·o], [k]
        #expect(file.tensors["blocks.0.0.weight"]?.shape == [o, 3, 3, c])
        // PyTorch side: x as [C, H, W]; weight.permute(0, 3, 1, 2) → [o, c, 3, 3].
        let xs = x.scalars
        func xPT(_ ci: Int, _ y: Int, _ xx: Int) -> Float { xs[(y * w + xx) * c + ci] }
        func wPT(_ oi: Int, _ ci: Int, _ ky: Int, _ kx: Int) -> Float { convW[((oi * 3 + ky) * 3 + kx) * c + ci] }
        var feature = [Float](repeating: 0, count: o * h * w)                  // flatten of [o, h, w]
        for oi in 0..<o { for y in 0..<h { for xx in 0..<w {
            var sum = convB[oi]
            for ci in 0..<c { for ky in 0..<3 { for kx in 0..<3 {
                let (iy, ix) = (y + ky - 1, xx + kx - 1)
                if iy >= 0, iy < h, ix >= 0, ix < w { sum += wPT(oi, ci, ky, kx) * xPT(ci, iy, ix) }
            } } }
            feature[(oi * h + y) * w + xx] = Swift.max(sum, 0)
        } } }
        // w.view(k, H, W, C).permute(0, 3, 1, 2).reshape(k, C·H·W)
        var logits = [Float](repeating: 0, count: k)
        for ki in 0..<k {
            var sum = linB[ki]
            for oi in 0..<o { for y in 0..<h { for xx in 0..<w {
                sum += linW[ki * (h * w * o) + (y * w + xx) * o + oi] * feature[(oi * h + y) * w + xx]
            } } }
            logits[ki] = sum
        }
        for (a, b) in zip(logits, expected) { #expect(Swift.abs(a - b) <= 1e-4 * Swift.max(1, Swift.abs(b)), "\(logits) vs \(expected)") }
    }
}
