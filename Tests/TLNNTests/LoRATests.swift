import Foundation
import Testing
@testable import TLTensor
@testable import TLNN

/// LoRA adapters: gradients, the unchanged start (B = 0), merging, and target selection.
@Suite struct LoRATests {
    func expectPasses(_ r: GradientCheck.Result, _ name: String) { #expect(r.passed, "\(name): \(r)") }

    /// A Linear with an adapter whose B is non-zero (as after some training).
    func adaptedLinear(seed: UInt64, rank: Int = 2, alpha: Double = 4) throws -> Linear {
        var rng = SeededGenerator(seed: seed)
        let layer = try Linear(inFeatures: 5, outFeatures: 3, rng: &rng)
        layer.adapter = try LoRAAdapter(inFeatures: 5, outFeatures: 3, rank: rank, alpha: alpha, rng: &rng)
        try layer.adapter!.b.assign(sample([3, rank], seed: seed + 1))
        return layer
    }

    @Test func linearAdapterGradients() throws {
        let layer = try adaptedLinear(seed: 1)
        let adapter = try #require(layer.adapter)
        expectPasses(try checkGradients("lora linear", inputs: [sample([4, 5], seed: 2)],
                                        params: [layer.weight, layer.bias!, adapter.a, adapter.b]) { try layer($0[0]) }, "LoRA Linear 2-D")
        expectPasses(try checkGradients("lora linear 3-D", inputs: [sample([2, 3, 5], seed: 3)], params: [adapter.a, adapter.b]) {
            try layer($0[0])
        }, "LoRA Linear 3-D")
    }

    @Test func pointwiseConvolutionAdapterGradients() throws {
        var rng = SeededGenerator(seed: 4)
        let conv = try Conv2D(inChannels: 4, outChannels: 3, kernelSize: 1, rng: &rng)
        conv.adapter = try LoRAAdapter(inFeatures: 4, outFeatures: 3, rank: 2, alpha: 2, rng: &rng)
        try conv.adapter!.b.assign(sample([3, 2], seed: 5))
        expectPasses(try checkGradients("lora conv", inputs: [sample([2, 3, 3, 4], seed: 6)],
                                        params: [conv.weight, conv.adapter!.a, conv.adapter!.b]) { try conv($0[0]) }, "LoRA 1×1 Conv2D")
        // Only pointwise convolutions take adapters.
        let wide = try Conv2D(inChannels: 4, outChannels: 3, kernelSize: 3, rng: &rng)
        #expect(wide.adapterShape == nil)
        #expect(conv.adapterShape?.inFeatures == 4 && conv.adapterShape?.outFeatures == 3)
    }

    /// Forward equals W x + b + (α/r)·B·A·x computed by hand.
    @Test func forwardMatchesTheFormula() throws {
        let layer = try adaptedLinear(seed: 7, rank: 2, alpha: 6)
        let x = sample([3, 5], seed: 8)
        let y = try layer(x).scalars
        let (w, b, a, bb) = (layer.weight.value.scalars, layer.bias!.value.scalars, layer.adapter!.a.value.scalars, layer.adapter!.b.value.scalars)
        for n in 0..<3 {
            for o in 0..<3 {
                var expected = b[o]
                for i in 0..<5 { expected += w[o * 5 + i] * x.scalars[n * 5 + i] }
                for r in 0..<2 {
                    var ax: Float = 0
                    for i in 0..<5 { ax += a[r * 5 + i] * x.scalars[n * 5 + i] }
                    expected += 3 * bb[o * 2 + r] * ax   // α/r = 6/2
                }
                #expect(abs(y[n * 3 + o] - expected) < 1e-5)
            }
        }
    }

    /// A small encoder stack, like an imported BERT: [N, T, D] → [N, T, D].
    func encoder(seed: UInt64) throws -> TransformerEncoder {
        var rng = SeededGenerator(seed: seed)
        let layers = try (0..<2).map { _ in
            try TransformerEncoderBlock(hiddenSize: 8, headCount: 2, intermediateSize: 16, dropout: 0, attentionDropout: 0, rng: &rng)
        }
        return TransformerEncoder(layers: layers)
    }

    @Test func freshAdaptersLeaveTheModelUnchangedAndMergingKeepsOutputs() throws {
        let model = try encoder(seed: 9)
        let x = sample([2, 5, 8], seed: 10)
        let before = try model(x).scalars
        var rng = SeededGenerator(seed: 11)
        let adapted = try model.attachLoRA(LoRAConfig(rank: 2), rng: &rng)
        #expect(adapted.count == 8)   // query, key, value, output × 2 layers
        #expect(adapted.allSatisfy { $0.contains(".attention.") })
        #expect(model.namedParameters().contains { $0.path == "layers.0.attention.query.adapter.a" })
        // B = 0: the outputs are exactly those of the model without adapters.
        #expect(try model(x).scalars == before)
        // After "training" (random B), outputs change; merging folds them into the weights.
        for (_, host) in model.loraHosts() { try host.adapter!.b.assign(sample(host.adapter!.b.shape, seed: 12)) }
        let unmerged = try model(x).scalars
        #expect(maxAbsDifference(unmerged, before) > 1e-3)
        #expect(try model.mergeLoRA() == 8)
        #expect(model.loraHosts().isEmpty && !model.namedParameters().contains { Module.isAdapterPath($0.path) })
        #expect(maxAbsDifference(try model(x).scalars, unmerged) < 1e-5)
    }

    @Test func targetsAndBadConfigurationsAreReported() throws {
        let model = try encoder(seed: 13)
        var rng = SeededGenerator(seed: 14)
        let onlyTop = try model.attachLoRA(LoRAConfig(rank: 1, targets: ["layers.1.attention.value", "*.intermediate"]), rng: &rng)
        #expect(onlyTop == ["layers.0.intermediate", "layers.1.attention.value", "layers.1.intermediate"])
        #expect(throws: ModuleError.self) { try model.attachLoRA(LoRAConfig(rank: 1, targets: ["*.nothing"]), rng: &rng) }
        do {
            try model.attachLoRA(LoRAConfig(rank: 1, targets: ["*.atention.query"]), rng: &rng)
            Issue.record("a glob matching nothing must throw")
        } catch ModuleError.noMatch(_, let nearest) {
            #expect(nearest.first?.hasSuffix("attention.query") == true, "\(nearest)")
        }
        #expect(throws: ModuleError.self) { try LoRAAdapter(inFeatures: 4, outFeatures: 3, rank: 4, alpha: 1, rng: &rng) }
        #expect(throws: ModuleError.self) { try LoRAAdapter(inFeatures: 4, outFeatures: 3, rank: 0, alpha: 1, rng: &rng) }
        #expect(throws: ModuleError.self) { try LoRAAdapter(inFeatures: 4, outFeatures: 3, rank: 2, alpha: 0, rng: &rng) }
    }
}
