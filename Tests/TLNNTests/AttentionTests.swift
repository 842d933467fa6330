import Testing
@testable import TLTensor
@testable import TLNN

@Suite struct AttentionTests {
    /// Back-propagates Σ out·weights through `fused` and through `reference` (both computed
    /// from `x` and `module`'s parameters) and expects the same gradient for x and for every
    /// parameter, within tolerance·max(1, |reference|).
    func expectSameGradients(_ fused: Tensor, _ reference: Tensor, x: Tensor, module: Module, weights: Tensor,
                             tolerance: Float) throws {
        try (fused * weights).sum().backward()
        let grads = [x.grad!] + module.parameters().map { $0.value.grad! }
        x.zeroGrad(); module.zeroGrad()
        try (reference * weights).sum().backward()
        let refGrads = [x.grad!] + module.parameters().map { $0.value.grad! }
        #expect(grads.count == refGrads.count)
        for (a, b) in zip(grads, refGrads) {
            for (u, v) in zip(a.scalars, b.scalars) { #expect(Swift.abs(u - v) < tolerance * Swift.max(1, Swift.abs(v))) }
        }
    }

    func model() throws -> MultiHeadAttention {
        var rng = SeededGenerator(seed: 21)
        return try MultiHeadAttention(hiddenSize: 8, headCount: 2, rng: &rng)
    }

    @Test func maskedPositionsGetExactlyZeroWeight() throws {
        let mha = try model()
        let mask = try Tensor([1, 1, 1, 0, 0, 1, 0, 1, 1, 0], shape: [2, 5])
        let w = try mha.attentionWeights(sample([2, 5, 8], seed: 1, low: -3, high: 3), attentionMask: mask)
        #expect(w.shape == [2, 2, 5, 5])
        for n in 0..<2 { for h in 0..<2 { for q in 0..<5 {
            var rowSum: Float = 0
            for k in 0..<5 {
                let v = w.scalars[((n * 2 + h) * 5 + q) * 5 + k]
                if mask.scalars[n * 5 + k] == 0 { #expect(v == 0) } else { #expect(v > 0) }
                rowSum += v
            }
            #expect(Swift.abs(rowSum - 1) < 1e-5)
        } } }
    }

    @Test func unpaddedOutputsIgnorePaddedContents() throws {
        let mha = try model()
        let mask = try Tensor([1, 1, 1, 0, 0, 1, 1, 1, 1, 0], shape: [2, 5])
        let x = sample([2, 5, 8], seed: 2)
        var altered = x
        // Overwrite the padded tokens (n0: t3, t4; n1: t4) with wild values.
        let wild = sample([2, 5, 8], seed: 3, low: -50, high: 50)
        for n in 0..<2 { for t in 0..<5 where mask.scalars[n * 5 + t] == 0 {
            for d in 0..<8 { altered.scalars[(n * 5 + t) * 8 + d] = wild.scalars[(n * 5 + t) * 8 + d] }
        } }
        let a = try mha(x, attentionMask: mask), b = try mha(altered, attentionMask: mask)
        for n in 0..<2 { for t in 0..<5 where mask.scalars[n * 5 + t] == 1 {
            let range = ((n * 5 + t) * 8)..<((n * 5 + t + 1) * 8)
            #expect(Array(a.scalars[range]) == Array(b.scalars[range]), "position \(n), \(t)")
        } }
        // Without the mask the padded contents do matter (the test can fail).
        #expect(try mha(x) != mha(altered))
    }

    @Test func fullyMaskedRowStaysFinite() throws {
        let mha = try model()
        let y = try mha(sample([1, 3, 8], seed: 4), attentionMask: Tensor.zeros([1, 3]))
        #expect(y.scalars.allSatisfy { $0.isFinite })
        #expect(throws: ModuleError.self) { try mha(sample([1, 3, 8], seed: 4), attentionMask: Tensor.zeros([1, 4])) }
    }

    /// The fused forward (training mode, attention dropout drawn from the layer's generator)
    /// against the composite chain fed the same dropout factors, values and gradients.
    @Test func fusedMatchesCompositeInTraining() throws {
        var rng = SeededGenerator(seed: 22)
        let mha = try MultiHeadAttention(hiddenSize: 12, headCount: 3, attentionDropout: 0.3, rng: &rng)
        mha.train()
        let mask = try Tensor([1, 1, 1, 1, 0, 1, 1, 1, 1, 1], shape: [2, 5])
        let x = sample([2, 5, 12], seed: 5).requiringGrad()
        let saved = mha.attentionDropout.generator
        let fused = try mha(x, attentionMask: mask)
        mha.attentionDropout.generator = saved
        let dropout = mha.attentionDropout.factors(count: 2 * 3 * 5 * 5)
        #expect(dropout?.contains(0) == true)
        let reference = try mha.attendComposite(x, attentionMask: mask, dropout: dropout)
        for (a, b) in zip(fused.scalars, reference.scalars) { #expect(Swift.abs(a - b) < 1e-5) }
        try expectSameGradients(fused, reference, x: x, module: mha, weights: sample([2, 5, 12], seed: 6), tolerance: 1e-4)
    }

    /// The fused post-LN encoder block (fused attention, bias/GELU epilogues, dropout +
    /// residual + LayerNorm) against the unfused composite, in training mode with dropout:
    /// same masks (same generator states), same values and gradients.
    /// With PyTorch's feed-forward dropout (`activationDropout`) as well: the fused block draws
    /// its mask from the same generator as the composite, drops about p of the GELU outputs,
    /// and leaves every other component's weights and masks as a block without it.
    @Test func encoderBlockFeedForwardDropoutMatchesCompositeAndIsApplied() throws {
        func make(_ p: Float) throws -> TransformerEncoderBlock {
            var rng = SeededGenerator(seed: 29)
            return try TransformerEncoderBlock(hiddenSize: 16, headCount: 4, intermediateSize: 24, dropout: 0.1,
                                               attentionDropout: 0.1, activationDropout: p, layerNormEpsilon: 1e-5, rng: &rng)
        }
        let block = try make(0.3), plain = try make(0)
        #expect(plain.activationDropout == nil)
        for (a, b) in zip(block.parameters(), plain.parameters()) { #expect(a.value.scalars == b.value.scalars) }
        #expect(block.dropout.generator == plain.dropout.generator)
        block.train(); plain.train()
        let mask = try Tensor([1, 1, 1, 1, 1, 1, 1, 1, 0, 0], shape: [2, 5])
        let x = sample([2, 5, 16], seed: 9).requiringGrad()
        let ffn = try #require(block.activationDropout)
        let saved = (block.dropout.generator, block.attention.attentionDropout.generator, ffn.generator)
        let fused = try block(x, attentionMask: mask)
        #expect(ffn.generator != saved.2)
        (block.dropout.generator, block.attention.attentionDropout.generator, ffn.generator) = saved
        let reference = try block.forwardComposite(x, attentionMask: mask)
        for (a, b) in zip(fused.scalars, reference.scalars) { #expect(Swift.abs(a - b) < 1e-4) }
        // Same weights and the same attention / hidden masks, so only the feed-forward
        // dropout separates the two blocks' outputs.
        let withoutFFNDropout = try plain(x, attentionMask: mask)
        #expect(zip(fused.scalars, withoutFFNDropout.scalars).contains { Swift.abs($0 - $1) > 1e-3 })
        try expectSameGradients(fused, reference, x: x, module: block, weights: sample([2, 5, 16], seed: 10), tolerance: 2e-4)
        // The mask itself: about 30% of 100,000 factors are 0, the rest 1/0.7.
        let factors = try #require(ffn.factors(count: 100_000))
        let dropped = factors.filter { $0 == 0 }.count
        #expect(abs(dropped - 30_000) < 1_000)
        #expect(factors.allSatisfy { $0 == 0 || Swift.abs($0 - 1 / 0.7) < 1e-6 })
        block.eval()
        #expect(ffn.factors(count: 8) == nil)
    }

    @Test func fusedEncoderBlockMatchesComposite() throws {
        var rng = SeededGenerator(seed: 23)
        let block = try TransformerEncoderBlock(hiddenSize: 16, headCount: 4, intermediateSize: 24, dropout: 0.2,
                                                attentionDropout: 0.2, layerNormEpsilon: 1e-5, rng: &rng)
        block.train()
        let mask = try Tensor([1, 1, 1, 1, 1, 1, 1, 1, 0, 0], shape: [2, 5])
        let x = sample([2, 5, 16], seed: 7).requiringGrad()
        let generators = (block.dropout.generator, block.attention.attentionDropout.generator)
        let fused = try block(x, attentionMask: mask)
        (block.dropout.generator, block.attention.attentionDropout.generator) = generators
        let reference = try block.forwardComposite(x, attentionMask: mask)
        #expect(block.dropout.generator != generators.0)
        for (a, b) in zip(fused.scalars, reference.scalars) { #expect(Swift.abs(a - b) < 1e-4) }
        try expectSameGradients(fused, reference, x: x, module: block, weights: sample([2, 5, 16], seed: 8), tolerance: 2e-4)
    }
}
