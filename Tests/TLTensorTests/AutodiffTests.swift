import Testing
@testable import TLTensor

@Suite struct AutodiffTests {
    @Test func gradientsAccumulateAcrossUsesAndCalls() throws {
        let x = Tensor([1, 2, 3]).requiringGrad()
        try (x * x + x).sum().backward()            // d/dx (x² + x) = 2x + 1
        #expect(x.grad!.scalars == [3, 5, 7])
        try (x * 2).sum().backward()                // accumulates: + 2
        #expect(x.grad!.scalars == [5, 7, 9])
        x.zeroGrad()
        #expect(x.grad == nil)
        try x.sum().backward()
        #expect(x.grad!.scalars == [1, 1, 1])
    }

    @Test func backwardFreesTheGraphUnlessRetained() throws {
        let x = Tensor([1, 2, 3]).requiringGrad()
        let retained = try (x * x).sum()
        try retained.backward(retainGraph: true)
        try retained.backward()                     // the retained graph can be walked again: 2·2x
        #expect(x.grad!.scalars == [4, 8, 12])
        #expect(throws: TensorError.self) { try retained.backward() }   // freed by the second call
        // A freed intermediate cannot be reached again through a new root either.
        x.zeroGrad()
        let h = try x * x
        try h.sum().backward()
        #expect(x.grad!.scalars == [2, 4, 6])
        #expect(throws: TensorError.self) { try (h * 2).sum().backward() }
        #expect(x.grad!.scalars == [2, 4, 6])      // the failed call added nothing
    }

    @Test func broadcastGradientIsReduced() throws {
        let bias = Tensor([0, 0, 0]).requiringGrad()
        let x = Tensor.ones([4, 3])
        try (x + bias).sum().backward()
        #expect(bias.grad!.shape == [3] && bias.grad!.scalars == [4, 4, 4])
    }

    @Test func noTapeWorkWithoutGradients() throws {
        let a = Tensor([1, 2]), b = Tensor([3, 4])
        let c = try (a * b).exp().sum()
        #expect(!c.requiresGrad)
        let w = Tensor([1, 1]).requiringGrad()
        let inScope = try withNoGrad { try (w * a).sum() }
        #expect(!inScope.requiresGrad)
        #expect(throws: TensorError.self) { try inScope.backward() }
        let outside = try (w * a).sum()
        #expect(outside.requiresGrad)
        #expect(GradMode.isEnabled)
    }

    @Test func backwardNeedsScalarOrSeed() throws {
        let x = Tensor([1, 2]).requiringGrad()
        let y = x * 3
        #expect(throws: TensorError.self) { try y.backward() }
        try y.backward(seed: Tensor([1, 10]))
        #expect(x.grad!.scalars == [3, 30])
    }

    @Test func detachStopsGradient() throws {
        let x = Tensor([2]).requiringGrad()
        try (x * x.detached()).sum().backward()
        #expect(x.grad!.scalars == [2])
    }

    @Test func deepGraphDoesNotOverflowStack() throws {
        let x = Tensor([1]).requiringGrad()
        var y = x
        for _ in 0..<20_000 { y = y * 1.0 }
        try y.sum().backward()
        #expect(x.grad!.scalars == [1])
    }
}
