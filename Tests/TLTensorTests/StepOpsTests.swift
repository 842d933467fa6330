import Testing
@testable import TLTensor

/// The training-step fast paths of issue 14 in TLTensor: fused ReLU backward, column sums for
/// leading-axis reductions, and gradient accumulation keeping value semantics.
@Suite struct StepOpsTests {
    @Test func reluGradientMatchesComposite() throws {
        for shape in [[3, 5, 7], [64, 120], [17]] {
            var x = sample(shape, seed: 3)
            for i in stride(from: 0, to: x.count, by: 5) { x.scalars[i] = 0 }   // the kink: gradient 0
            let g = sample(shape, seed: 4)
            let fused = Tensor.reluGradient(input: x, upstream: g)
            let composite = try g * x.mapped { $0 > 0 ? 1 : 0 }             // the rule it replaces
            #expect(fused.shape == shape && fused.scalars == composite.scalars, "\(shape)")
            #expect(fused.scalars.contains(0) && fused.scalars.contains { $0 != 0 })
        }
    }

    @Test func leadingAxisSumsMatchSequentialSums() throws {
        for (shape, axes) in [([64, 120], [0]), ([4, 3, 5, 17], [0, 1]), ([7, 1], [0]), ([2, 3, 70], [0])] {
            let x = sample(shape, seed: 11)
            let fast = try x.sum(axes: axes)
            let k = axes.count
            let cols = shape[k...].reduce(1, *), rows = x.count / cols
            var expected = [Float](repeating: 0, count: cols)
            for i in 0..<rows { for j in 0..<cols { expected[j] += x.scalars[i * cols + j] } }
            #expect(fast.shape == Array(shape[k...]) && fast.scalars == expected, "\(shape) \(axes)")
            // keepDims and the gradient (broadcast back) are unchanged.
            #expect(try x.sum(axes: axes, keepDims: true).shape == shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element })
        }
        let result = try GradientCheck.check([sample([5, 3, 4], seed: 12)]) { try $0[0].sum(axes: [0, 1]) * $0[0].sum(axes: [0, 1]) }
        #expect(result.passed, "\(result)")
    }

    @Test func gradientAccumulationKeepsValueSemantics() throws {
        let x = Tensor([1, 2, 3]).requiringGrad()
        try (x * x + x + x).sum().backward()           // 2x + 2: three contributions added
        let held = try #require(x.grad)
        #expect(held.scalars == [4, 6, 8])
        try (x * 3).sum().backward()                   // accumulates into the leaf's gradient
        #expect(x.grad!.scalars == [7, 9, 11])
        #expect(held.scalars == [4, 6, 8])             // a copy taken earlier is unchanged
    }
}
