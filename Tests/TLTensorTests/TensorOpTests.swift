import Testing
import Foundation
@testable import TLTensor

@Suite struct TensorOpTests {
    @Test func creation() throws {
        #expect(Tensor.zeros([2, 3]).scalars == [0, 0, 0, 0, 0, 0])
        #expect(Tensor.ones([2]).scalars == [1, 1])
        #expect(Tensor.full([3], value: 2.5).scalars == [2.5, 2.5, 2.5])
        #expect(try Tensor.arange(0, 5).scalars == [0, 1, 2, 3, 4])
        #expect(try Tensor.arange(1, 2, step: 0.25).scalars == [1, 1.25, 1.5, 1.75])
        #expect(Tensor.eye(3).scalars == [1, 0, 0, 0, 1, 0, 0, 0, 1])
        #expect(throws: TensorError.self) { try Tensor([1, 2, 3], shape: [2, 2]) }
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42), c = SeededGenerator(seed: 43)
        let x = Tensor.normal([1000], using: &a), y = Tensor.normal([1000], using: &b), z = Tensor.normal([1000], using: &c)
        #expect(x == y)
        #expect(x != z)
        let mean = x.scalars.reduce(0, +) / 1000
        let sd = (x.scalars.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 1000).squareRoot()
        #expect(Swift.abs(mean) < 0.1 && Swift.abs(sd - 1) < 0.1)
        let u = Tensor.uniform([1000], low: -1, high: 3, using: &a)
        #expect(u.scalars.allSatisfy { $0 >= -1 && $0 < 3 })
    }

    @Test func broadcastingValues() throws {
        let a = try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        #expect(try (a + Tensor([10, 20, 30])).scalars == [11, 22, 33, 14, 25, 36])
        #expect(try (a * Tensor([2, 3], shape: [2, 1])).scalars == [2, 4, 6, 12, 15, 18])
        #expect(try (Tensor(scalar: 1) - a).scalars == [0, -1, -2, -3, -4, -5])
        #expect(try (a / Tensor([1, 2, 4])).scalars == [1, 1, 0.75, 4, 2.5, 1.5])
        // Broadcast from both sides at once: [2,1] ∘ [1,3] → [2,3].
        let col = try Tensor([1, 2], shape: [2, 1]), row = try Tensor([10, 20, 30], shape: [1, 3])
        #expect(try (col + row).scalars == [11, 21, 31, 12, 22, 32])
    }

    @Test func reductionValues() throws {
        let x = try Tensor((0..<24).map(Float.init), shape: [2, 3, 4])
        #expect(try x.sum(axis: 0).scalars == (0..<12).map { Float($0 * 2 + 12) })
        #expect(try x.sum(axes: [0, 2]).scalars == [60, 92, 124])
        #expect(try x.sum(axes: [0, 2], keepDims: true).shape == [1, 3, 1])
        #expect(x.sum().scalars == [276])
        #expect(try x.mean(axis: -1).scalars == [1.5, 5.5, 9.5, 13.5, 17.5, 21.5])
        #expect(try x.max(axis: 1).scalars == [8, 9, 10, 11, 20, 21, 22, 23])
        #expect(try x.argmax(axis: 2) == [3, 3, 3, 3, 3, 3])
        #expect(try Tensor([1, 3, 3, 2]).argmax(axis: 0) == [1])
        let v = try Tensor([1, 2, 3, 4]).variance(axes: [0])
        #expect(Swift.abs(v.scalars[0] - 1.25) < 1e-6)
        let vu = try Tensor([1, 2, 3, 4]).variance(axes: [0], correction: 1)
        #expect(Swift.abs(vu.scalars[0] - 5.0 / 3.0) < 1e-6)
        // Large offset: two-pass variance stays accurate.
        let big = try Tensor([1e4 + 1, 1e4 + 2, 1e4 + 3, 1e4 + 4]).variance(axes: [0])
        #expect(Swift.abs(big.scalars[0] - 1.25) < 1e-3)
    }

    /// indexSelect and its adjoint indexAdd split across kernel threads (output slices, and
    /// column slices of 16) above the parallel threshold: the same bits as the plain loops,
    /// repeated indices adding in index order. Sizes cross the threshold (~8M work units), a
    /// row length that is not a multiple of 16 (72), and an inner axis with outer > 1.
    @Test func largeIndexSelectAndIndexAddMatchPlainLoops() throws {
        for (shape, axis, picks) in [([500, 72], 0, 3000), ([3, 400, 40], 1, 1500)] {
            let count = shape.reduce(1, *)
            let table = try Tensor((0..<count).map { Float(($0 * 7919) % 1009) * 0.013 - 6 }, shape: shape)
            let indices = (0..<picks).map { ($0 * 37 + $0 / 3) % shape[axis] }
            let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *), n = shape[axis]
            let selected = try table.indexSelect(axis: axis, indices)
            var expected = [Float](repeating: 0, count: outer * picks * inner)
            for o in 0..<outer { for (k, idx) in indices.enumerated() { for j in 0..<inner {
                expected[(o * picks + k) * inner + j] = table.scalars[(o * n + idx) * inner + j]
            } } }
            #expect(selected.scalars == expected, "indexSelect \(shape)")
            let upstream = Tensor(unchecked: (0..<expected.count).map { Float(($0 * 31) % 97) * 0.37 - 17 }, shape: selected.shape)
            let added = upstream.indexAdd(axis: axis, indices, into: shape)
            var sums = [Float](repeating: 0, count: count)
            for o in 0..<outer { for (k, idx) in indices.enumerated() { for j in 0..<inner {
                sums[(o * n + idx) * inner + j] += upstream.scalars[(o * picks + k) * inner + j]
            } } }
            #expect(added.scalars == sums, "indexAdd \(shape)")
            #expect(sums.contains(0) == (Set(indices).count < n))   // rows never picked stay zero
        }
    }

    @Test func movementValues() throws {
        let x = try Tensor((0..<6).map(Float.init), shape: [2, 3])
        #expect(try x.transposed().scalars == [0, 3, 1, 4, 2, 5])
        #expect(try x.reshaped([3, -1]).shape == [3, 2])
        #expect(try x.sliced(axis: 1, 1..<3).scalars == [1, 2, 4, 5])
        #expect(try Tensor.concat([x, x], axis: 0).shape == [4, 3])
        #expect(try Tensor.concat([x, x], axis: 1).scalars == [0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5])
        #expect(try Tensor.stack([x, x], axis: 0).shape == [2, 2, 3])
        #expect(try x.indexSelect(axis: 0, [1, 1, 0]).scalars == [3, 4, 5, 3, 4, 5, 0, 1, 2])
        #expect(try x.padded([(1, 0), (0, 1)], value: -1).scalars == [-1, -1, -1, -1, 0, 1, 2, -1, 3, 4, 5, -1])
        let y = try Tensor((0..<24).map(Float.init), shape: [2, 3, 4]).permuted([2, 0, 1])
        #expect(y.shape == [4, 2, 3])
        #expect(Array(y.scalars.prefix(6)) == [0, 4, 8, 12, 16, 20])
        #expect(try x.unsqueezed(axis: 0).shape == [1, 2, 3])
        #expect(try x.flattened().shape == [6])
    }

    @Test func matmulMatchesNaive() throws {
        func naive(_ a: Tensor, _ b: Tensor) -> [Float] {
            let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1])
            var c = [Float](repeating: 0, count: m * n)
            for i in 0..<m { for j in 0..<n { for p in 0..<k { c[i * n + j] += a.scalars[i * k + p] * b.scalars[p * n + j] } } }
            return c
        }
        let a = sample([7, 17], seed: 1), b = sample([17, 5], seed: 2)
        #expect(expectClose(try a.matmul(b).scalars, naive(a, b)))
        #expect(expectClose(try a.transposed().matmul(b, transposeSelf: true).scalars, naive(a, b)))
        #expect(expectClose(try a.matmul(b.transposed(), transposeOther: true).scalars, naive(a, b)))
        // Batched with a broadcast batch axis: each batch equals the 2-D product.
        let batch = try Tensor.stack([a, a * 2], axis: 0)
        let c = try batch.matmul(b)
        #expect(c.shape == [2, 7, 5])
        #expect(expectClose(Array(c.scalars[35...]), naive(a * 2, b)))
        let bb = try Tensor.stack([b, b], axis: 0).unsqueezed(axis: 0)   // [1, 2, 17, 5]
        #expect(try batch.unsqueezed(axis: 1).matmul(bb).shape == [2, 2, 7, 5])
    }

    /// The product is written into an uninitialised buffer: every path (2-D, equal batches,
    /// broadcast batches) must write every element, also when K = 0 (all zeros). Freed NaN
    /// buffers of the same size first make stale memory likely to show up if one did not.
    @Test func matmulWritesEveryElementEvenWithEmptyK() throws {
        let cases: [([Int], [Int], [Int])] = [([6, 0], [0, 5], [6, 5]), ([3, 6, 0], [3, 0, 5], [3, 6, 5]),
                                              ([3, 1, 6, 0], [1, 2, 0, 5], [3, 2, 6, 5])]
        for (sa, sb, sc) in cases {
            for _ in 0..<4 { _ = [Float](repeating: .nan, count: sc.reduce(1, *)).withUnsafeBufferPointer { $0.count } }
            let c = try Tensor([], shape: sa).matmul(Tensor([], shape: sb))
            #expect(c.shape == sc)
            #expect(c.scalars.allSatisfy { $0 == 0 }, "\(sa) · \(sb)")
        }
        // Non-empty K on the same three paths agrees with the 2-D product per batch.
        let a = sample([6, 9], seed: 3), b = sample([9, 5], seed: 4)
        let ref = try a.matmul(b).scalars
        let viaBatch = try Tensor.stack([a, a, a], axis: 0).matmul(Tensor.stack([b, b, b], axis: 0))
        let viaBroadcast = try Tensor.stack([a, a], axis: 0).unsqueezed(axis: 1).matmul(Tensor.stack([b, b], axis: 0).unsqueezed(axis: 0))
        #expect(viaBatch.scalars == ref + ref + ref)
        #expect(viaBroadcast.shape == [2, 2, 6, 5] && viaBroadcast.scalars == Array([[Float]](repeating: ref, count: 4).joined()))
    }

    @Test func stableSoftmaxAndLogs() throws {
        let s = try Tensor([1e4, 0]).softmax()
        #expect(s.scalars == [1, 0])
        let ls = try Tensor([1e4, 0]).logSoftmax()
        #expect(ls.scalars[0] == 0 && ls.scalars[1] == -1e4)
        let lse = try Tensor([1e4, 1e4]).logSumExp(axis: 0)
        #expect(Swift.abs(lse.scalars[0] - (1e4 + Float(M_LN2))) < 1e-2)
        let neg = try Tensor([-1e4, -1e4 - 1]).softmax()
        #expect(neg.scalars.allSatisfy { $0.isFinite } && Swift.abs(neg.scalars.reduce(0, +) - 1) < 1e-6)
        #expect(try Tensor([-Float.infinity, -Float.infinity]).logSumExp(axis: 0).scalars[0] == -.infinity)
        // Guarded log of tiny/zero values stays finite, and its gradient is finite.
        let tiny = Tensor([0, Float.leastNonzeroMagnitude, 1e-30]).requiringGrad()
        let l = tiny.log(epsilon: 1e-12)
        #expect(l.scalars.allSatisfy { $0.isFinite })
        try l.sum().backward()
        #expect(tiny.grad!.scalars.allSatisfy { $0.isFinite })
        #expect(Tensor([1e4, -1e4]).sigmoid().scalars == [1, 0])
    }

    @Test func shapeErrorsAreThrownWithBothShapes() throws {
        func message(_ body: () throws -> Tensor) -> String {
            do { _ = try body(); return "no error" } catch { return "\(error)" }
        }
        let a = Tensor.zeros([2, 3]), b = Tensor.zeros([4])
        #expect(message { try a + b }.contains("[2, 3]") && message { try a + b }.contains("[4]"))
        #expect(message { try a.matmul(Tensor.zeros([2, 3])) }.contains("[2, 3] and [2, 3]"))
        #expect(message { try a.matmul(b) }.contains("[4]"))
        #expect(message { try a.reshaped([4, 2]) }.contains("[4, 2]"))
        #expect(message { try Tensor.concat([a, Tensor.zeros([2, 2, 1])], axis: 0) }.contains("[2, 2, 1]"))
        #expect(message { try a.sum(axis: 2) }.contains("axis 2"))
        #expect(message { try a.sliced(axis: 1, 2..<5) }.contains("2..<5"))
        #expect(message { try a.indexSelect(axis: 0, [2]) }.contains("index 2"))
        #expect(message { try a.permuted([0, 0]) }.contains("permutation"))
    }
}
