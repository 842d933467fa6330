import Foundation
import Testing
@testable import TLKernels

/// `linearBiasBackward` (GELU backward + bias column sums in one pass) against its naive twin
/// on every backend and thread count, and bit-identical to the two-pass composite it replaces
/// (geluBackward, then conv2DBackwardBias) whenever the width is a multiple of 8.
@Suite struct LinearBackwardTests {
    /// Widths: multiples of 8 (fused path, with and without a 32-column remainder) and ragged
    /// ones (two-pass fallback); row counts below, at and across the 64-row blocks.
    static let shapes: [(rows: Int, cols: Int)] = [(1, 8), (3, 7), (64, 16), (65, 40), (130, 512), (200, 2), (257, 128), (70, 129)]

    /// A shape's pre-activation x (wide enough to reach GELU's tails) and upstream gradient dy.
    static func operands(rows: Int, cols: Int) -> (x: [Float], dy: [Float]) {
        let n = rows * cols
        return (randomArray(n, seed: UInt64(rows * 31 + cols)).map { $0 * 6 }, randomArray(n, seed: UInt64(cols * 17 + rows)))
    }

    @Test(arguments: [false, true])
    func matchesReferenceAndComposite(gelu: Bool) {
        let pool = BufferPool()
        defer { pool.free() }
        for (rows, cols) in Self.shapes {
            let n = rows * cols
            let (x, dy) = Self.operands(rows: rows, cols: cols)
            let gRef = pool.filled(n), dbRef = pool.filled(cols)
            linearBiasBackwardReference(outputGradient: pool.ro(dy), geluInput: gelu ? pool.ro(x) : nil, scaled: gRef,
                                        biasGradient: dbRef, rows: rows, cols: cols)
            for ctx in testContexts {
                let tag = "\(rows)x\(cols) gelu \(gelu) \(ctx.backend) t\(ctx.threads)"
                let g = pool.filled(n), db = pool.filled(cols)
                linearBiasBackward(ctx, outputGradient: pool.ro(dy), geluInput: gelu ? pool.ro(x) : nil, scaled: g,
                                   biasGradient: db, rows: rows, cols: cols)
                // The composite: the element-wise pass, then the column-sum kernel.
                let gComposite = pool.filled(n), dbComposite = pool.filled(cols)
                if gelu {
                    geluBackward(ctx, x: pool.ro(x), outputGradient: pool.ro(dy), inputGradient: gComposite)
                } else {
                    for i in 0..<n { gComposite[i] = dy[i] }
                }
                conv2DBackwardBias(outputGradient: UnsafeBufferPointer(gComposite), rows: rows, outChannels: cols, biasGradient: dbComposite)
                for i in 0..<n {
                    #expect(g[i] == gComposite[i], "g \(tag) at \(i)")
                    // GELU′ tolerance as in RowKernelTests.geluMatchesReference.
                    let tol = gelu ? 4e-7 * (1 + abs(x[i])) * abs(dy[i]) + 4 * unitRoundoff * abs(gRef[i]) + 1e-9 : 0
                    #expect(abs(g[i] - gRef[i]) <= tol, "g vs reference \(tag) at \(i)")
                }
                for j in 0..<cols {
                    #expect(db[j] == dbComposite[j], "db \(tag) column \(j): \(db[j]) vs \(dbComposite[j])")
                    // Float sums over ≤ 64 rows: ≤ 64·u·Σ|g| (plus the reference's own GELU error).
                    var magnitude: Float = 0, geluError: Float = 0
                    for r in 0..<rows {
                        magnitude += abs(gRef[r * cols + j])
                        if gelu { geluError += 4e-7 * (1 + abs(x[r * cols + j])) * abs(dy[r * cols + j]) + 4 * unitRoundoff * abs(gRef[r * cols + j]) }
                    }
                    #expect(abs(db[j] - dbRef[j]) <= 66 * unitRoundoff * magnitude + geluError + 1e-9, "db vs reference \(tag) column \(j)")
                }
            }
        }
    }

    /// With GELU′ kept from the forward pass (`geluDerivative`, what sgemmBiasGelu's epilogue
    /// stores: geluBackward with dy = 1) instead of the pre-activation: g and db bit-identical to
    /// the `geluInput` path, on the fused widths and the ragged fallback, every backend and thread count.
    @Test func storedDerivativeMatchesGeluInput() {
        let pool = BufferPool()
        defer { pool.free() }
        for (rows, cols) in Self.shapes {
            let n = rows * cols
            let (x, dy) = Self.operands(rows: rows, cols: cols)
            for ctx in testContexts {
                let tag = "\(rows)x\(cols) \(ctx.backend) t\(ctx.threads)"
                let derivative = pool.filled(n)
                geluBackward(ctx, x: pool.ro(x), outputGradient: pool.ro([Float](repeating: 1, count: n)), inputGradient: derivative)
                let g = pool.filled(n), db = pool.filled(cols)
                linearBiasBackward(ctx, outputGradient: pool.ro(dy), geluInput: pool.ro(x), scaled: g, biasGradient: db, rows: rows, cols: cols)
                let g2 = pool.filled(n), db2 = pool.filled(cols)
                linearBiasBackward(ctx, outputGradient: pool.ro(dy), geluInput: nil, geluDerivative: UnsafeBufferPointer(derivative),
                                   scaled: g2, biasGradient: db2, rows: rows, cols: cols)
                for i in 0..<n where g2[i].bitPattern != g[i].bitPattern { Issue.record("g \(tag) at \(i): \(g2[i]) vs \(g[i])"); break }
                for j in 0..<cols where db2[j].bitPattern != db[j].bitPattern { Issue.record("db \(tag) column \(j): \(db2[j]) vs \(db[j])"); break }
            }
        }
    }

    /// The forward GELU epilogue with the bias: pre + b kept, GELU(pre + b) against the naive
    /// twin (GELU tolerance as in RowKernelTests) and bit-identical to the two passes.
    @Test func biasGeluForwardMatchesReferenceAndComposite() {
        let pool = BufferPool()
        defer { pool.free() }
        for (rows, cols) in Self.shapes {
            let n = rows * cols
            let acc = randomArray(n, seed: UInt64(rows + 3 * cols)).map { $0 * 5 }, bias = randomArray(cols, seed: 8)
            let preRef = pool.copy(acc), yRef = pool.filled(n)
            biasGeluForwardReference(preActivation: preRef, bias: pool.ro(bias), output: yRef, rows: rows)
            for ctx in testContexts {
                let tag = "\(rows)x\(cols) \(ctx.backend) t\(ctx.threads)"
                let pre = pool.copy(acc), y = pool.filled(n + 2)
                biasGeluForward(ctx, preActivation: pre, bias: pool.ro(bias), output: y, rows: rows)
                let pre2 = pool.copy(acc), y2 = pool.filled(n)
                for r in 0..<rows { for j in 0..<cols { pre2[r * cols + j] += bias[j] } }
                geluForward(ctx, x: UnsafeBufferPointer(pre2), y: y2)
                for i in 0..<n {
                    #expect(pre[i] == pre2[i] && pre[i] == preRef[i] && y[i] == y2[i], "\(tag) at \(i)")
                    #expect(abs(y[i] - yRef[i]) <= 4e-7 * (1 + abs(pre[i])) + 4 * unitRoundoff * abs(yRef[i]), "vs reference \(tag) at \(i)")
                }
                #expect(y[n].isNaN && y[n + 1].isNaN, "wrote past the rows")
            }
        }
    }
}
