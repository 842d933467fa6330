// BatchNorm with batch statistics (training mode), optionally followed by a clamp (ReLU6),
// as fused passes over a channels-last activation x [rows, cols] (rows = N·H·W, cols = C):
//
//     forward:  2 passes (statistics; then y = clamp(x · scale + shift, lower, upper))
//               instead of the composite's mean, x − mean, square, mean, divide, scale, shift, clamp
//     backward: 2 passes (Σ dz and Σ dz · x̂ per channel; then dx), with dz = dy where the
//               clamp passed its input (lower ≤ z ≤ upper, z recomputed from x) and 0 elsewhere
//
// Sums are taken in Float over blocks of rows and added in Double, per thread, then combined
// in thread order (deterministic for a thread count). Every pass is memory-bound and splits
// across threads from ~125k elements (`memoryBoundWeight`, ParallelChunks.swift). The naive twin is in
// BatchNormTrainingReference.swift.

/// Rows summed in Float before their partial sums are added in Double.
private let statisticsBlock = 32

/// Eight channels at a time (this module is compiled for any x86-64: two SSE registers;
/// explicit vectors because the compiler cannot vectorise through possibly aliasing pointers).
private typealias V8 = SIMD8<Float>
@inline(__always) private func load8(_ p: UnsafePointer<Float>) -> V8 { UnsafeRawPointer(p).loadUnaligned(as: V8.self) }
@inline(__always) private func store8(_ v: V8, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V8.self) }
/// dy where lower ≤ z ≤ upper (the clamp passed its input), else 0.
@inline(__always) private func passed(_ z: V8, _ g: V8, _ lower: Float, _ upper: Float) -> V8 {
    V8(repeating: 0).replacing(with: g, where: (z .>= V8(repeating: lower)) .& (z .<= V8(repeating: upper)))
}

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
    parallelFor(threads) { t in
        let r = chunkRange(t, parts: threads, units: rows)
        let ds = partial + t * 2 * cols, dq = ds + cols
        var row = r.lowerBound
        while row < r.upperBound {
            let end = min(r.upperBound, row + statisticsBlock)
            // Channel groups outer, the block's rows inner: the sums stay in registers.
            var j = 0
            while j + 8 <= cols {
                let k = load8(x + j)
                var sv = V8(), qv = V8()
                for i in row..<end {
                    let d = load8(x + i * cols + j) - k
                    sv += d
                    qv += d * d
                }
                for l in 0..<8 { ds[j + l] += Double(sv[l]); dq[j + l] += Double(qv[l]) }
                j += 8
            }
            while j < cols {
                var sj: Float = 0, qj: Float = 0
                for i in row..<end { let d = x[i * cols + j] - x[j]; sj += d; qj += d * d }
                ds[j] += Double(sj); dq[j] += Double(qj)
                j += 1
            }
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
    parallelRows(ctx, rows: rows, cols: cols, costPerElement: memoryBoundWeight) { range in
        for i in range {
            let xr = x + i * cols, o = y + i * cols
            let lo = V8(repeating: lower), hi = V8(repeating: upper)
            var j = 0
            while j + 8 <= cols {
                // Compare-and-select (the stdlib's generic SIMD min/max is an out-of-line call).
                var v = load8(xr + j) * load8(scale + j) + load8(shift + j)
                v.replace(with: lo, where: v .< lo)
                v.replace(with: hi, where: v .> hi)
                store8(v, o + j)
                j += 8
            }
            while j < cols { o[j] = min(max(xr[j] * scale[j] + shift[j], lower), upper); j += 1 }
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
    let threads = ctx.threadsFor(work: rows * cols * memoryBoundWeight, maxChunks: rows)
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
        let ds = partial + t * 2 * cols, dq = ds + cols
        var row = r.lowerBound
        while row < r.upperBound {
            let end = min(r.upperBound, row + statisticsBlock)
            var j = 0
            while j + 8 <= cols {
                let sc = load8(scale + j), sh = load8(shift + j), m = load8(mean + j), rs = load8(rstd + j)
                var sv = V8(), qv = V8()
                for i in row..<end {
                    let xv = load8(x + i * cols + j)
                    let dz = passed(xv * sc + sh, load8(dy + i * cols + j), lower, upper)
                    sv += dz
                    qv += dz * ((xv - m) * rs)
                }
                for l in 0..<8 { ds[j + l] += Double(sv[l]); dq[j + l] += Double(qv[l]) }
                j += 8
            }
            while j < cols {
                var sj: Float = 0, qj: Float = 0
                for i in row..<end {
                    let xv = x[i * cols + j]
                    let z = xv * scale[j] + shift[j]
                    let dz = z >= lower && z <= upper ? dy[i * cols + j] : 0
                    sj += dz
                    qj += dz * ((xv - mean[j]) * rstd[j])
                }
                ds[j] += Double(sj); dq[j] += Double(qj)
                j += 1
            }
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
    parallelRows(ctx, rows: rows, cols: cols, costPerElement: memoryBoundWeight) { range in
        for i in range {
            let xr = x + i * cols, g = dy + i * cols, o = dx + i * cols
            var j = 0
            while j + 8 <= cols {
                let xv = load8(xr + j), sc = load8(scale + j)
                let dz = passed(xv * sc + load8(shift + j), load8(g + j), lower, upper)
                let xhat = (xv - load8(mean + j)) * load8(rstd + j)
                store8(sc * (dz - load8(a + j) - xhat * load8(b + j)), o + j)
                j += 8
            }
            while j < cols {
                let z = xr[j] * scale[j] + shift[j]
                let dz = z >= lower && z <= upper ? g[j] : 0
                let xhat = (xr[j] - mean[j]) * rstd[j]
                o[j] = scale[j] * (dz - a[j] - xhat * b[j])
                j += 1
            }
        }
    }
}
