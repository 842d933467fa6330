// Naive twin of the fused training-mode BatchNorm (+ clamp) in BatchNormTraining.swift:
// direct per-channel loops in Double, two-pass variance, no blocking, no threads.

/// Reference forward: y = clamp((x − mean) / √(var + ε) · weight + bias, lower, upper) with
/// the batch mean and biased variance; also returns them. x, y: [rows, cols].
public func batchNormTrainingReference(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                       epsilon: Float, lower: Float, upper: Float, rows: Int, cols: Int,
                                       y: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
                                       variance: UnsafeMutablePointer<Float>) {
    for j in 0..<cols {
        var m = 0.0
        for i in 0..<rows { m += Double(x[i * cols + j]) }
        m /= Double(rows)
        var v = 0.0
        for i in 0..<rows { let d = Double(x[i * cols + j]) - m; v += d * d }
        v /= Double(rows)
        let r = 1 / (v + Double(epsilon)).squareRoot()
        for i in 0..<rows {
            let z = (Double(x[i * cols + j]) - m) * r * Double(weight[j]) + Double(bias[j])
            y[i * cols + j] = Float(min(max(z, Double(lower)), Double(upper)))
        }
        mean[j] = Float(m)
        variance[j] = Float(v)
    }
}

/// Reference backward of `batchNormTrainingReference` (statistics differentiated; the clamp
/// passes the gradient where its input lies in [lower, upper]).
public func batchNormTrainingBackwardReference(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                               bias: UnsafePointer<Float>, epsilon: Float, lower: Float, upper: Float,
                                               rows: Int, cols: Int, dx: UnsafeMutablePointer<Float>,
                                               dweight: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>) {
    for j in 0..<cols {
        var m = 0.0
        for i in 0..<rows { m += Double(x[i * cols + j]) }
        m /= Double(rows)
        var v = 0.0
        for i in 0..<rows { let d = Double(x[i * cols + j]) - m; v += d * d }
        v /= Double(rows)
        let r = 1 / (v + Double(epsilon)).squareRoot()
        var dzs = [Double](repeating: 0, count: rows), xhat = [Double](repeating: 0, count: rows)
        var sum = 0.0, dot = 0.0
        for i in 0..<rows {
            xhat[i] = (Double(x[i * cols + j]) - m) * r
            let z = xhat[i] * Double(weight[j]) + Double(bias[j])
            dzs[i] = z >= Double(lower) && z <= Double(upper) ? Double(dy[i * cols + j]) : 0
            sum += dzs[i]
            dot += dzs[i] * xhat[i]
        }
        dbias[j] = Float(sum)
        dweight[j] = Float(dot)
        let n = Double(rows)
        for i in 0..<rows { dx[i * cols + j] = Float(Double(weight[j]) * r * (dzs[i] - sum / n - xhat[i] * dot / n)) }
    }
}
