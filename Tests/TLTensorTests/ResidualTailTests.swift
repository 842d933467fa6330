import Testing
@testable import TLTensor

/// `addingRelu` (a residual block's tail in one pass each way) against the composite
/// `(a + b).relu()` it replaces, and a finite-difference check of its gradient.
@Suite struct ResidualTailTests {
    @Test(arguments: [[3, 5, 7], [64, 28, 28, 16], [17]])
    func equalsCompositeBitForBit(shape: [Int]) throws {
        var a = sample(shape, seed: 41)
        let b = sample(shape, seed: 42)
        for i in stride(from: 0, to: a.count, by: 9) { a.scalars[i] = -b.scalars[i] }   // sums of exactly 0: the kink
        let g = sample(shape, seed: 43)

        let a1 = a.requiringGrad(), b1 = b.requiringGrad()
        let fused = try a1.addingRelu(b1)
        try fused.backward(seed: g)
        let a2 = a.requiringGrad(), b2 = b.requiringGrad()
        let composite = try (a2 + b2).relu()
        try composite.backward(seed: g)

        #expect(fused.shape == shape && fused.scalars == composite.scalars, "\(shape) values")
        #expect(fused.scalars.contains(0) && fused.scalars.contains { $0 > 0 })
        #expect(a1.grad?.scalars == a2.grad?.scalars && b1.grad?.scalars == b2.grad?.scalars, "\(shape) gradients")
        #expect(a1.grad!.scalars.contains(0) && a1.grad!.scalars.contains { $0 != 0 })
    }

    @Test func gradientMatchesFiniteDifferences() throws {
        // Sums kept ≥ 0.3 away from the kink so the central differences see no corner.
        let a = sample([4, 6, 5], seed: 44, awayFrom: [0], margin: 0.5)
        let b = sample([4, 6, 5], seed: 45, low: -0.2, high: 0.2)
        let result = try GradientCheck.check([a, b]) { try $0[0].addingRelu($0[1]) }
        #expect(result.passed, "\(result)")
    }

    @Test func broadcastShapesFallBackToTheComposite() throws {
        let a = sample([4, 3], seed: 46), b = sample([3], seed: 47)
        #expect(try a.addingRelu(b).scalars == (try (a + b).relu()).scalars)
        #expect(throws: TensorError.self) { try a.addingRelu(sample([2], seed: 48)) }
    }
}
