import Testing
@testable import TLKernels

/// Elementwise and reduction kernels against their naive twins, on sizes around the SIMD
/// width (tails of every length) and larger odd sizes.
@Suite struct ElementwiseKernelTests {
    static let sizes = [0, 1, 2, 7, 15, 16, 17, 31, 63, 64, 65, 129, 1000]

    func values(_ n: Int, seed: UInt32, positive: Bool = false) -> [Float] {
        var state = seed &* 2_654_435_761 | 1
        return (0..<n).map { _ in
            state ^= state << 13; state ^= state >> 17; state ^= state << 5
            let u = Float(state % 10_000) / 10_000
            return positive ? 0.1 + 3 * u : 6 * u - 3
        }
    }

    @Test(arguments: sizes)
    func binaryMatchesReference(n: Int) {
        let a = values(n, seed: 1), b = values(n, seed: 2, positive: true)
        for op in [BinaryKernel.add, .subtract, .multiply, .divide] {
            var fast = [Float](repeating: 0, count: n), slow = fast
            a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in
                fast.withUnsafeMutableBufferPointer { pf in slow.withUnsafeMutableBufferPointer { ps in
                    guard n > 0 else { return }
                    binaryContiguous(op, pa.baseAddress!, pb.baseAddress!, pf.baseAddress!, count: n)
                    binaryContiguousReference(op, pa.baseAddress!, pb.baseAddress!, ps.baseAddress!, count: n)
                } }
            } }
            #expect(fast == slow, "\(op) n=\(n)")   // same IEEE operation per lane: bit-identical
            // Scalar forms agree with the broadcast definition.
            var right = [Float](repeating: 0, count: n), left = right
            a.withUnsafeBufferPointer { pa in right.withUnsafeMutableBufferPointer { pr in left.withUnsafeMutableBufferPointer { pl in
                guard n > 0 else { return }
                binaryScalarRight(op, pa.baseAddress!, 1.5, pr.baseAddress!, count: n)
                binaryScalarLeft(op, 1.5, pa.baseAddress!, pl.baseAddress!, count: n)
            } } }
            #expect(right == a.map { op.apply($0, 1.5) })
            #expect(left == a.map { op.apply(1.5, $0) })
        }
    }

    @Test(arguments: sizes)
    func unaryMatchesReference(n: Int) {
        let x = values(n, seed: 3), positive = values(n, seed: 4, positive: true)
        for op in [UnaryKernel.negate, .abs, .relu, .exp, .log, .sqrt, .tanh, .sigmoid, .gelu] {
            let input = (op == .log || op == .sqrt) ? positive : x
            var fast = [Float](repeating: 0, count: n), slow = fast
            input.withUnsafeBufferPointer { pi in fast.withUnsafeMutableBufferPointer { pf in slow.withUnsafeMutableBufferPointer { ps in
                guard n > 0 else { return }
                unaryContiguous(op, pi.baseAddress!, pf.baseAddress!, count: n)
                unaryContiguousReference(op, pi.baseAddress!, ps.baseAddress!, count: n)
            } } }
            #expect(fast == slow, "\(op) n=\(n)")
        }
    }

    @Test(arguments: sizes.filter { $0 > 0 })
    func reductionsMatchReference(n: Int) {
        let x = values(n, seed: 5)
        x.withUnsafeBufferPointer { p in
            // Partial sums reorder additions: error bound ~ n·ulp·max|x|, with |x| ≤ 3.
            let tolerance = Float(n) * 3 * Float.ulpOfOne * 4
            #expect(Swift.abs(sumContiguous(p.baseAddress!, count: n) - sumContiguousReference(p.baseAddress!, count: n)) <= tolerance)
            #expect(maxContiguous(p.baseAddress!, count: n) == maxContiguousReference(p.baseAddress!, count: n))
        }
    }

    @Test func sigmoidAndGeluAreStableAtExtremes() {
        #expect(scalarUnary(.sigmoid, 1e4) == 1 && scalarUnary(.sigmoid, -1e4) == 0)
        #expect(scalarUnary(.gelu, -1e4) == 0 && scalarUnary(.gelu, 1e4) == 1e4)
        // gelu(1) = Φ(1) = 0.8413447…
        #expect(Swift.abs(scalarUnary(.gelu, 1) - 0.841_344_7) < 1e-6)
    }

    @Test func gemmReferenceComputesAlphaBeta() {
        // [[1,2],[3,4]] · [[5,6],[7,8]] = [[19,22],[43,50]]; α=2, β=1 on C=1.
        let a: [Float] = [1, 2, 3, 4], b: [Float] = [5, 6, 7, 8]
        var c: [Float] = [1, 1, 1, 1]
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
            sgemmReference(transA: false, transB: false, m: 2, n: 2, k: 2, alpha: 2, a: pa, lda: 2, b: pb, ldb: 2, beta: 1, c: pc, ldc: 2)
        } } }
        #expect(c == [39, 45, 87, 101])
    }
}
