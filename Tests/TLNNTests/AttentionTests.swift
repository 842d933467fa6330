import Testing
@testable import TLTensor
@testable import TLNN

@Suite struct AttentionTests {
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
}
