import Foundation
import Testing
@testable import TLModels
import TLSafeTensors
import TLNN
import TLTensor

/// Adapter checkpoints: only what changed is stored, loading needs the exact base, merging
/// gives a full checkpoint with the same outputs.
@Suite struct AdapterCheckpointTests {
    static let lenet = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Models/lenet-digits0-4.safetensors")

    func logits(_ model: TransferModel, seed: UInt64) throws -> [Float] {
        var rng = SeededGenerator(seed: seed)
        model.eval()
        return try model(Tensor.uniform([3, 28, 28, 1], low: 0, high: 1, using: &rng)).scalars
    }

    @Test func storesOnlyWhatChangedAndNeedsTheExactBase() throws {
        let folder = try makeTempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let base = folder.appendingPathComponent("base.safetensors")
        try FileManager.default.copyItem(at: Self.lenet, to: base)
        var rng = SeededGenerator(seed: 1)
        var checkpoint = try Checkpoint.read(from: base, rng: &rng)
        let config = LoRAConfig(rank: 2, alpha: 4, targets: ["blocks.2.*", "blocks.3.*"])
        let modules = try checkpoint.model.attachLoRA(config, rng: &rng)
        #expect(modules == ["blocks.2.1", "blocks.3.0"])
        // As if trained: non-zero B, a changed head.
        for (_, host) in checkpoint.model.loraHosts() { try host.adapter!.b.assign(Tensor.uniform(host.adapter!.b.shape, low: -0.5, high: 0.5, using: &rng)) }
        let head = try #require(checkpoint.model.namedParameters().first { $0.path == "blocks.4.0.bias" }?.parameter)
        try head.assign(Tensor.uniform(head.shape, low: -1, high: 1, using: &rng))
        checkpoint.info.kind = "finetune"
        checkpoint.info.adapters = try Checkpoint.adapterInfo(model: checkpoint.model, config: config, basePath: base.path)
        #expect(checkpoint.info.adapters?.parameterCount == checkpoint.model.loraHosts().reduce(0) { $0 + $1.host.adapter!.adapterParameterCount })
        let adapted = folder.appendingPathComponent("adapted.safetensors")
        try checkpoint.write(to: adapted)
        let expected = try logits(checkpoint.model, seed: 2)

        // Only the four adapter tensors and the changed head bias are stored.
        let stored = try SafeTensorsFile.read(from: adapted)
        #expect(Set(stored.tensors.keys) == ["blocks.2.1.adapter.a", "blocks.2.1.adapter.b", "blocks.3.0.adapter.a", "blocks.3.0.adapter.b",
                                             "blocks.4.0.bias"], "\(stored.tensors.keys.sorted())")
        #expect(stored.metadata["tl.info"]?.contains(try SHA256.hex(ofFile: base)) == true)

        // Loaded over its base: the same outputs; merged: the same to 1e-5, and a full file.
        var readRNG = SeededGenerator(seed: 3)
        let loaded = try Checkpoint.read(from: adapted, rng: &readRNG)
        #expect(try logits(loaded.model, seed: 2) == expected)
        let merged = try loaded.merged()
        #expect(merged.model.loraHosts().isEmpty && merged.info.adapters == nil)
        let full = folder.appendingPathComponent("full.safetensors")
        try merged.write(to: full)
        let mergedLogits = try logits(try Checkpoint.read(from: full, rng: &readRNG).model, seed: 2)
        #expect(zip(mergedLogits, expected).allSatisfy { abs($0 - $1) < 1e-5 })
        #expect(try SafeTensorsFile.read(from: full).tensors.keys.sorted() == SafeTensorsFile.read(from: base).tensors.keys.sorted())

        // A base that changed, or is gone: one clear error naming the adapter file.
        var altered = try SafeTensorsFile.read(from: base)
        try altered.setFloats("blocks.0.0.bias", try altered.floats("blocks.0.0.bias").map { $0 + 1 }, shape: altered.tensors["blocks.0.0.bias"]!.shape)
        try altered.write(to: base)
        do { _ = try Checkpoint.read(from: adapted, rng: &readRNG); Issue.record("a changed base must be refused") } catch let e as CheckpointError {
            #expect(e.description.contains("adapted.safetensors") && e.description.contains("sha256"), "\(e)")
        }
        try FileManager.default.removeItem(at: base)
        do { _ = try Checkpoint.read(from: adapted, rng: &readRNG); Issue.record("a missing base must be refused") } catch let e as CheckpointError {
            #expect(e.description.contains("missing") && e.description.contains("base.safetensors"), "\(e)")
        }
    }
}
