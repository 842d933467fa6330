import Testing
import Foundation
@testable import TLTensor

/// The fused softmax, LayerNorm and GELU primitives: gradients by finite differences, and
/// values against the composite definitions they replace.
@Suite struct FusedOpTests {
    func composedLayerNorm(_ x: Tensor, _ w: Tensor, _ b: Tensor, _ eps: Float) throws -> Tensor {
        let centered = try x - x.mean(axis: -1, keepDims: true)
        let variance = try centered.pow(2).mean(axis: -1, keepDims: true)
        return try centered / (variance + eps).sqrt() * w + b
    }

    @Test(arguments: [[3, 5, 7], [16], [4, 64], [2, 3, 384]])
    func fusedMatchesComposite(shape: [Int]) throws {
        let x = sample(shape, seed: 1, low: -4, high: 4)
        // Softmax: both are max-subtracted; they differ only in rounding.
        #expect(expectClose(try x.softmax().scalars, try x.softmaxComposite().scalars, tolerance: 1e-5))
        let c = shape.last!
        let w = sample([c], seed: 2), b = sample([c], seed: 3)
        #expect(expectClose(try x.layerNorm(weight: w, bias: b, epsilon: 1e-5).scalars,
                            try composedLayerNorm(x, w, b, 1e-5).scalars, tolerance: 1e-4))
        // GELU: vectorised erf (|error| ≤ 2e-7) against libm's erf.
        let exact: [Float] = x.scalars.map { (v: Float) -> Float in
            let phi: Float = 0.5 * (1 + erf(v / Float(2).squareRoot()))
            return v * phi
        }
        #expect(expectClose(x.gelu().scalars, exact, tolerance: 1e-5))
    }

    @Test func gradients() throws {
        for shape in [[3, 5, 7], [16], [2, 64]] {
            let c = shape.last!
            var r = try GradientCheck.check([sample(shape, seed: 4, low: -3, high: 3)]) { try $0[0].softmax() }
            #expect(r.passed, "softmax \(shape): \(r)")
            r = try GradientCheck.check([sample(shape, seed: 5), sample([c], seed: 6), sample([c], seed: 7)]) {
                try $0[0].layerNorm(weight: $0[1], bias: $0[2], epsilon: 1e-5)
            }
            #expect(r.passed, "layerNorm \(shape): \(r)")
            r = try GradientCheck.check([sample(shape, seed: 8, low: -3, high: 3)]) { $0[0].gelu() }
            #expect(r.passed, "gelu \(shape): \(r)")
        }
    }

    @Test func softmaxStaysStable() throws {
        #expect(try Tensor([1e4, 0]).softmax().scalars == [1, 0])
        #expect(try Tensor([-1e4, -1e4]).softmax().scalars == [0.5, 0.5])
        // A non-last axis still works (composite path).
        let x = try Tensor([1, 2, 3, 4], shape: [2, 2])
        #expect(expectClose(try x.softmax(axis: 0).scalars, [0.1192029, 0.1192029, 0.8807971, 0.8807971]))
    }
}
