import Testing
@testable import TLKernels

/// The fused training-mode BatchNorm (+ clamp) kernels against their naive Double twins.
@Suite struct BatchNormTrainingTests {
    /// Rows that do not fill the Float blocks or the thread split evenly; a mean far from 0
    /// (the shifted sums must not lose the variance); no clamp and a ReLU6-like clamp that cuts.
    @Test(arguments: [(70, 19, Float(5)), (3, 32, Float(-40)), (257, 7, Float(0.25))])
    func fastMatchesReference(_ rows: Int, _ cols: Int, _ offset: Float) {
        let pool = BufferPool()
        defer { pool.free() }
        let x = pool.copy(randomArray(rows * cols, seed: 11).map { $0 * 3 + offset })
        let w = pool.copy(randomArray(cols, seed: 12).map { $0 + 1.5 }), b = pool.copy(randomArray(cols, seed: 13))
        let dy = pool.copy(randomArray(rows * cols, seed: 14))
        for (lower, upper) in [(-Float.infinity, Float.infinity), (Float(0), Float(0.75))] {
            let yRef = pool.filled(rows * cols), meanRef = pool.filled(cols), varRef = pool.filled(cols)
            let dxRef = pool.filled(rows * cols), dwRef = pool.filled(cols), dbRef = pool.filled(cols)
            batchNormTrainingReference(x: x.baseAddress!, weight: w.baseAddress!, bias: b.baseAddress!, epsilon: 1e-3, lower: lower,
                                       upper: upper, rows: rows, cols: cols, y: yRef.baseAddress!, mean: meanRef.baseAddress!,
                                       variance: varRef.baseAddress!)
            batchNormTrainingBackwardReference(x: x.baseAddress!, dy: dy.baseAddress!, weight: w.baseAddress!, bias: b.baseAddress!,
                                               epsilon: 1e-3, lower: lower, upper: upper, rows: rows, cols: cols, dx: dxRef.baseAddress!,
                                               dweight: dwRef.baseAddress!, dbias: dbRef.baseAddress!)
            for ctx in testContexts {
                let mean = pool.filled(cols), variance = pool.filled(cols), rstd = pool.filled(cols), y = pool.filled(rows * cols)
                let dx = pool.filled(rows * cols), dw = pool.filled(cols), db = pool.filled(cols)
                batchNormStatistics(ctx, x: x.baseAddress!, rows: rows, cols: cols, epsilon: 1e-3, mean: mean.baseAddress!,
                                    variance: variance.baseAddress!, rstd: rstd.baseAddress!)
                batchNormTrainingApply(ctx, x: x.baseAddress!, mean: mean.baseAddress!, rstd: rstd.baseAddress!, weight: w.baseAddress!,
                                       bias: b.baseAddress!, lower: lower, upper: upper, rows: rows, cols: cols, y: y.baseAddress!)
                batchNormTrainingBackward(ctx, x: x.baseAddress!, dy: dy.baseAddress!, mean: mean.baseAddress!, rstd: rstd.baseAddress!,
                                          weight: w.baseAddress!, bias: b.baseAddress!, lower: lower, upper: upper, rows: rows, cols: cols,
                                          dx: dx.baseAddress!, dweight: dw.baseAddress!, dbias: db.baseAddress!)
                let tag = "rows \(rows) cols \(cols) clamp \(upper) t\(ctx.threads)"
                // Values of magnitude ≲ 10 after a few dozen roundings; sums over `rows` terms.
                let tol: Float = 64 * 16 * unitRoundoff, sumTol = Float(rows) * tol
                #expect(zip(mean, meanRef).allSatisfy { abs($0 - $1) <= tol * (1 + abs(offset)) }, "mean \(tag)")
                #expect(zip(variance, varRef).allSatisfy { abs($0 - $1) <= tol * $1 * (1 + abs(offset)) }, "variance \(tag)")
                #expect(zip(y, yRef).map { abs($0 - $1) }.max()! <= tol * (1 + abs(offset)), "forward \(tag)")
                #expect(y.allSatisfy { $0 >= lower && $0 <= upper }, "clamp \(tag)")
                #expect(zip(dx, dxRef).map { abs($0 - $1) }.max()! <= tol * (1 + abs(offset)), "dx \(tag)")
                #expect(zip(dw, dwRef).map { abs($0 - $1) }.max()! <= sumTol, "dweight \(tag)")
                #expect(zip(db, dbRef).map { abs($0 - $1) }.max()! <= sumTol, "dbias \(tag)")
            }
        }
    }

    /// A ResNet-sized column (64 × 28 × 28 rows, 16 channels, mean far from 0) on every backend
    /// and thread split: the Float-block / Double sums stay within a few dozen roundings of the
    /// Double twin, relative to the sum of the terms' magnitudes (a single Float chain over
    /// 50k rows may drift by up to rows · u of it).
    @Test func longColumnsMatchDoubleTwin() {
        let rows = 64 * 28 * 28, cols = 16
        let pool = BufferPool()
        defer { pool.free() }
        let x = pool.copy(randomArray(rows * cols, seed: 21).map { $0 * 2 + 3 })
        let dy = pool.copy(randomArray(rows * cols, seed: 22))
        let w = pool.copy(randomArray(cols, seed: 23).map { $0 + 1.5 }), b = pool.copy(randomArray(cols, seed: 24))
        let yRef = pool.filled(rows * cols), meanRef = pool.filled(cols), varRef = pool.filled(cols)
        let dxRef = pool.filled(rows * cols), dwRef = pool.filled(cols), dbRef = pool.filled(cols)
        batchNormTrainingReference(x: x.baseAddress!, weight: w.baseAddress!, bias: b.baseAddress!, epsilon: 1e-5, lower: 0,
                                   upper: .infinity, rows: rows, cols: cols, y: yRef.baseAddress!, mean: meanRef.baseAddress!,
                                   variance: varRef.baseAddress!)
        batchNormTrainingBackwardReference(x: x.baseAddress!, dy: dy.baseAddress!, weight: w.baseAddress!, bias: b.baseAddress!,
                                           epsilon: 1e-5, lower: 0, upper: .infinity, rows: rows, cols: cols, dx: dxRef.baseAddress!,
                                           dweight: dwRef.baseAddress!, dbias: dbRef.baseAddress!)
        // Σ|dy| and Σ|dy · x̂| bound both gradient sums' terms (x̂ ≲ 2 here).
        var magnitude = [Float](repeating: 0, count: cols)
        for i in 0..<rows { for j in 0..<cols { magnitude[j] += abs(dy[i * cols + j]) * 2 } }
        for ctx in testContexts {
            let mean = pool.filled(cols), variance = pool.filled(cols), rstd = pool.filled(cols), y = pool.filled(rows * cols)
            let dx = pool.filled(rows * cols), dw = pool.filled(cols), db = pool.filled(cols)
            batchNormStatistics(ctx, x: x.baseAddress!, rows: rows, cols: cols, epsilon: 1e-5, mean: mean.baseAddress!,
                                variance: variance.baseAddress!, rstd: rstd.baseAddress!)
            batchNormTrainingApply(ctx, x: x.baseAddress!, mean: mean.baseAddress!, rstd: rstd.baseAddress!, weight: w.baseAddress!,
                                   bias: b.baseAddress!, lower: 0, upper: .infinity, rows: rows, cols: cols, y: y.baseAddress!)
            batchNormTrainingBackward(ctx, x: x.baseAddress!, dy: dy.baseAddress!, mean: mean.baseAddress!, rstd: rstd.baseAddress!,
                                      weight: w.baseAddress!, bias: b.baseAddress!, lower: 0, upper: .infinity, rows: rows, cols: cols,
                                      dx: dx.baseAddress!, dweight: dw.baseAddress!, dbias: db.baseAddress!)
            let tag = "\(ctx.backend) t\(ctx.threads)"
            let tol = 64 * unitRoundoff
            #expect(zip(mean, meanRef).allSatisfy { abs($0 - $1) <= tol * 4 }, "mean \(tag)")
            #expect(zip(variance, varRef).allSatisfy { abs($0 - $1) <= tol * $1 }, "variance \(tag)")
            #expect(zip(y, yRef).map { abs($0 - $1) }.max()! <= tol * 8, "forward \(tag)")
            for j in 0..<cols {
                #expect(abs(dw[j] - dwRef[j]) <= tol * magnitude[j], "dweight[\(j)] \(tag): \(dw[j]) vs \(dwRef[j])")
                #expect(abs(db[j] - dbRef[j]) <= tol * magnitude[j], "dbias[\(j)] \(tag): \(db[j]) vs \(dbRef[j])")
            }
            #expect(zip(dx, dxRef).map { abs($0 - $1) }.max()! <= tol * 8, "dx \(tag)")
        }
    }
}
