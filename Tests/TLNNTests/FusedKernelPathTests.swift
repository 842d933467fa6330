import Foundation
import Testing
@testable import TLNN
@testable import TLTensor

/// The fused kernels now behind `softmax` (last axis), `gelu` and inference `LayerNorm` agree
/// with the composite / scalar definitions they replaced, forward and backward.
@Suite("Fused kernel paths")
struct FusedKernelPathTests {
    func random(_ shape: [Int], seed: UInt64, scale: Float = 3) throws -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return Tensor.normal(shape, std: scale, using: &rng)
    }

    @Test func softmaxLastAxisMatchesCompositeForwardAndBackward() throws {
        let x = try random([3, 4, 37], seed: 1)
        let upstream = try random([3, 4, 37], seed: 2, scale: 1)
        let fusedX = x.requiringGrad(), compositeX = x.requiringGrad()
        let fused = try fusedX.softmax(axis: -1)
        let composite = try compositeX.logSoftmax(axis: -1).exp()
        for (a, b) in zip(fused.scalars, composite.scalars) { #expect(abs(a - b) <= 1e-6 + 1e-5 * abs(b)) }
        try fused.backward(seed: upstream)
        try composite.backward(seed: upstream)
        for (a, b) in zip(fusedX.grad!.scalars, compositeX.grad!.scalars) { #expect(abs(a - b) <= 1e-5) }
        // Masked (−1e9) entries get exactly zero weight; other axes and non-finite inputs use the composite.
        let masked = try Tensor([1, 2, -1e9, 3], shape: [1, 4]).softmax(axis: -1)
        #expect(masked.scalars[2] == 0 && abs(masked.scalars.reduce(0, +) - 1) < 1e-6)
        let inner = try x.softmax(axis: 1)
        let innerComposite = try x.logSoftmax(axis: 1).exp()
        #expect(inner.scalars == innerComposite.scalars)
        let withInfinity = try Tensor([0, -.infinity, 1], shape: [1, 3]).softmax()
        #expect(withInfinity.scalars[1] == 0 && withInfinity.scalars.allSatisfy { !$0.isNaN })
    }

    @Test func geluMatchesErfDefinition() throws {
        let x = try random([5, 41], seed: 3)
        let xg = x.requiringGrad()
        let y = xg.gelu()
        for (v, out) in zip(x.scalars, y.scalars) {
            let exact = 0.5 * Double(v) * (1 + erf(Double(v) / 2.0.squareRoot()))
            #expect(abs(Double(out) - exact) <= 1e-6 + 1e-5 * abs(exact))
        }
        try y.sum().backward()
        for (v, d) in zip(x.scalars, xg.grad!.scalars) {
            let dv = Double(v)
            let exact = 0.5 * (1 + erf(dv / 2.0.squareRoot())) + dv * exp(-0.5 * dv * dv) / (2 * Double.pi).squareRoot()
            #expect(abs(Double(d) - exact) <= 1e-5)
        }
    }

    @Test func layerNormInferenceMatchesTrainingPath() throws {
        let norm = try LayerNorm(featureCount: 24, epsilon: 1e-12)
        try norm.weight.assign(random([24], seed: 4, scale: 1))
        try norm.bias.assign(random([24], seed: 5, scale: 1))
        let x = try random([2, 7, 24], seed: 6)
        let training = try norm(x.requiringGrad())            // composite, recorded
        let inference = try withNoGrad { try norm(x) }         // fused kernel
        #expect(training.requiresGrad && !inference.requiresGrad)
        for (a, b) in zip(training.scalars, inference.scalars) { #expect(abs(a - b) <= 1e-5) }
    }
}
