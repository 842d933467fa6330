import Foundation
import Testing
@testable import TLKernels

/// Row shapes: widths around the vector lengths (8, 16) to exercise the tails; enough rows
/// (with `minParallelWork: 0`) that 2 and 3 threads get several rows each.
let rowShapes: [(Int, Int)] = [(1, 1), (3, 7), (5, 16), (7, 17), (9, 63), (4, 65), (6, 129), (33, 384)]

@Suite struct RowKernelTests {
    /// Softmax output error: each exp is within ~2 ulp (Cephes polynomial + exact range
    /// reduction), the row sum adds ≤ cols·u relative error, the division 1 ulp; so
    /// |y − ref| ≤ (cols + 8)·u·ref. The backward pass is a length-cols dot product:
    /// |dx − ref| ≤ (cols + 8)·u·(|y|·|dy| + y·Σ|y·dy|).
    @Test func softmaxMatchesReference() {
        let pool = BufferPool()
        defer { pool.free() }
        for (rows, cols) in rowShapes {
            let x = randomArray(rows * cols, seed: UInt64(rows * 1000 + cols)).map { $0 * 8 }
            let dy = randomArray(rows * cols, seed: 5)
            let yRef = pool.filled(x.count), dxRef = pool.filled(x.count)
            softmaxRowsForwardReference(x: pool.ro(x), y: yRef, rows: rows, cols: cols)
            softmaxRowsBackwardReference(y: UnsafeBufferPointer(yRef), outputGradient: pool.ro(dy), inputGradient: dxRef,
                                         rows: rows, cols: cols)
            let tol = Float(cols + 8) * unitRoundoff
            for ctx in testContexts {
                let y = pool.filled(x.count), dx = pool.filled(x.count)
                softmaxRowsForward(ctx, x: pool.ro(x), y: y, rows: rows, cols: cols)
                softmaxRowsBackward(ctx, y: UnsafeBufferPointer(yRef), outputGradient: pool.ro(dy), inputGradient: dx,
                                    rows: rows, cols: cols)
                var worstY: Float = 0, worstDx: Float = 0
                for r in 0..<rows {
                    var dot: Float = 0
                    for j in 0..<cols { dot += abs(yRef[r * cols + j] * dy[r * cols + j]) }
                    for j in 0..<cols {
                        let i = r * cols + j
                        worstY = max(worstY, abs(y[i] - yRef[i]) / yRef[i])
                        worstDx = max(worstDx, abs(dx[i] - dxRef[i]) / (yRef[i] * (abs(dy[i]) + dot)))
                    }
                }
                #expect(worstY <= tol, "softmax \(rows)x\(cols) \(ctx.backend) t\(ctx.threads): \(worstY)")
                #expect(worstDx <= tol, "softmax bwd \(rows)x\(cols) \(ctx.backend) t\(ctx.threads): \(worstDx)")
            }
        }
    }

    /// Inputs of ±1e4 overflow a naive exp; the max-subtracted form must stay finite,
    /// sum to 1, and put all the mass on the maximum when it leads by 1e4.
    /// The backend softmax reads a row's tail as a full vector reaching into the next rows of
    /// the same call (see `softmaxRows`): over all rows at once, in place and out of place, it
    /// must give bit for bit what one call per row gives (where every tail takes the partial
    /// loads), never touch memory past the block (guards either side), and leave masked keys
    /// (−1e4 added, as attention's key mask) at 0. Widths: below, at and across the vector
    /// lengths, and batch token counts of `tl embed`.
    @Test func softmaxTailReadsAheadSafely() {
        for ctx in testContexts where ctx.threads == 1 {
            let k = ctx.backend.kernels
            for cols in [1, 3, 5, 7, 9, 15, 17, 23, 31, 33, 47, 64] {
                for rows in [1, 2, 3, 6, 11] {
                    let n = rows * cols
                    var x = randomArray(n, seed: UInt64(cols * 100 + rows)).map { $0 * 6 }
                    for r in 0..<rows where cols > 2 { x[r * cols + cols - 1] -= 10_000 }   // a masked key per row
                    let guardValue: Float = 1234.5
                    var perRow = x, inPlace = [guardValue] + x + [Float](repeating: guardValue, count: 20)
                    var outOfPlace = [Float](repeating: guardValue, count: n + 21)
                    x.withUnsafeBufferPointer { px in
                        perRow.withUnsafeMutableBufferPointer { p in
                            for r in 0..<rows { k.softmaxRows(px.baseAddress! + r * cols, p.baseAddress! + r * cols, 1, cols) }
                        }
                        outOfPlace.withUnsafeMutableBufferPointer { k.softmaxRows(px.baseAddress!, $0.baseAddress! + 1, rows, cols) }
                    }
                    inPlace.withUnsafeMutableBufferPointer { k.softmaxRows(UnsafePointer($0.baseAddress! + 1), $0.baseAddress! + 1, rows, cols) }
                    let tag = "\(ctx.backend) \(rows)x\(cols)"
                    #expect(Array(inPlace[1...n]) == perRow, "in place vs per row, \(tag)")
                    #expect(Array(outOfPlace[1...n]) == perRow, "out of place vs per row, \(tag)")
                    #expect(inPlace[0] == guardValue && inPlace[(n + 1)...].allSatisfy { $0 == guardValue }, "in place guards, \(tag)")
                    #expect(outOfPlace[0] == guardValue && outOfPlace[(n + 1)...].allSatisfy { $0 == guardValue }, "guards, \(tag)")
                    for r in 0..<rows where cols > 2 { #expect(perRow[r * cols + cols - 1] == 0, "masked key, \(tag)") }
                }
            }
        }
    }

    @Test func softmaxStableForHugeInputs() {
        let pool = BufferPool()
        defer { pool.free() }
        let cols = 37
        var x = [Float](repeating: -1e4, count: 2 * cols)
        x[5] = 1e4
        for j in cols..<(2 * cols) { x[j] = 1e4 }  // second row: all equal and huge → uniform
        for ctx in testContexts {
            let y = pool.filled(x.count)
            softmaxRowsForward(ctx, x: pool.ro(x), y: y, rows: 2, cols: cols)
            #expect(y.allSatisfy { $0.isFinite })
            #expect(y[5] == 1 && (0..<cols).filter { $0 != 5 }.allSatisfy { y[$0] == 0 })
            for j in cols..<(2 * cols) { #expect(abs(y[j] - 1 / Float(cols)) <= 4 * unitRoundoff) }
        }
    }

    /// LayerNorm: mean and variance are length-cols sums (≤ cols·u relative each), rstd adds a
    /// few ulp, so |y − ref| ≤ (cols + 16)·u·(|x̂·γ| + |β|) with x̂ bounded by √cols; we scale by
    /// (|ref| + |β| + |γ|·√cols). Backward: two more length-cols reductions of the same kind.
    @Test func layerNormMatchesReference() {
        let pool = BufferPool()
        defer { pool.free() }
        for (rows, cols) in rowShapes where cols > 1 {
            let x = randomArray(rows * cols, seed: UInt64(cols)).map { $0 * 3 + 0.5 }
            let gamma = randomArray(cols, seed: 2), beta = randomArray(cols, seed: 3)
            let dy = randomArray(rows * cols, seed: 4)
            let yRef = pool.filled(x.count), mRef = pool.filled(rows), rRef = pool.filled(rows)
            let dxRef = pool.filled(x.count), dgRef = pool.filled(cols), dbRef = pool.filled(cols)
            layerNormForwardReference(x: pool.ro(x), gamma: pool.ro(gamma), beta: pool.ro(beta), y: yRef, mean: mRef,
                                      rstd: rRef, rows: rows, cols: cols, epsilon: 1e-5)
            layerNormBackwardReference(x: pool.ro(x), outputGradient: pool.ro(dy), gamma: pool.ro(gamma),
                                       mean: UnsafeBufferPointer(mRef), rstd: UnsafeBufferPointer(rRef), inputGradient: dxRef,
                                       gammaGradient: dgRef, betaGradient: dbRef, rows: rows, cols: cols)
            let tol = Float(cols + 16) * unitRoundoff
            let root = Float(cols).squareRoot()
            for ctx in testContexts {
                let (y, m, r, dx, dg, db) = layerNormPasses(ctx, pool: pool, x: x, gamma: gamma, beta: beta, dy: dy,
                                                            rows: rows, cols: cols,
                                                            statistics: (UnsafeBufferPointer(mRef), UnsafeBufferPointer(rRef)))
                let tag = "\(rows)x\(cols) \(ctx.backend) t\(ctx.threads)"
                for i in 0..<x.count {
                    let j = i % cols
                    let s = abs(yRef[i]) + abs(beta[j]) + abs(gamma[j]) * root
                    #expect(abs(y[i] - yRef[i]) <= tol * s, "y \(tag) [\(i)]")
                    // dx = rstd·(g − mean(g) − x̂·mean(g·x̂)): scale by rstd·(|g| + mean|g| + |x̂|·mean|g·x̂|) ≤ rstd·|γ|·(…)
                    let sdx = rRef[i / cols] * (abs(dy[i] * gamma[j]) + 1) * root * 2
                    #expect(abs(dx[i] - dxRef[i]) <= tol * sdx, "dx \(tag) [\(i)]")
                }
                for i in 0..<rows {
                    #expect(abs(m[i] - mRef[i]) <= tol * 4, "mean \(tag)")
                    #expect(abs(r[i] - rRef[i]) <= tol * rRef[i] * 4, "rstd \(tag)")
                }
                for j in 0..<cols {
                    // Σ over rows of dy·x̂ (|x̂| ≤ √cols): rows-term sums, added as 64-row block partials.
                    let t = Float(rows + 8) * unitRoundoff * Float(rows) * root
                    #expect(abs(dg[j] - dgRef[j]) <= t && abs(db[j] - dbRef[j]) <= t, "dgamma/dbeta \(tag)")
                }
            }
        }
    }

    /// LayerNorm's dgamma/dbeta are sums over rows; they are summed in fixed blocks of 64 rows
    /// (`layerNormGradientBlockRows`) added in block order, so every thread count gives the same
    /// bits as one thread (rows 300: 5 blocks, the last one short; rows 129 × 128: 3 blocks).
    @Test func layerNormGradientsDoNotDependOnThreadCount() {
        let pool = BufferPool()
        defer { pool.free() }
        for (rows, cols) in [(300, 40), (129, 128), (64, 9)] {
            let x = randomArray(rows * cols, seed: UInt64(rows)).map { $0 * 3 + 0.5 }
            let gamma = randomArray(cols, seed: 2), beta = randomArray(cols, seed: 3)
            let dy = randomArray(rows * cols, seed: 4)
            for backend in testBackends {
                var results: [(dx: [Float], dg: [Float], db: [Float])] = []
                for ctx in testContexts where ctx.backend == backend {
                    let p = layerNormPasses(ctx, pool: pool, x: x, gamma: gamma, beta: beta, dy: dy, rows: rows, cols: cols)
                    results.append((Array(p.dx), Array(p.dg), Array(p.db)))
                }
                for (i, result) in results.enumerated().dropFirst() {
                    let tag = "\(rows)x\(cols) \(backend) context \(i)"
                    #expect(result.dg == results[0].dg, "dgamma \(tag)")
                    #expect(result.db == results[0].db, "dbeta \(tag)")
                    #expect(result.dx == results[0].dx, "dx \(tag)")
                }
            }
        }
    }

    /// GELU: erf from A&S 7.1.26 has absolute error ≤ 1.5e-7, so y = 0.5·x·(1 + erf) errs by
    /// ≤ 0.5·|x|·2e-7 plus a few ulp of y; the derivative adds x·φ(x) with exp within 2 ulp.
    /// Tolerance 4e-7·(1 + |x|) + 4u·|ref|, over x in [-8, 8] (covering both tails).
    @Test func geluMatchesReference() {
        let pool = BufferPool()
        defer { pool.free() }
        for count in [1, 7, 16, 33, 1000, 9001] {
            let x = randomArray(count, seed: UInt64(count)).map { $0 * 8 }
            let dy = randomArray(count, seed: 7)
            let yRef = pool.filled(count), dxRef = pool.filled(count)
            geluForwardReference(x: pool.ro(x), y: yRef)
            geluBackwardReference(x: pool.ro(x), outputGradient: pool.ro(dy), inputGradient: dxRef)
            for ctx in testContexts {
                let y = pool.filled(count), dx = pool.filled(count)
                geluForward(ctx, x: pool.ro(x), y: y)
                geluBackward(ctx, x: pool.ro(x), outputGradient: pool.ro(dy), inputGradient: dx)
                for i in 0..<count {
                    let tol = 4e-7 * (1 + abs(x[i]))
                    #expect(abs(y[i] - yRef[i]) <= tol + 4 * unitRoundoff * abs(yRef[i]), "gelu \(ctx.backend) x=\(x[i])")
                    #expect(abs(dx[i] - dxRef[i]) <= tol * abs(dy[i]) + 4 * unitRoundoff * abs(dxRef[i]) + 1e-9,
                            "gelu bwd \(ctx.backend) x=\(x[i])")
                }
            }
        }
    }

    @Test func vectorCopyCopies() {
        let pool = BufferPool()
        defer { pool.free() }
        let x = randomArray(100_003, seed: 1)
        let y = pool.filled(x.count)
        let yRef = pool.filled(x.count)
        vectorCopy(from: pool.ro(x), to: y)
        vectorCopyReference(from: pool.ro(x), to: yRef)
        #expect(Array(y) == x && Array(yRef) == x)
    }
}

/// One `layerNormForward` and `layerNormBackward` on `ctx` (buffers from `pool`, ε = 1e-5); the
/// backward pass reads `statistics` (mean, rstd) when given, else the forward pass's own.
private func layerNormPasses(_ ctx: KernelContext, pool: BufferPool, x: [Float], gamma: [Float], beta: [Float], dy: [Float],
                             rows: Int, cols: Int,
                             statistics: (mean: UnsafeBufferPointer<Float>, rstd: UnsafeBufferPointer<Float>)? = nil)
    -> (y: UnsafeMutableBufferPointer<Float>, mean: UnsafeMutableBufferPointer<Float>, rstd: UnsafeMutableBufferPointer<Float>,
        dx: UnsafeMutableBufferPointer<Float>, dg: UnsafeMutableBufferPointer<Float>, db: UnsafeMutableBufferPointer<Float>) {
    let y = pool.filled(x.count), m = pool.filled(rows), r = pool.filled(rows)
    let dx = pool.filled(x.count), dg = pool.filled(cols), db = pool.filled(cols)
    layerNormForward(ctx, x: pool.ro(x), gamma: pool.ro(gamma), beta: pool.ro(beta), y: y, mean: m, rstd: r,
                     rows: rows, cols: cols, epsilon: 1e-5)
    let (mean, rstd) = statistics ?? (UnsafeBufferPointer(m), UnsafeBufferPointer(r))
    layerNormBackward(ctx, x: pool.ro(x), outputGradient: pool.ro(dy), gamma: pool.ro(gamma), mean: mean, rstd: rstd,
                      inputGradient: dx, gammaGradient: dg, betaGradient: db, rows: rows, cols: cols)
    return (y, m, r, dx, dg, db)
}
