import Testing
@testable import TLTensor
@testable import TLNN

/// Training-mode BatchNorm runs as one fused primitive (with ReLU6 folded in by the
/// inverted-residual block); it must equal the composite it replaced, values and gradients.
@Suite struct BatchNormFusedTests {
    /// Fused BatchNorm + clamp against the composite (op-by-op BatchNorm, then clamp): output,
    /// running statistics, and the gradients of x, weight and bias under a non-uniform upstream.
    @Test(arguments: [(Float(-Float.infinity), Float.infinity), (0, 6), (0, 0.5)])
    func fusedEqualsComposite(_ lower: Float, _ upper: Float) throws {
        let fused = try BatchNorm(featureCount: 5, epsilon: 1e-3), composite = try BatchNorm(featureCount: 5, epsilon: 1e-3)
        for bn in [fused, composite] {
            try bn.weight.assign(sample([5], seed: 1, low: 0.5, high: 1.5))
            try bn.bias.assign(sample([5], seed: 2))
        }
        let xValue = try sample([3, 4, 6, 5], seed: 3, low: -2, high: 4) * 1.5
        let upstream = sample([3, 4, 6, 5], seed: 4)
        let x1 = xValue.requiringGrad(), x2 = xValue.requiringGrad()
        let y1 = try fused.forward(x1, clampTo: lower, upper)
        let y2 = try composite.compositeTrainingForward(x2).clamp(min: lower, max: upper)
        // The composite path of `forward` updates the running statistics; do it by hand here.
        try y1.backward(seed: upstream)
        try y2.backward(seed: upstream)
        func close(_ a: Tensor?, _ b: Tensor?, _ tol: Float, _ what: String) {
            guard let a, let b else { Issue.record("\(what): missing"); return }
            let err = zip(a.scalars, b.scalars).map { Swift.abs($0 - $1) }.max() ?? .nan
            #expect(err <= tol, "\(what) clamp [\(lower), \(upper)]: \(err)")
        }
        close(y1, y2, 1e-5, "output")
        close(x1.grad, x2.grad, 1e-5, "input gradient")
        close(fused.weight.grad, composite.weight.grad, 1e-4, "weight gradient")
        close(fused.bias.grad, composite.bias.grad, 1e-4, "bias gradient")
        if upper == 0.5 { #expect(y1.scalars.contains(0.5) && y1.scalars.contains(0), "the clamp must cut on both sides") }
        // Running statistics: momentum 0.1 from mean 0 / var 1 with the batch mean and unbiased variance.
        let n = Float(3 * 4 * 6)
        let mean = try xValue.mean(axes: [0, 1, 2]), variance = try (xValue - mean).pow(2).mean(axes: [0, 1, 2])
        close(fused.runningMean.value, try mean * 0.1, 1e-5, "running mean")
        close(fused.runningVar.value, try variance * (0.1 * n / (n - 1)) + 0.9, 1e-5, "running variance")
    }

    /// Finite differences through the fused primitive with ReLU6 cutting on both sides: each
    /// channel's values sit near four levels, so x̂ ≈ ±0.3 or ±1.4 and z = 4·x̂ + 3 lies about 2
    /// away from either kink (a finite-difference step never crosses one).
    @Test func fusedGradientsMatchFiniteDifferences() throws {
        let bn = try BatchNorm(featureCount: 3, epsilon: 1e-3)
        try bn.weight.assign(sample([3], seed: 5, low: 3.8, high: 4.2))
        try bn.bias.assign(sample([3], seed: 6, low: 2.8, high: 3.2))
        let levels: [Float] = [-1, -0.2, 0.2, 1]
        let noise = sample([2, 3, 4, 3], seed: 7)
        let x = try Tensor((0..<72).map { levels[($0 / 3) % 4] + 0.02 * noise.scalars[$0] }, shape: [2, 3, 4, 3])
        let y = try bn.forward(x, clampTo: 0, 6)
        #expect(y.scalars.contains(0) && y.scalars.contains(6), "the clamp must cut on both sides")
        let r = try checkGradients("bn+relu6", inputs: [x], params: [bn.weight, bn.bias]) {
            try bn.forward($0[0], clampTo: 0, 6)
        }
        #expect(r.passed, "\(r)")
    }
}
