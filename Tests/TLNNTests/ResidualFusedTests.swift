import Testing
@testable import TLTensor
@testable import TLNN

/// The residual block runs its first BatchNorm and ReLU as one fused primitive (BatchNorm's
/// clamp to [0, ∞)); it must equal the layer-by-layer composite, values and gradients.
@Suite struct ResidualFusedTests {
    @Test(arguments: [(4, 4, 1), (3, 6, 2)])
    func fusedBatchNormReLUEqualsComposite(inChannels: Int, outChannels: Int, stride: Int) throws {
        var rng = SeededGenerator(seed: 21)
        let block = try ResidualBlock(inChannels: inChannels, outChannels: outChannels, stride: stride, rng: &rng)
        block.train()
        let xValue = sample([2, 6, 6, inChannels], seed: 22)
        let upstream = sample([2, 6 / stride, 6 / stride, outChannels], seed: 23)

        let x1 = xValue.requiringGrad()
        try block(x1).backward(seed: upstream)
        let fusedGrads = block.parameters().map { $0.grad }
        for p in block.parameters() { p.value.zeroGrad() }

        let x2 = xValue.requiringGrad()
        let main = try block.norm2(block.conv2(block.norm1(block.conv1(x2)).relu()))   // the composite
        let y2 = try (main + (block.shortcut?.forward(x2) ?? x2)).relu()
        try y2.backward(seed: upstream)

        let y1 = try withNoGrad { try block(xValue) }
        let err = zip(y1.scalars, y2.scalars).map { Swift.abs($0 - $1) }.max() ?? .nan
        #expect(err <= 1e-5, "output \(err)")
        #expect(y1.scalars.contains(0) && y1.scalars.contains { $0 > 0 })
        let dx = zip(x1.grad!.scalars, x2.grad!.scalars).map { Swift.abs($0 - $1) }.max() ?? .nan
        #expect(dx <= 1e-4, "input gradient \(dx)")
        for (p, fused) in zip(block.parameters(), fusedGrads) {
            guard let a = fused, let b = p.grad else { Issue.record("missing gradient"); continue }
            let e = zip(a.scalars, b.scalars).map { Swift.abs($0 - $1) }.max() ?? .nan
            #expect(e <= 1e-3 * Swift.max(1, b.scalars.map(Swift.abs).max() ?? 0), "parameter gradient \(p.value.shape): \(e)")
        }
    }
}
