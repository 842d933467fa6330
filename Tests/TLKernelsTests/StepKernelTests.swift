import Testing
@testable import TLKernels

/// The training-step kernels of issue 14 (ReLU backward, column sums) against their naive
/// twins, on sizes around the SIMD width and odd sizes.
@Suite struct StepKernelTests {
    func values(_ n: Int, seed: UInt32) -> [Float] {
        var state = seed &* 2_654_435_761 | 1
        return (0..<n).map { _ in
            state ^= state << 13; state ^= state >> 17; state ^= state << 5
            return Float(Int(state % 13)) / 4 - 1.5   // many exact zeros and repeats
        }
    }

    @Test(arguments: [0, 1, 7, 15, 16, 17, 33, 64, 1000])
    func reluBackwardMatchesReference(n: Int) {
        let x = values(n, seed: 1)
        var g = values(n, seed: 2)
        if n > 3 { g[1] = .nan; g[2] = .infinity }   // where x ≤ 0 these become 0
        var fast = [Float](repeating: 7, count: n), slow = [Float](repeating: -7, count: n)
        x.withUnsafeBufferPointer { px in g.withUnsafeBufferPointer { pg in
            fast.withUnsafeMutableBufferPointer { pf in slow.withUnsafeMutableBufferPointer { ps in
                guard n > 0 else { return }
                reluBackward(px.baseAddress!, pg.baseAddress!, pf.baseAddress!, count: n)
                reluBackwardReference(px.baseAddress!, pg.baseAddress!, ps.baseAddress!, count: n)
            } }
        } }
        #expect(zip(fast, slow).allSatisfy { $0.isNaN ? $1.isNaN : $0 == $1 }, "n=\(n)")
        // Not vacuous: the mask keeps some gradients and zeroes others.
        if n >= 16 { #expect(fast.contains(0) && fast.contains { $0 != 0 }) }
        for i in 0..<n where !(x[i] > 0) { #expect(fast[i] == 0) }
    }

    @Test(arguments: [(1, 1), (64, 120), (64, 84), (3, 200), (5, 16), (9, 63), (128, 10), (2, 1), (31, 6), (1000, 6), (517, 1), (100, 15),
                      (7, 200), (5, 1000)])
    func sumRowsMatchesReference(rows: Int, cols: Int) {
        let x = values(rows * cols, seed: UInt32(rows * 1000 + cols)).map { $0 * 1.37 }
        var fast = [Float](repeating: .nan, count: cols), slow = fast
        x.withUnsafeBufferPointer { px in
            fast.withUnsafeMutableBufferPointer { pf in sumRows(px.baseAddress!, rows: rows, cols: cols, into: pf.baseAddress!) }
            slow.withUnsafeMutableBufferPointer { ps in sumRowsReference(px.baseAddress!, rows: rows, cols: cols, into: ps.baseAddress!) }
        }
        #expect(fast == slow, "\(rows)x\(cols)")   // same additions in the same order: bit-identical
        for j in 0..<cols {
            var exact = 0.0, magnitude = 0.0
            for i in 0..<rows { exact += Double(x[i * cols + j]); magnitude += Swift.abs(Double(x[i * cols + j])) }
            #expect(Swift.abs(Double(fast[j]) - exact) <= 1e-5 * magnitude + 1e-6, "\(rows)x\(cols) column \(j)")
        }
        // Deterministic: the same call gives the same bits, and so does every thread count (wide
        // matrices split their columns in blocks of 64: 200 columns as 64 + 136 on 2 threads).
        for ctx in testContexts {
            var again = [Float](repeating: 0, count: cols)
            x.withUnsafeBufferPointer { px in again.withUnsafeMutableBufferPointer { sumRows(ctx, px.baseAddress!, rows: rows, cols: cols, into: $0.baseAddress!) } }
            #expect(again == fast, "\(rows)x\(cols) \(ctx.backend) threads \(ctx.threads)")
        }
    }

    @Test(arguments: [(1, 6), (50, 6), (64, 16), (7, 1), (3, 120), (43, 100), (2, 300), (200, 3)])
    func rowBroadcastMatchesReference(rows: Int, cols: Int) {
        let a = values(rows * cols, seed: UInt32(rows + 7 * cols)), b = values(cols, seed: 99).map { $0 + 0.25 }
        for op in [BinaryKernel.add, .subtract, .multiply, .divide] {
            for onLeft in [false, true] {
                var fast = [Float](repeating: .nan, count: rows * cols), slow = fast
                a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in
                    fast.withUnsafeMutableBufferPointer { pf in slow.withUnsafeMutableBufferPointer { ps in
                        binaryRowBroadcast(op, pa.baseAddress!, rows: rows, cols: cols, pb.baseAddress!, bOnLeft: onLeft, pf.baseAddress!)
                        binaryRowBroadcastReference(op, pa.baseAddress!, rows: rows, cols: cols, pb.baseAddress!, bOnLeft: onLeft, ps.baseAddress!)
                    } }
                } }
                #expect(zip(fast, slow).allSatisfy { $0.isNaN ? $1.isNaN : $0 == $1 }, "\(op) \(rows)x\(cols) left \(onLeft)")
                // Split across threads (forced), the rows give the same bits.
                for ctx in testContexts {
                    var split = [Float](repeating: .nan, count: rows * cols)
                    a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in split.withUnsafeMutableBufferPointer { po in
                        binaryRowBroadcast(ctx, op, pa.baseAddress!, rows: rows, cols: cols, pb.baseAddress!, bOnLeft: onLeft, po.baseAddress!)
                    } } }
                    #expect(zip(split, slow).allSatisfy { $0.isNaN ? $1.isNaN : $0 == $1 }, "\(op) \(rows)x\(cols) \(ctx.threads) threads")
                }
            }
        }
        // The reference is the definition: spot-check one element by hand.
        var out = [Float](repeating: 0, count: rows * cols)
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in out.withUnsafeMutableBufferPointer { po in
            binaryRowBroadcast(.subtract, pa.baseAddress!, rows: rows, cols: cols, pb.baseAddress!, bOnLeft: false, po.baseAddress!)
        } } }
        let i = rows - 1, j = cols - 1
        #expect(out[i * cols + j] == a[i * cols + j] - b[j])
    }
}
