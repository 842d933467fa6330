import Testing
@testable import TLTensor
@testable import TLNN

/// `Sequential` runs a training-mode BatchNorm followed by ReLU as one fused primitive; it must
/// equal the layers applied one by one, values and gradients, and leave eval mode untouched.
@Suite struct SequentialFusedTests {
    @Test func batchNormReLUEqualsLayerByLayer() throws {
        var rng = SeededGenerator(seed: 51)
        let conv = try Conv2D(inChannels: 2, outChannels: 5, kernelSize: 3, padding: .explicit(height: 1, width: 1), rng: &rng)
        let norm = try BatchNorm(featureCount: 5), relu = ReLU()
        let block = Sequential(conv, norm, relu)
        block.train()
        let xValue = sample([3, 6, 6, 2], seed: 52), upstream = sample([3, 6, 6, 5], seed: 53)

        let x1 = xValue.requiringGrad()
        let y1 = try block(x1)
        try y1.backward(seed: upstream)
        let fusedGrads = block.parameters().map { $0.grad }
        let fusedRunning = norm.runningMean.value
        for p in block.parameters() { p.value.zeroGrad() }

        let x2 = xValue.requiringGrad()
        var h = x2
        for layer in block.layers { h = try layer.forward(h) }       // one layer at a time
        try h.backward(seed: upstream)

        let err = zip(y1.scalars, h.scalars).map { Swift.abs($0 - $1) }.max() ?? .nan
        #expect(err <= 1e-5, "output \(err)")
        #expect(y1.scalars.contains(0) && y1.scalars.contains { $0 > 0 })
        let dx = zip(x1.grad!.scalars, x2.grad!.scalars).map { Swift.abs($0 - $1) }.max() ?? .nan
        #expect(dx <= 1e-4, "input gradient \(dx)")
        for (p, fused) in zip(block.parameters(), fusedGrads) {
            guard let a = fused, let b = p.grad else { Issue.record("missing gradient"); continue }
            let e = zip(a.scalars, b.scalars).map { Swift.abs($0 - $1) }.max() ?? .nan
            #expect(e <= 1e-3 * Swift.max(1, b.scalars.map(Swift.abs).max() ?? 0), "parameter gradient \(p.value.shape): \(e)")
        }
        // The fused path updated the running statistics once, as the BatchNorm layer does.
        #expect(fusedRunning.scalars != [Float](repeating: 0, count: 5))

        block.eval()
        let evalFused = try withNoGrad { try block(xValue) }
        let evalLayers = try withNoGrad { try relu(norm(conv(xValue))) }
        #expect(evalFused.scalars == evalLayers.scalars)
    }
}
