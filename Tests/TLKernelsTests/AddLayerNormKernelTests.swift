import Foundation
import Testing
@testable import TLKernels

/// The fused residual sum + LayerNorm kernel against its naive twin (sum, then the Double
/// LayerNorm reference), with and without dropout factors, every backend, 1–3 threads.
@Suite struct AddLayerNormKernelTests {
    @Test func matchesReference() {
        let pool = BufferPool()
        defer { pool.free() }
        for (rows, cols) in rowShapes + [(70, 128)] {
            let n = rows * cols
            let x = randomArray(n, seed: UInt64(rows * 1000 + cols)).map { $0 * 4 }, r = randomArray(n, seed: 7)
            let f = randomArray(n, seed: 8).map { $0 < -0.6 ? Float(0) : 1.25 }
            let gamma = randomArray(cols, seed: 9), beta = randomArray(cols, seed: 10)
            for dropout in [nil, f] as [[Float]?] {
                let zRef = pool.filled(n), yRef = pool.filled(n), mRef = pool.filled(rows), sRef = pool.filled(rows)
                let pf = dropout.map { pool.ro($0) }
                addLayerNormForwardReference(x: pool.ro(x), residual: pool.ro(r), dropout: pf, gamma: pool.ro(gamma), beta: pool.ro(beta),
                                             sum: zRef, y: yRef, mean: mRef, rstd: sRef, rows: rows, cols: cols, epsilon: 1e-5)
                for ctx in testContexts {
                    let z = pool.filled(n), y = pool.filled(n), m = pool.filled(rows), s = pool.filled(rows)
                    addLayerNormForward(ctx, x: pool.ro(x), residual: pool.ro(r), dropout: pf, gamma: pool.ro(gamma), beta: pool.ro(beta),
                                        sum: z, y: y, mean: m, rstd: s, rows: rows, cols: cols, epsilon: 1e-5)
                    let label = "\(rows)x\(cols) dropout \(dropout != nil) \(ctx.backend) t\(ctx.threads)"
                    var worstZ: Float = 0, worstY: Float = 0
                    for i in 0..<n { worstZ = max(worstZ, abs(z[i] - zRef[i])); worstY = max(worstY, abs(y[i] - yRef[i])) }
                    #expect(worstZ == 0, "sum \(label)")             // one add (and one multiply): exact as the twin's
                    #expect(worstY <= 1e-4, "LayerNorm \(label): \(worstY)")
                    for i in 0..<rows { #expect(abs(m[i] - mRef[i]) <= 1e-5 && abs(s[i] - sRef[i]) <= 1e-3 * sRef[i], "stats \(label)") }
                    // Inference passes the output as the sum (not kept): the same y, mean and rstd bit for bit.
                    let y2 = pool.filled(n), m2 = pool.filled(rows), s2 = pool.filled(rows)
                    addLayerNormForward(ctx, x: pool.ro(x), residual: pool.ro(r), dropout: pf, gamma: pool.ro(gamma), beta: pool.ro(beta),
                                        sum: y2, y: y2, mean: m2, rstd: s2, rows: rows, cols: cols, epsilon: 1e-5)
                    #expect(Array(y2) == Array(y) && Array(m2) == Array(m) && Array(s2) == Array(s), "sum in the output buffer, \(label)")
                }
            }
        }
    }
}
