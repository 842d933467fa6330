// BatchNorm with batch statistics (training mode), optionally followed by a clamp (ReLU6),
// as fused passes over a channels-last activation x [rows, cols] (rows = N·H·W, cols = C):
//
//     forward:  2 passes (statistics; then y = clamp(x · scale + shift, lower, upper))
//               instead of the composite's mean, x − mean, square, mean, divide, scale, shift, clamp
//     backward: 2 passes (Σ dz and Σ dz · x̂ per channel; then dx), with dz = dy where the
//               clamp passed its input (lower ≤ z ≤ upper, z recomputed from x) and 0 elsewhere
//
// Sums are taken in Float over blocks of rows and added in Double, per thread, then combined
// in thread order (deterministic for a thread count). The naive twin is in
// BatchNormTrainingReference.swift.

/// Rows summed in Float before their partial sums are added in Double.
private let statisticsBlock = 32

/// Per-channel batch mean, biased variance and 1/√(variance + ε) of x [rows, cols]. The sums
/// are taken around the first row's values (shifted data), so a large mean costs no precision.
public func batchNormStatistics(x: UnsafePointer<Float>, rows: Int, cols: Int, epsilon: Float,
                                mean: UnsafeMutablePointer<Float>, variance: UnsafeMutablePointer<Float>,
                                rstd: UnsafeMutablePointer<Float>) {
    batchNormStatistics(.current, x: x, rows: rows, cols: cols, epsilon: epsilon, mean: mean, variance: variance, rstd: rstd)
}

func batchNormStatistics(_ ctx: KernelContext, x: UnsafePointer<Float>, rows: Int, cols: Int, epsilon: Float,
                         mean: UnsafeMutablePointer<Float>, variance: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>) {
    precondition(rows > 0 && cols > 0, "batchNormStatistics: empty input")
    let threads = ctx.threadsFor(work: rows * cols * 3, maxChunks: rows)
    let partial = UnsafeMutablePointer<Double>.allocate(capacity: threads * 2 * cols)
    defer { partial.deallocate() }
    partial.initialize(repeating: 0, count: threads * 2 * cols)
    parallelFor(threads) { t in
        let r = chunkRange(t, parts: threads, units: rows)
        let s = UnsafeMutablePointer<Float>.allocate(capacity: 2 * cols)
        defer { s.deallocate() }
        let q = s + cols, ds = partial + t * 2 * cols, dq = ds + cols
        var row = r.lowerBound
        while row < r.upperBound {
            let end = min(r.upperBound, row + statisticsBlock)
            s.initialize(repeating: 0, count: 2 * cols)
            for i in row..<end {
                let xr = x + i * cols
                for j in 0..<cols {
                    let d = xr[j] - x[j]
                    s[j] += d
                    q[j] += d * d
                }
            }
            for j in 0..<cols { ds[j] += Double(s[j]); dq[j] += Double(q[j]) }
            row = end
        }
    }
    for j in 0..<cols {
        var sum = 0.0, squares = 0.0
        for t in 0..<threads { sum += partial[t * 2 * cols + j]; squares += partial[t * 2 * cols + cols + j] }
        let m = sum / Double(rows)
        let v = max(0, squares / Double(rows) - m * m)
        mean[j] = Float(Double(x[j]) + m)
        variance[j] = Float(v)
        rstd[j] = Float(1 / (v + Double(epsilon)).squareRoot())
    }
}

/// y = clamp(x · scale + shift, lower, upper) with scale = weight · rstd, shift = bias − mean · scale
/// (the forward pass after `batchNormStatistics`). x, y: [rows, cols]; the rest: [cols].
public func batchNormTrainingApply(x: UnsafePointer<Float>, mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                                   weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, lower: Float, upper: Float,
                                   rows: Int, cols: Int, y: UnsafeMutablePointer<Float>) {
    batchNormTrainingApply(.current, x: x, mean: mean, rstd: rstd, weight: weight, bias: bias, lower: lower, upper: upper,
                           rows: rows, cols: cols, y: y)
}

func batchNormTrainingApply(_ ctx: KernelContext, x: UnsafePointer<Float>, mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                            weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, lower: Float, upper: Float,
                            rows: Int, cols: Int, y: UnsafeMutablePointer<Float>) {
    let scale = UnsafeMutablePointer<Float>.allocate(capacity: 2 * cols)
    defer { scale.deallocate() }
    let shift = scale + cols
    for j in 0..<cols { scale[j] = weight[j] * rstd[j]; shift[j] = bias[j] - mean[j] * scale[j] }
    parallelRows(ctx, rows: rows, cols: cols, costPerElement: 2) { range in
        for i in range {
            let xr = x + i * cols, o = y + i * cols
            for j in 0..<cols { o[j] = min(max(xr[j] * scale[j] + shift[j], lower), upper) }
        }
    }
}

/// Gradients of `batchNormTrainingApply` ∘ `batchNormStatistics` (the batch statistics are
/// differentiated too): with x̂ = (x − mean) · rstd and dz the upstream gradient where the clamp
/// passed its input,
///
///     dbias = Σ dz,   dweight = Σ dz · x̂,   dx = weight · rstd · (dz − dbias / N − x̂ · dweight / N)
///
/// x, dy, dx: [rows, cols]; mean, rstd, weight, bias, dweight, dbias: [cols] (all overwritten).
public func batchNormTrainingBackward(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, mean: UnsafePointer<Float>,
                                      rstd: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                      lower: Float, upper: Float, rows: Int, cols: Int, dx: UnsafeMutablePointer<Float>,
                                      dweight: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>) {
    batchNormTrainingBackward(.current, x: x, dy: dy, mean: mean, rstd: rstd, weight: weight, bias: bias, lower: lower, upper: upper,
                              rows: rows, cols: cols, dx: dx, dweight: dweight, dbias: dbias)
}

func batchNormTrainingBackward(_ ctx: KernelContext, x: UnsafePointer<Float>, dy: UnsafePointer<Float>, mean: UnsafePointer<Float>,
                               rstd: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                               lower: Float, upper: Float, rows: Int, cols: Int, dx: UnsafeMutablePointer<Float>,
                               dweight: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>) {
    precondition(rows > 0 && cols > 0, "batchNormTrainingBackward: empty input")
    let threads = ctx.threadsFor(work: rows * cols * 4, maxChunks: rows)
    let scale = UnsafeMutablePointer<Float>.allocate(capacity: 4 * cols)
    defer { scale.deallocate() }
    // The forward pass's scale and shift (the clamp mask is recomputed exactly as it was applied).
    let shift = scale + cols, a = shift + cols, b = a + cols
    for j in 0..<cols { scale[j] = weight[j] * rstd[j]; shift[j] = bias[j] - mean[j] * scale[j] }
    let partial = UnsafeMutablePointer<Double>.allocate(capacity: threads * 2 * cols)
    defer { partial.deallocate() }
    partial.initialize(repeating: 0, count: threads * 2 * cols)
    parallelFor(threads) { t in
        let r = chunkRange(t, parts: threads, units: rows)
        let s = UnsafeMutablePointer<Float>.allocate(capacity: 2 * cols)
        defer { s.deallocate() }
        let q = s + cols, ds = partial + t * 2 * cols, dq = ds + cols
        var row = r.lowerBound
        while row < r.upperBound {
            let end = min(r.upperBound, row + statisticsBlock)
            s.initialize(repeating: 0, count: 2 * cols)
            for i in row..<end {
                let xr = x + i * cols, g = dy + i * cols
                for j in 0..<cols {
                    let z = xr[j] * scale[j] + shift[j]
                    let dz = z >= lower && z <= upper ? g[j] : 0
                    s[j] += dz
                    q[j] += dz * ((xr[j] - mean[j]) * rstd[j])
                }
            }
            for j in 0..<cols { ds[j] += Double(s[j]); dq[j] += Double(q[j]) }
            row = end
        }
    }
    for j in 0..<cols {
        var sum = 0.0, dot = 0.0
        for t in 0..<threads { sum += partial[t * 2 * cols + j]; dot += partial[t * 2 * cols + cols + j] }
        dbias[j] = Float(sum)
        dweight[j] = Float(dot)
        a[j] = Float(sum / Double(rows))
        b[j] = Float(dot / Double(rows))
    }
    parallelRows(ctx, rows: rows, cols: cols, costPerElement: 4) { range in
        for i in range {
            let xr = x + i * cols, g = dy + i * cols, o = dx + i * cols
            for j in 0..<cols {
                let z = xr[j] * scale[j] + shift[j]
                let dz = z >= lower && z <= upper ? g[j] : 0
                let xhat = (xr[j] - mean[j]) * rstd[j]
                o[j] = scale[j] * (dz - a[j] - xhat * b[j])
            }
        }
    }
}
