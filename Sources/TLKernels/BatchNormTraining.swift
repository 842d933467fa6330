// BatchNorm with batch statistics (training mode), optionally followed by a clamp (ReLU6),
// as fused passes over a channels-last activation x [rows, cols] (rows = N·H·W, cols = C):
//
//     forward:  2 passes (statistics; then y = clamp(x · scale + shift, lower, upper))
//               instead of the composite's mean, x − mean, square, mean, divide, scale, shift, clamp
//     backward: 2 passes (Σ dz and Σ dz · x̂ per channel; then dx), with dz = dy where the
//               clamp passed its input (lower ≤ z ≤ upper, z recomputed from x) and 0 elsewhere
//
// The passes are the backend's (KernelTable.batchNorm, Sources/KernelsShared/BatchNormKernels.swift;
// the apply pass is `channelAffineRows`), 16 lanes on AVX-512. Sums are taken in Float over
// blocks of 32 rows and added in Double, per thread, then combined in thread order
// (deterministic for a thread count). Every pass is memory-bound and splits across threads
// from ~125k elements (`memoryBoundWeight`, ParallelChunks.swift). The naive twin is in
// BatchNormTrainingReference.swift.

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
    let threads = ctx.threadsFor(work: rows * cols * memoryBoundWeight, maxChunks: rows)
    let partial = UnsafeMutablePointer<Double>.allocate(capacity: threads * 2 * cols)
    defer { partial.deallocate() }
    partial.initialize(repeating: 0, count: threads * 2 * cols)
    let kernel = ctx.backend.kernels.batchNorm.statisticsSums
    parallelFor(threads) { t in
        let r = chunkRange(t, parts: threads, units: rows)
        if !r.isEmpty { kernel(x, cols, r, partial + t * 2 * cols) }
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
    batchNormScaleShift(mean: mean, rstd: rstd, weight: weight, bias: bias, cols: cols, scale: scale, shift: shift)
    let kernel = ctx.backend.kernels.channelAffineRows
    parallelRows(ctx, rows: rows, cols: cols, costPerElement: memoryBoundWeight) { range in
        kernel(x, scale, shift, nil, lower, upper, cols, range, y)
    }
}

/// scale = weight · rstd, shift = bias − mean · scale: the forward's per-channel affine map
/// (the backward recomputes the clamp mask from exactly these).
@inline(__always)
private func batchNormScaleShift(mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                 bias: UnsafePointer<Float>, cols: Int, scale: UnsafeMutablePointer<Float>,
                                 shift: UnsafeMutablePointer<Float>) {
    for j in 0..<cols { scale[j] = weight[j] * rstd[j]; shift[j] = bias[j] - mean[j] * scale[j] }
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
    let threads = ctx.threadsFor(work: rows * cols * memoryBoundWeight, maxChunks: rows)
    let scale = UnsafeMutablePointer<Float>.allocate(capacity: 4 * cols)
    defer { scale.deallocate() }
    // The forward pass's scale and shift (the clamp mask is recomputed exactly as it was applied).
    let shift = scale + cols, a = shift + cols, b = a + cols
    batchNormScaleShift(mean: mean, rstd: rstd, weight: weight, bias: bias, cols: cols, scale: scale, shift: shift)
    let partial = UnsafeMutablePointer<Double>.allocate(capacity: threads * 2 * cols)
    defer { partial.deallocate() }
    partial.initialize(repeating: 0, count: threads * 2 * cols)
    let kernels = ctx.backend.kernels.batchNorm
    parallelFor(threads) { t in
        let r = chunkRange(t, parts: threads, units: rows)
        if !r.isEmpty { kernels.backwardSums(x, dy, scale, shift, mean, rstd, lower, upper, cols, r, partial + t * 2 * cols) }
    }
    for j in 0..<cols {
        var sum = 0.0, dot = 0.0
        for t in 0..<threads { sum += partial[t * 2 * cols + j]; dot += partial[t * 2 * cols + cols + j] }
        dbias[j] = Float(sum)
        dweight[j] = Float(dot)
        a[j] = Float(sum / Double(rows))
        b[j] = Float(dot / Double(rows))
    }
    parallelRows(ctx, rows: rows, cols: cols, costPerElement: memoryBoundWeight) { range in
        kernels.backwardRows(x, dy, scale, shift, mean, rstd, a, b, lower, upper, cols, range, dx)
    }
}
