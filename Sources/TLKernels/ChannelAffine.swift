// Per-channel affine map with optional residual and clamp, one pass (inference: BatchNorm
// with running statistics folded into scale and shift, fused with ReLU6 or a skip addition).
//
//     x, residual, out: [rows, cols]   scale, shift: [cols]
//     out = clamp(x · scale + shift (+ residual), lower, upper)

/// Threaded over rows, through the backend's kernel table; `out` may alias `x`.
public func channelAffineClamp(x: UnsafePointer<Float>, scale: UnsafePointer<Float>, shift: UnsafePointer<Float>,
                               residual: UnsafePointer<Float>?, lower: Float, upper: Float, rows: Int, cols: Int,
                               out: UnsafeMutablePointer<Float>) {
    let ctx = KernelContext.current
    let kernel = ctx.backend.kernels.channelAffineRows
    parallelRows(ctx, rows: rows, cols: cols, costPerElement: 2) { range in
        kernel(x, scale, shift, residual, lower, upper, cols, range, out)
    }
}

/// Naive twin of `channelAffineClamp` (Double arithmetic, one rounding).
public func channelAffineClampReference(x: UnsafePointer<Float>, scale: UnsafePointer<Float>, shift: UnsafePointer<Float>,
                                        residual: UnsafePointer<Float>?, lower: Float, upper: Float, rows: Int, cols: Int,
                                        out: UnsafeMutablePointer<Float>) {
    for row in 0..<rows {
        for j in 0..<cols {
            let i = row * cols + j
            let v = Double(x[i]) * Double(scale[j]) + Double(shift[j]) + (residual.map { Double($0[i]) } ?? 0)
            out[i] = Float(min(max(v, Double(lower)), Double(upper)))
        }
    }
}

/// BatchNorm with running statistics, one pass, rounding exactly like the composite
/// ((x − mean) / std) · weight + bias evaluated op by op (so frozen and trainable eval-mode
/// BatchNorm give bit-identical outputs). x, out: [rows, cols]; the rest: [cols].
public func batchNormInferenceRows(x: UnsafePointer<Float>, mean: UnsafePointer<Float>, std: UnsafePointer<Float>,
                                   weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, rows: Int, cols: Int,
                                   out: UnsafeMutablePointer<Float>) {
    let ctx = KernelContext.current
    parallelRows(ctx, rows: rows, cols: cols, costPerElement: 2) { range in
        for row in range {
            let xr = x + row * cols, o = out + row * cols
            for j in 0..<cols {
                let centered = xr[j] - mean[j]
                let normalized = centered / std[j]
                let scaled = normalized * weight[j]
                o[j] = scaled + bias[j]
            }
        }
    }
}
