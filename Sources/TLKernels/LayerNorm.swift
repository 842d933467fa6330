import Foundation

// LayerNorm over the last axis of a row-major [rows, cols] buffer (transformer blocks).

/// y = (x − mean)/sqrt(var + epsilon)·gamma + beta per row (biased variance, as in BERT).
/// - x, y: [rows, cols]; gamma, beta: [cols]
/// - mean, rstd: [rows], written for the backward pass (rstd = 1/sqrt(var + epsilon)).
public func layerNormForward(x: UnsafeBufferPointer<Float>, gamma: UnsafeBufferPointer<Float>,
                             beta: UnsafeBufferPointer<Float>, y: UnsafeMutableBufferPointer<Float>,
                             mean: UnsafeMutableBufferPointer<Float>, rstd: UnsafeMutableBufferPointer<Float>,
                             rows: Int, cols: Int, epsilon: Float) {
    layerNormForward(.current, x: x, gamma: gamma, beta: beta, y: y, mean: mean, rstd: rstd,
                     rows: rows, cols: cols, epsilon: epsilon)
}

func layerNormForward(_ ctx: KernelContext, x: UnsafeBufferPointer<Float>, gamma: UnsafeBufferPointer<Float>,
                      beta: UnsafeBufferPointer<Float>, y: UnsafeMutableBufferPointer<Float>,
                      mean: UnsafeMutableBufferPointer<Float>, rstd: UnsafeMutableBufferPointer<Float>,
                      rows: Int, cols: Int, epsilon: Float) {
    guard rows > 0, cols > 0 else { return }
    precondition(x.count >= rows * cols && y.count >= rows * cols && gamma.count >= cols && beta.count >= cols
                 && mean.count >= rows && rstd.count >= rows, "layerNormForward: buffer too small")
    let xp = x.baseAddress!, gp = gamma.baseAddress!, bp = beta.baseAddress!, yp = y.baseAddress!
    let mp = mean.baseAddress!, rp = rstd.baseAddress!, k = ctx.backend.kernels
    // Cost 32 per element, as `addLayerNormForward`: at 8 a transformer's [2048, 128] embedding
    // LayerNorm (~0.2 ms on one core, Zen 1) ran serially while the other core waited.
    parallelRows(ctx, rows: rows, cols: cols, costPerElement: 32) { r in
        let o = r.lowerBound * cols
        k.layerNormRows(xp + o, gp, bp, yp + o, mp + r.lowerBound, rp + r.lowerBound, r.count, cols, epsilon)
    }
}

/// Gradients of `layerNormForward` given its saved mean and rstd.
/// - x, dy (outputGradient), dx (inputGradient): [rows, cols]; gamma: [cols]; mean, rstd: [rows]
/// - gammaGradient, betaGradient: [cols], overwritten with Σ_rows dy·x̂ and Σ_rows dy.
public func layerNormBackward(x: UnsafeBufferPointer<Float>, outputGradient dy: UnsafeBufferPointer<Float>,
                              gamma: UnsafeBufferPointer<Float>, mean: UnsafeBufferPointer<Float>,
                              rstd: UnsafeBufferPointer<Float>, inputGradient dx: UnsafeMutableBufferPointer<Float>,
                              gammaGradient: UnsafeMutableBufferPointer<Float>,
                              betaGradient: UnsafeMutableBufferPointer<Float>, rows: Int, cols: Int) {
    layerNormBackward(.current, x: x, outputGradient: dy, gamma: gamma, mean: mean, rstd: rstd, inputGradient: dx,
                      gammaGradient: gammaGradient, betaGradient: betaGradient, rows: rows, cols: cols)
}

func layerNormBackward(_ ctx: KernelContext, x: UnsafeBufferPointer<Float>, outputGradient dy: UnsafeBufferPointer<Float>,
                       gamma: UnsafeBufferPointer<Float>, mean: UnsafeBufferPointer<Float>,
                       rstd: UnsafeBufferPointer<Float>, inputGradient dx: UnsafeMutableBufferPointer<Float>,
                       gammaGradient: UnsafeMutableBufferPointer<Float>,
                       betaGradient: UnsafeMutableBufferPointer<Float>, rows: Int, cols: Int,
                       dropout f: UnsafeBufferPointer<Float>? = nil, residualGradient dr: UnsafeMutableBufferPointer<Float>? = nil) {
    guard cols > 0 else { return }
    precondition((f == nil) == (dr == nil) && (f?.count ?? rows * cols) >= rows * cols && (dr?.count ?? rows * cols) >= rows * cols,
                 "layerNormBackward: dropout factors and residual gradient go together, [rows, cols] each")
    let fp = f?.baseAddress, drp = dr?.baseAddress
    precondition(gammaGradient.count >= cols && betaGradient.count >= cols, "layerNormBackward: gradient buffer too small")
    for j in 0..<cols { gammaGradient[j] = 0; betaGradient[j] = 0 }
    guard rows > 0 else { return }
    precondition(x.count >= rows * cols && dy.count >= rows * cols && dx.count >= rows * cols && gamma.count >= cols
                 && mean.count >= rows && rstd.count >= rows, "layerNormBackward: buffer too small")
    let xp = x.baseAddress!, gp = dy.baseAddress!, gam = gamma.baseAddress!
    let mp = mean.baseAddress!, rp = rstd.baseAddress!, dp = dx.baseAddress!, k = ctx.backend.kernels
    // Cost 32 per element, as the forward pass: at 12 a transformer's [2048, 128] backward
    // (a few hundred µs) ran on one thread.
    // Partial sums of dgamma/dbeta per block of `layerNormGradientBlockRows` rows
    // ([blocks, 2, cols]), added in block order at the end: the same sums, bit for bit, at any
    // thread count (the blocks, not the threads, fix the rounding, as in `linearBiasBackward`).
    let blockRows = layerNormGradientBlockRows
    let blocks = (rows + blockRows - 1) / blockRows
    let threads = ctx.threadsFor(work: rows * cols * 32, maxChunks: blocks)
    let partial = UnsafeMutableBufferPointer<Float>.allocate(capacity: blocks * 2 * cols)
    partial.initialize(repeating: 0)
    defer { partial.deallocate() }
    let pp = partial.baseAddress!
    parallelFor(threads) { t in
        for b in chunkRange(t, parts: threads, units: blocks) {
            let lo = b * blockRows, count = min(blockRows, rows - lo)
            let o = lo * cols
            k.layerNormBackwardRows(xp + o, gp + o, gam, mp + lo, rp + lo, dp + o,
                                    pp + b * 2 * cols, pp + b * 2 * cols + cols, count, cols)
            if let fp, let drp {
                // dr = dx ⊙ f while this block's rows of dx are still in cache.
                let (d, ff, out) = (dp + o, fp + o, drp + o)
                for i in 0..<(count * cols) { out[i] = d[i] * ff[i] }
            }
        }
    }
    for b in 0..<blocks {
        for j in 0..<cols {
            gammaGradient[j] += pp[b * 2 * cols + j]
            betaGradient[j] += pp[b * 2 * cols + cols + j]
        }
    }
}

/// Rows per partial dgamma/dbeta sum of `layerNormBackward` (64, as `linearBiasBackward`'s
/// bias-gradient blocks): fixed, so the gradients do not depend on the thread count.
let layerNormGradientBlockRows = 64

/// Naive twin of `layerNormForward` (Double arithmetic).
public func layerNormForwardReference(x: UnsafeBufferPointer<Float>, gamma: UnsafeBufferPointer<Float>,
                                      beta: UnsafeBufferPointer<Float>, y: UnsafeMutableBufferPointer<Float>,
                                      mean: UnsafeMutableBufferPointer<Float>, rstd: UnsafeMutableBufferPointer<Float>,
                                      rows: Int, cols: Int, epsilon: Float) {
    for r in 0..<rows {
        var s = 0.0
        for j in 0..<cols { s += Double(x[r * cols + j]) }
        let mu = s / Double(cols)
        var q = 0.0
        for j in 0..<cols { let d = Double(x[r * cols + j]) - mu; q += d * d }
        let rs = 1 / (q / Double(cols) + Double(epsilon)).squareRoot()
        mean[r] = Float(mu)
        rstd[r] = Float(rs)
        for j in 0..<cols {
            y[r * cols + j] = Float((Double(x[r * cols + j]) - mu) * rs * Double(gamma[j]) + Double(beta[j]))
        }
    }
}

/// Naive twin of `layerNormBackward` (Double arithmetic; same saved mean/rstd inputs).
public func layerNormBackwardReference(x: UnsafeBufferPointer<Float>, outputGradient dy: UnsafeBufferPointer<Float>,
                                       gamma: UnsafeBufferPointer<Float>, mean: UnsafeBufferPointer<Float>,
                                       rstd: UnsafeBufferPointer<Float>, inputGradient dx: UnsafeMutableBufferPointer<Float>,
                                       gammaGradient: UnsafeMutableBufferPointer<Float>,
                                       betaGradient: UnsafeMutableBufferPointer<Float>, rows: Int, cols: Int) {
    var dg = [Double](repeating: 0, count: cols), db = [Double](repeating: 0, count: cols)
    for r in 0..<rows {
        let mu = Double(mean[r]), rs = Double(rstd[r])
        var sg = 0.0, sgx = 0.0
        for j in 0..<cols {
            let xh = (Double(x[r * cols + j]) - mu) * rs, d = Double(dy[r * cols + j])
            let g = d * Double(gamma[j])
            sg += g; sgx += g * xh
            dg[j] += d * xh; db[j] += d
        }
        let a = sg / Double(cols), b = sgx / Double(cols)
        for j in 0..<cols {
            let xh = (Double(x[r * cols + j]) - mu) * rs
            let g = Double(dy[r * cols + j]) * Double(gamma[j])
            dx[r * cols + j] = Float(rs * (g - a - xh * b))
        }
    }
    for j in 0..<cols { gammaGradient[j] = Float(dg[j]); betaGradient[j] = Float(db[j]) }
}

// MARK: Residual sum + LayerNorm (post-LN transformer blocks)

/// Backward of `addLayerNormForward`: LayerNorm's backward on the saved sum z gives dz (the
/// gradient of x), and the residual's gradient dr = dz ⊙ f is written in the same pass over
/// each thread's rows. Same shapes as `layerNormBackward`; f, dr: [rows, cols].
public func addLayerNormBackward(sum z: UnsafeBufferPointer<Float>, outputGradient dy: UnsafeBufferPointer<Float>,
                                 gamma: UnsafeBufferPointer<Float>, mean: UnsafeBufferPointer<Float>,
                                 rstd: UnsafeBufferPointer<Float>, dropout f: UnsafeBufferPointer<Float>,
                                 inputGradient dz: UnsafeMutableBufferPointer<Float>, residualGradient dr: UnsafeMutableBufferPointer<Float>,
                                 gammaGradient: UnsafeMutableBufferPointer<Float>, betaGradient: UnsafeMutableBufferPointer<Float>,
                                 rows: Int, cols: Int) {
    layerNormBackward(.current, x: z, outputGradient: dy, gamma: gamma, mean: mean, rstd: rstd, inputGradient: dz,
                      gammaGradient: gammaGradient, betaGradient: betaGradient, rows: rows, cols: cols,
                      dropout: f, residualGradient: dr)
}

/// z = x + r ⊙ f (f = dropout factors, or nil for x + r), then y = LayerNorm(z) per row, in one
/// pass over blocks of rows (each block's z is still in cache for the LayerNorm), rows split
/// across threads. x, r, f, z, y: [rows, cols]; gamma, beta: [cols]; mean, rstd: [rows].
/// z is written for the backward pass (LayerNorm's input); z may be y itself when it is not
/// kept (inference: LayerNorm then runs in place on the sum).
public func addLayerNormForward(x: UnsafeBufferPointer<Float>, residual r: UnsafeBufferPointer<Float>,
                                dropout f: UnsafeBufferPointer<Float>?, gamma: UnsafeBufferPointer<Float>,
                                beta: UnsafeBufferPointer<Float>, sum z: UnsafeMutableBufferPointer<Float>,
                                y: UnsafeMutableBufferPointer<Float>, mean: UnsafeMutableBufferPointer<Float>,
                                rstd: UnsafeMutableBufferPointer<Float>, rows: Int, cols: Int, epsilon: Float) {
    addLayerNormForward(.current, x: x, residual: r, dropout: f, gamma: gamma, beta: beta, sum: z, y: y,
                        mean: mean, rstd: rstd, rows: rows, cols: cols, epsilon: epsilon)
}

func addLayerNormForward(_ ctx: KernelContext, x: UnsafeBufferPointer<Float>, residual r: UnsafeBufferPointer<Float>,
                         dropout f: UnsafeBufferPointer<Float>?, gamma: UnsafeBufferPointer<Float>,
                         beta: UnsafeBufferPointer<Float>, sum z: UnsafeMutableBufferPointer<Float>,
                         y: UnsafeMutableBufferPointer<Float>, mean: UnsafeMutableBufferPointer<Float>,
                         rstd: UnsafeMutableBufferPointer<Float>, rows: Int, cols: Int, epsilon: Float) {
    guard rows > 0, cols > 0 else { return }
    let n = rows * cols
    precondition(x.count >= n && r.count >= n && (f?.count ?? n) >= n && z.count >= n && y.count >= n
                 && gamma.count >= cols && beta.count >= cols && mean.count >= rows && rstd.count >= rows,
                 "addLayerNormForward: buffer too small")
    let xp = x.baseAddress!, rp = r.baseAddress!, fp = f?.baseAddress, zp = z.baseAddress!, yp = y.baseAddress!
    let gp = gamma.baseAddress!, bp = beta.baseAddress!, mp = mean.baseAddress!, sp = rstd.baseAddress!
    let k = ctx.backend.kernels
    // Cost 32 per element (as softmax and GELU): a [2048, 128] block takes a few hundred µs on
    // one thread, well above a fork/join, so transformer-sized blocks are split.
    parallelRows(ctx, rows: rows, cols: cols, costPerElement: 32) { range in
        var r0 = range.lowerBound
        while r0 < range.upperBound {
            let count = min(16, range.upperBound - r0), o = r0 * cols
            // The sum in the backend's vectors (this module is compiled for baseline x86-64).
            k.addLayerNormRows(xp + o, rp + o, fp.map { $0 + o }, gp, bp, zp + o, yp + o, mp + r0, sp + r0, count, cols, epsilon)
            r0 += count
        }
    }
}

/// Naive twin of `addLayerNormForward`: the sum, then `layerNormForwardReference`.
public func addLayerNormForwardReference(x: UnsafeBufferPointer<Float>, residual r: UnsafeBufferPointer<Float>,
                                         dropout f: UnsafeBufferPointer<Float>?, gamma: UnsafeBufferPointer<Float>,
                                         beta: UnsafeBufferPointer<Float>, sum z: UnsafeMutableBufferPointer<Float>,
                                         y: UnsafeMutableBufferPointer<Float>, mean: UnsafeMutableBufferPointer<Float>,
                                         rstd: UnsafeMutableBufferPointer<Float>, rows: Int, cols: Int, epsilon: Float) {
    for i in 0..<(rows * cols) { z[i] = x[i] + r[i] * (f?[i] ?? 1) }
    layerNormForwardReference(x: UnsafeBufferPointer(z), gamma: gamma, beta: beta, y: y, mean: mean, rstd: rstd,
                              rows: rows, cols: cols, epsilon: epsilon)
}
