import Testing
import Foundation
@testable import TLTensor
import TLKernels

/// The fused `linear` (bias and GELU epilogues) and `addLayerNorm` primitives: values and
/// gradients against the composites they replace, and gradients by finite differences.
@Suite struct FusedLinearTests {
    /// Compares values and the gradients of Σ y·w for every input.
    func expectSameGradients(_ inputs: [Tensor], tolerance: Float = 1e-4,
                             _ fused: ([Tensor]) throws -> Tensor, _ composite: ([Tensor]) throws -> Tensor) throws {
        let leaves = inputs.map { $0.detached().requiringGrad() }
        let a = try fused(leaves), b = try composite(leaves)
        #expect(a.shape == b.shape)
        #expect(expectClose(a.scalars, b.scalars, tolerance: tolerance))
        let w = sample(a.shape, seed: 99)
        try (a * w).sum().backward()
        let fusedGrads = leaves.map { $0.grad!.scalars }
        for l in leaves { l.zeroGrad() }
        try (b * w).sum().backward()
        for (i, l) in leaves.enumerated() {
            #expect(expectClose(fusedGrads[i], l.grad!.scalars, tolerance: tolerance), "input \(i)")
        }
    }

    @Test(arguments: [[2, 3, 5], [4, 16], [2, 33, 17]])
    func linearMatchesComposite(shape: [Int]) throws {
        let (inputs, outputs) = (shape.last!, 7)
        let x = sample(shape, seed: 1), w = sample([outputs, inputs], seed: 2), b = sample([outputs], seed: 3)
        try expectSameGradients([x, w, b], { try $0[0].linear(weight: $0[1], bias: $0[2]) },
                                { try $0[0].matmul($0[1], transposeOther: true) + $0[2] })
        try expectSameGradients([x, w, b], { try $0[0].linear(weight: $0[1], bias: $0[2], activation: .gelu) },
                                { try ($0[0].matmul($0[1], transposeOther: true) + $0[2]).gelu() })
        try expectSameGradients([x, w], { try $0[0].linear(weight: $0[1], bias: nil, activation: .gelu) },
                                { try $0[0].matmul($0[1], transposeOther: true).gelu() })
    }

    /// Widths that are multiples of 8 over more than one 64-row block: the backward pass's
    /// fused GELU-derivative + bias-sum kernel (the test above covers the two-pass fallback).
    @Test(arguments: [[3, 50, 24], [130, 16]])
    func linearMatchesCompositeOnBlockedWidths(shape: [Int]) throws {
        let (inputs, outputs) = (shape.last!, 40)
        let x = sample(shape, seed: 4), w = sample([outputs, inputs], seed: 5), b = sample([outputs], seed: 6)
        try expectSameGradients([x, w, b], { try $0[0].linear(weight: $0[1], bias: $0[2]) },
                                { try $0[0].matmul($0[1], transposeOther: true) + $0[2] })
        try expectSameGradients([x, w, b], { try $0[0].linear(weight: $0[1], bias: $0[2], activation: .gelu) },
                                { try ($0[0].matmul($0[1], transposeOther: true) + $0[2]).gelu() })
    }

    /// Without a recorded graph (inference) the GELU epilogue overwrites the pre-activation in
    /// place: the same values bit for bit as with recording (two buffers), and a recorded
    /// result still back-propagates through the saved pre-activation (gradient checked above).
    @Test(arguments: [[3, 50, 24], [2, 70, 384]])
    func geluLinearInPlaceWithoutGraphMatchesRecorded(shape: [Int]) throws {
        let (inputs, outputs) = (shape.last!, 96)
        let x = sample(shape, seed: 7), w = sample([outputs, inputs], seed: 8), b = sample([outputs], seed: 9)
        let recorded = try x.requiringGrad().linear(weight: w, bias: b, activation: .gelu)
        let inference = try withNoGrad { try x.requiringGrad().linear(weight: w, bias: b, activation: .gelu) }
        let leaves = try x.linear(weight: w, bias: b, activation: .gelu)   // no input requires grad
        #expect(recorded.requiresGrad && !inference.requiresGrad && !leaves.requiresGrad)
        #expect(recorded.scalars == inference.scalars && recorded.scalars == leaves.scalars)
        let composite = try (x.matmul(w, transposeOther: true) + b).gelu()
        #expect(expectClose(inference.scalars, composite.scalars, tolerance: 1e-5))
    }

    /// Without a recorded graph the residual sum is formed in the output and normalised in
    /// place (not kept): the same values bit for bit as with recording.
    @Test func addLayerNormWithoutGraphMatchesRecorded() throws {
        let x = sample([3, 17, 40], seed: 21), r = sample([3, 17, 40], seed: 22)
        let g = sample([40], seed: 23), b = sample([40], seed: 24)
        let recorded = try x.requiringGrad().addLayerNorm(r, dropout: nil, weight: g, bias: b, epsilon: 1e-5)
        let inference = try withNoGrad { try x.requiringGrad().addLayerNorm(r, dropout: nil, weight: g, bias: b, epsilon: 1e-5) }
        let plain = try x.addLayerNorm(r, dropout: nil, weight: g, bias: b, epsilon: 1e-5)
        #expect(recorded.requiresGrad && !inference.requiresGrad && !plain.requiresGrad)
        #expect(recorded.scalars == inference.scalars && recorded.scalars == plain.scalars)
    }

    @Test func addLayerNormMatchesComposite() throws {
        var rng = SeededGenerator(seed: 4)
        let drop = rng.dropoutFactors(count: 3 * 5 * 24, keep: 0.8)
        let x = sample([3, 5, 24], seed: 5), r = sample([3, 5, 24], seed: 6)
        let g = sample([24], seed: 7), b = sample([24], seed: 8)
        for f in [nil, drop] as [[Float]?] {
            try expectSameGradients([x, r, g, b], { try $0[0].addLayerNorm($0[1], dropout: f, weight: $0[2], bias: $0[3], epsilon: 1e-5) }) {
                let kept = f == nil ? $0[1] : try $0[1] * Tensor(drop, shape: x.shape)
                return try ($0[0] + kept).layerNorm(weight: $0[2], bias: $0[3], epsilon: 1e-5)
            }
        }
    }

    /// The backward rule with GELU′ kept by the forward epilogue gives the same gradients, bit for
    /// bit, as the rule that recomputes it from the pre-activation (the GEMM, then the bias add).
    @Test(arguments: [[5, 3, 24], [130, 16], [2, 70, 40]])
    func storedGeluDerivativeMatchesPreActivationRule(shape: [Int]) throws {
        let (inputs, outputs) = (shape.last!, 40)
        let rows = shape.dropLast().reduce(1, *)
        let x = sample(shape, seed: 21), w = sample([outputs, inputs], seed: 22), b = sample([outputs], seed: 23)
        let g = sample(Array(shape.dropLast()) + [outputs], seed: 24)
        var pre = [Float](repeating: 0, count: rows * outputs), derivative = pre, gelu = pre
        x.scalars.withUnsafeBufferPointer { px in
            w.scalars.withUnsafeBufferPointer { pw in
                b.scalars.withUnsafeBufferPointer { pb in
                    pre.withUnsafeMutableBufferPointer { pc in
                        sgemm(transA: false, transB: true, m: rows, n: outputs, k: inputs, alpha: 1, a: px, lda: inputs,
                              b: pw, ldb: inputs, beta: 0, c: pc, ldc: outputs)
                        for r in 0..<rows { for j in 0..<outputs { pc[r * outputs + j] += pb[j] } }
                    }
                    derivative.withUnsafeMutableBufferPointer { pd in
                        gelu.withUnsafeMutableBufferPointer { po in
                            sgemmBiasGelu(transA: false, transB: true, m: rows, n: outputs, k: inputs, alpha: 1, a: px, lda: inputs,
                                          b: pw, ldb: inputs, bias: pb, c: pd, ldc: outputs, output: po, keepingDerivative: true)
                        }
                    }
                }
            }
        }
        let stored = try LinearRule(activation: .gelu, preActivation: nil, geluDerivative: derivative)
            .gradients(inputs: [x, w, b], upstream: g, needs: [true, true, true])
        let recomputed = try LinearRule(activation: .gelu, preActivation: pre)
            .gradients(inputs: [x, w, b], upstream: g, needs: [true, true, true])
        for i in 0..<3 {
            #expect(stored[i]!.scalars.map(\.bitPattern) == recomputed[i]!.scalars.map(\.bitPattern), "input \(i)")
        }
        // And the recorded forward pass keeps that derivative: its gradients are the same bits.
        let leaves = [x, w, b].map { $0.detached().requiringGrad() }
        let y = try leaves[0].linear(weight: leaves[1], bias: leaves[2], activation: .gelu)
        #expect(y.scalars.map(\.bitPattern) == gelu.map(\.bitPattern))
        try (y * g).sum().backward()
        for i in 0..<3 {
            #expect(leaves[i].grad!.scalars.map(\.bitPattern) == recomputed[i]!.scalars.map(\.bitPattern), "recorded input \(i)")
        }
    }

    @Test func gradientsByFiniteDifferences() throws {
        var r = try GradientCheck.check([sample([2, 3, 5], seed: 10), sample([4, 5], seed: 11), sample([4], seed: 12)]) {
            try $0[0].linear(weight: $0[1], bias: $0[2], activation: .gelu)
        }
        #expect(r.passed, "linear+gelu: \(r)")
        var rng = SeededGenerator(seed: 13)
        let drop = rng.dropoutFactors(count: 2 * 3 * 6, keep: 0.7)
        r = try GradientCheck.check([sample([2, 3, 6], seed: 14), sample([2, 3, 6], seed: 15), sample([6], seed: 16), sample([6], seed: 17)]) {
            try $0[0].addLayerNorm($0[1], dropout: drop, weight: $0[2], bias: $0[3], epsilon: 1e-5)
        }
        #expect(r.passed, "addLayerNorm: \(r)")
        let mask = rng.dropoutFactors(count: 2 * 3 * 4, keep: 0.6)
        r = try GradientCheck.check([sample([2, 3, 5], seed: 18), sample([4, 5], seed: 19), sample([4], seed: 20)]) {
            try $0[0].linear(weight: $0[1], bias: $0[2], activation: .gelu, dropoutFactors: mask)
        }
        #expect(r.passed, "linear+gelu+dropout mask: \(r)")
    }

    /// A dropout mask on the fused linear (the transformer's feed-forward dropout, applied in
    /// the GELU epilogue): values and gradients against linear+GELU times the mask; without a
    /// graph, the same values; with identity activation or no bias, the plain multiply.
    @Test(arguments: [[3, 50, 24], [2, 3, 5]])
    func dropoutMaskMatchesCompositeMultiply(shape: [Int]) throws {
        let (inputs, outputs) = (shape.last!, 40)
        var rng = SeededGenerator(seed: 31)
        let rows = shape.dropLast().reduce(1, *)
        let mask = rng.dropoutFactors(count: rows * outputs, keep: 0.7)
        #expect(mask.contains(0) && mask.contains { $0 > 1 })
        let outShape = Array(shape.dropLast()) + [outputs]
        let x = sample(shape, seed: 32), w = sample([outputs, inputs], seed: 33), b = sample([outputs], seed: 34)
        try expectSameGradients([x, w, b], { try $0[0].linear(weight: $0[1], bias: $0[2], activation: .gelu, dropoutFactors: mask) },
                                { try $0[0].linear(weight: $0[1], bias: $0[2], activation: .gelu) * Tensor(mask, shape: outShape) })
        try expectSameGradients([x, w, b], { try $0[0].linear(weight: $0[1], bias: $0[2], dropoutFactors: mask) },
                                { try ($0[0].matmul($0[1], transposeOther: true) + $0[2]) * Tensor(mask, shape: outShape) })
        try expectSameGradients([x, w], { try $0[0].linear(weight: $0[1], bias: nil, activation: .gelu, dropoutFactors: mask) },
                                { try $0[0].matmul($0[1], transposeOther: true).gelu() * Tensor(mask, shape: outShape) })
        let recorded = try x.requiringGrad().linear(weight: w, bias: b, activation: .gelu, dropoutFactors: mask)
        let inference = try withNoGrad { try x.linear(weight: w, bias: b, activation: .gelu, dropoutFactors: mask) }
        #expect(recorded.scalars.map(\.bitPattern) == inference.scalars.map(\.bitPattern))
        #expect(throws: TensorError.self) { try x.linear(weight: w, bias: b, activation: .gelu, dropoutFactors: [1, 1]) }
    }

    @Test func rejectsMismatchedShapes() {
        let x = sample([2, 3, 5], seed: 1)
        #expect(throws: TensorError.self) { try x.linear(weight: sample([4, 6], seed: 2), bias: nil) }
        #expect(throws: TensorError.self) { try x.linear(weight: sample([4, 5], seed: 2), bias: sample([5], seed: 3)) }
        #expect(throws: TensorError.self) { try x.addLayerNorm(sample([2, 3, 4], seed: 4), dropout: nil, weight: sample([5], seed: 5), bias: sample([5], seed: 6), epsilon: 1e-5) }
        #expect(throws: TensorError.self) { try x.addLayerNorm(x, dropout: [1], weight: sample([5], seed: 5), bias: sample([5], seed: 6), epsilon: 1e-5) }
    }
}
