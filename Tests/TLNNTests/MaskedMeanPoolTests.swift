import Testing
@testable import TLNN
@testable import TLTensor

/// SequencePool's mean mode runs as one fused primitive (Tensor.maskedMeanPool): values and
/// gradients equal the composite (split mask channel, multiply, sum over T, divide by the
/// clamped count) bit for bit, and finite differences agree.
@Suite struct MaskedMeanPoolTests {
    /// [N, T, D + 1] activations whose last channel is a 0/1 mask; example 1 is all padding.
    func masked(n: Int, t: Int, d: Int, seed: UInt64) throws -> Tensor {
        var rng = SeededGenerator(seed: seed)
        var x = Tensor.normal([n, t, d + 1], std: 2, using: &rng).scalars
        for s in 0..<n {
            let length = s == 1 ? 0 : 1 + Int(rng.nextUniform() * Float(t))
            for i in 0..<t { x[(s * t + i) * (d + 1) + d] = i < Swift.min(length, t) ? 1 : 0 }
        }
        return try Tensor(x, shape: [n, t, d + 1])
    }

    @Test(arguments: [(3, 5, 7), (4, 9, 32), (8, 40, 400)])
    func fusedEqualsCompositeBitForBit(_ size: (Int, Int, Int)) throws {
        let (n, t, d) = size
        let pool = SequencePool(mode: .mean)
        let x = try masked(n: n, t: t, d: d, seed: UInt64(n * 100 + d))
        let upstream = sample([n, d], seed: 9)
        let a = x.requiringGrad(), b = x.requiringGrad()
        let fused = try pool(a), composite = try pool.meanComposite(b)
        #expect(fused.shape == [n, d])
        #expect(fused.scalars == composite.scalars)
        try fused.backward(seed: upstream)
        try composite.backward(seed: upstream)
        #expect(a.grad?.scalars == b.grad?.scalars)
        // Padding tokens and the mask channel get no gradient.
        let g = try #require(a.grad).scalars
        #expect((0..<(n * t)).allSatisfy { g[$0 * (d + 1) + d] == 0 })
    }

    @Test func finiteDifferences() throws {
        let pool = SequencePool(mode: .mean)
        let x = try masked(n: 2, t: 4, d: 3, seed: 4)
        let weights = sample([2, 3], seed: 5)
        // The mask channel is not differentiable: perturb only the hidden part.
        let result = try checkGradients("maskedMeanPool", inputs: [x]) { xs in
            let fixedMask = try xs[0].droppingLastChannel().appendingChannel(x.scalars.enumerated().filter { $0.offset % 4 == 3 }.map(\.element))
            return try (pool(fixedMask) * weights).sum()
        }
        #expect(result.passed, "\(result)")
    }

    @Test func rejectsActivationsWithoutMaskChannel() throws {
        let pool = SequencePool(mode: .mean)
        #expect(throws: ModuleError.self) { try pool(sample([2, 3], seed: 1)) }
        #expect(throws: ModuleError.self) { try pool(sample([2, 3, 1], seed: 1)) }
    }
}
