import Testing
import Foundation
@testable import TLTensor

/// The fused multi-head attention primitive: values and gradients against the composite chain
/// it replaces (split heads, QKᵀ, scale, additive mask, softmax, dropout, ·V, merge heads), and
/// its gradients by finite differences.
@Suite struct AttentionOpTests {
    func composite(_ q: Tensor, _ k: Tensor, _ v: Tensor, heads h: Int, scale: Float, mask: [Float]?, dropout: [Float]?) throws -> Tensor {
        let (n, t, d) = (q.shape[0], q.shape[1], q.shape[2])
        func split(_ y: Tensor) throws -> Tensor { try y.reshaped([n, t, h, d / h]).permuted([0, 2, 1, 3]) }
        var s = try split(q).matmul(split(k), transposeOther: true) * scale
        if let mask { s = try s + Tensor(mask, shape: [n, 1, 1, t]) }
        var p = try s.softmax(axis: -1)
        if let dropout { p = try p * Tensor(dropout, shape: p.shape) }
        return try p.matmul(split(v)).permuted([0, 2, 1, 3]).reshaped([n, t, d])
    }

    func masks(n: Int, t: Int, h: Int, seed: UInt64) -> (mask: [Float], dropout: [Float]) {
        var rng = SeededGenerator(seed: seed)
        let mask = (0..<(n * t)).map { $0 % t == t - 1 && $0 / t == 0 ? MaskValue.masked : 0 }
        let dropout = rng.dropoutFactors(count: n * h * t * t, keep: 0.75)
        return (mask, dropout)
    }
    enum MaskValue { static let masked: Float = -1e9 }

    @Test(arguments: [(2, 5, 2, 6), (1, 7, 3, 12), (3, 16, 4, 32)])
    func matchesComposite(n: Int, t: Int, h: Int, d: Int) throws {
        let q = sample([n, t, d], seed: 1).requiringGrad(), k = sample([n, t, d], seed: 2).requiringGrad()
        let v = sample([n, t, d], seed: 3).requiringGrad()
        let (mask, dropout) = masks(n: n, t: t, h: h, seed: 4)
        let scale = 1 / Float(d / h).squareRoot()
        for (m, dr) in [(nil, nil), (mask, dropout)] as [([Float]?, [Float]?)] {
            let fused = try Tensor.multiHeadAttention(query: q, key: k, value: v, heads: h, scale: scale, keyMask: m, dropout: dr).context
            let reference = try composite(q, k, v, heads: h, scale: scale, mask: m, dropout: dr)
            #expect(expectClose(fused.scalars, reference.scalars, tolerance: 1e-5))
            let w = sample([n, t, d], seed: 5)
            try (fused * w).sum().backward()
            let fusedGrads = [q, k, v].map { $0.grad!.scalars }
            for x in [q, k, v] { x.zeroGrad() }
            try (reference * w).sum().backward()
            for (i, x) in [q, k, v].enumerated() {
                #expect(expectClose(fusedGrads[i], x.grad!.scalars, tolerance: 1e-4), "input \(i), masked \(m != nil)")
                x.zeroGrad()
            }
        }
    }

    /// The packed entry point (one [N, T, 3D] Q|K|V projection) equals the separate one.
    @Test func packedMatchesSeparate() throws {
        let (n, t, h, d) = (2, 6, 3, 12)
        let packed = sample([n, t, 3 * d], seed: 11).requiringGrad()
        let (mask, dropout) = masks(n: n, t: t, h: h, seed: 12)
        let parts = try (0..<3).map { try packed.sliced(axis: 2, ($0 * d)..<(($0 + 1) * d)) }
        let a = try Tensor.multiHeadAttention(packed: packed, heads: h, scale: 0.4, keyMask: mask, dropout: dropout).context
        let b = try Tensor.multiHeadAttention(query: parts[0], key: parts[1], value: parts[2], heads: h, scale: 0.4,
                                              keyMask: mask, dropout: dropout).context
        #expect(expectClose(a.scalars, b.scalars, tolerance: 1e-6))
        let w = sample([n, t, d], seed: 13)
        try (a * w).sum().backward()
        let ga = packed.grad!.scalars
        packed.zeroGrad()
        try (b * w).sum().backward()
        #expect(expectClose(ga, packed.grad!.scalars, tolerance: 1e-5))
        let r = try GradientCheck.check([sample([n, t, 3 * d], seed: 14)]) {
            try Tensor.multiHeadAttention(packed: $0[0], heads: h, scale: 0.4, keyMask: mask, dropout: dropout).context
        }
        #expect(r.passed, "packed: \(r)")
        #expect(throws: TensorError.self) { try Tensor.multiHeadAttention(packed: sample([2, 3, 8], seed: 1), heads: 2, scale: 1) }
    }

    @Test func gradientsByFiniteDifferences() throws {
        let (n, t, h, d) = (2, 5, 2, 6)
        let (mask, dropout) = masks(n: n, t: t, h: h, seed: 6)
        for (m, dr) in [(nil, nil), (mask, dropout)] as [([Float]?, [Float]?)] {
            let r = try GradientCheck.check([sample([n, t, d], seed: 7), sample([n, t, d], seed: 8), sample([n, t, d], seed: 9)]) {
                try Tensor.multiHeadAttention(query: $0[0], key: $0[1], value: $0[2], heads: h, scale: 0.5, keyMask: m, dropout: dr).context
            }
            #expect(r.passed, "masked \(m != nil): \(r)")
        }
    }

    @Test func rejectsMismatchedInputs() {
        let x = sample([2, 3, 4], seed: 1)
        #expect(throws: TensorError.self) { try Tensor.multiHeadAttention(query: x, key: x, value: x, heads: 3, scale: 1) }
        #expect(throws: TensorError.self) { try Tensor.multiHeadAttention(query: x, key: sample([2, 3, 8], seed: 2), value: x, heads: 2, scale: 1) }
        #expect(throws: TensorError.self) { try Tensor.multiHeadAttention(query: x, key: x, value: x, heads: 2, scale: 1, keyMask: [0]) }
    }

    @Test func dropoutFactorsAreSeededAndKeepTheRightFraction() {
        var a = SeededGenerator(seed: 3), b = SeededGenerator(seed: 3)
        let f = a.dropoutFactors(count: 100_003, keep: 0.9)
        #expect(f == b.dropoutFactors(count: 100_003, keep: 0.9))
        #expect(f != a.dropoutFactors(count: 100_003, keep: 0.9))
        #expect(Set(f) == [0, 1 / Float(0.9)])
        let kept = Double(f.filter { $0 != 0 }.count) / Double(f.count)
        #expect(Swift.abs(kept - 0.9) < 0.005, "kept \(kept)")
        // The 16-wide path and the scalar tail read the draws in the same order.
        for n in [1, 3, 5, 17] {
            var x = SeededGenerator(seed: 9), y = SeededGenerator(seed: 9)
            #expect(x.dropoutFactors(count: n, keep: 0.5) == Array(y.dropoutFactors(count: 48, keep: 0.5).prefix(n)), "\(n)")
        }
    }
}
