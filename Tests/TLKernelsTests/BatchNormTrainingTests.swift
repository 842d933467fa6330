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
}
