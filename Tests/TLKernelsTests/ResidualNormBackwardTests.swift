import Testing
@testable import TLKernels

/// `addLayerNormBackward` (LayerNorm backward with the residual's dropout-scaled gradient
/// written in the same pass) against the two passes it replaces and the naive twin, on every
/// backend and thread count.
@Suite struct ResidualNormBackwardTests {
    @Test func matchesTwoPassesAndReference() {
        let pool = BufferPool()
        defer { pool.free() }
        for (rows, cols) in rowShapes {
            let n = rows * cols
            let z = randomArray(n, seed: UInt64(rows * 7 + cols)).map { $0 * 3 + 0.5 }
            let dy = randomArray(n, seed: UInt64(cols * 5 + rows))
            let gamma = randomArray(cols, seed: 11).map { $0 + 1 }, beta = randomArray(cols, seed: 12)
            let f = randomArray(n, seed: 13).map { $0 < 0 ? Float(0) : 1 / 0.9 }
            let mean = pool.filled(rows), rstd = pool.filled(rows), y = pool.filled(n)
            layerNormForwardReference(x: pool.ro(z), gamma: pool.ro(gamma), beta: pool.ro(beta), y: y, mean: mean, rstd: rstd,
                                      rows: rows, cols: cols, epsilon: 1e-5)
            let dzRef = pool.filled(n), dgRef = pool.filled(cols), dbRef = pool.filled(cols)
            layerNormBackwardReference(x: pool.ro(z), outputGradient: pool.ro(dy), gamma: pool.ro(gamma), mean: UnsafeBufferPointer(mean),
                                       rstd: UnsafeBufferPointer(rstd), inputGradient: dzRef, gammaGradient: dgRef, betaGradient: dbRef,
                                       rows: rows, cols: cols)
            for ctx in testContexts {
                let tag = "\(rows)x\(cols) \(ctx.backend) t\(ctx.threads)"
                let dz = pool.filled(n), dr = pool.filled(n), dg = pool.filled(cols), db = pool.filled(cols)
                layerNormBackward(ctx, x: pool.ro(z), outputGradient: pool.ro(dy), gamma: pool.ro(gamma), mean: UnsafeBufferPointer(mean),
                                  rstd: UnsafeBufferPointer(rstd), inputGradient: dz, gammaGradient: dg, betaGradient: db,
                                  rows: rows, cols: cols, dropout: pool.ro(f), residualGradient: dr)
                // The two passes: LayerNorm's backward alone, then the product.
                let dz2 = pool.filled(n), dg2 = pool.filled(cols), db2 = pool.filled(cols)
                layerNormBackward(ctx, x: pool.ro(z), outputGradient: pool.ro(dy), gamma: pool.ro(gamma), mean: UnsafeBufferPointer(mean),
                                  rstd: UnsafeBufferPointer(rstd), inputGradient: dz2, gammaGradient: dg2, betaGradient: db2, rows: rows, cols: cols)
                var worst: Float = 0, scale: Float = 0
                for i in 0..<n {
                    #expect(dz[i] == dz2[i] && dr[i] == dz2[i] * f[i], "dz/dr \(tag) at \(i)")
                    worst = max(worst, abs(dr[i] - dzRef[i] * f[i])); scale = max(scale, abs(dzRef[i] * f[i]))
                }
                for j in 0..<cols { #expect(dg[j] == dg2[j] && db[j] == db2[j], "dgamma/dbeta \(tag) column \(j)") }
                // Against the naive twin: the LayerNorm bound of RowKernelTests, loosely.
                #expect(worst <= Float(cols + 8) * unitRoundoff * 64 * max(scale, 1), "dr vs reference \(tag): \(worst)")
            }
        }
    }
}
