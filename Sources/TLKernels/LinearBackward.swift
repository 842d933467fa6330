// The fused linear layer's backward pass outside its two GEMMs (Tensor+FusedLinear): the
// activation's derivative and the bias gradient in one pass over dY, split across threads.

/// Bias gradient of a fully connected layer, with GELU's backward pass fused in when `pre` (the
/// pre-activation) or `geluDerivative` (GELU′(pre), kept by `sgemmBiasGelu`'s epilogue in the
/// forward pass) is given:
///
///     g = dy ⊙ GELU′(pre)   (or g = dy ⊙ geluDerivative, or g = dy), written to `scaled` when given
///     biasGradient[j] = Σ_rows g[row, j]
///
/// - dy, pre, geluDerivative, scaled: [rows, cols]; biasGradient: [cols] (overwritten).
/// The stored derivative gives the same g bit for bit as `pre` (one rounded product of the same
/// two factors) without evaluating erf again: MiniLM's top-2 step −1.5% CPU (1 thread).
/// The sum has `conv2DBackwardBias`'s rounding for cols a multiple of 8 (bit-identical: Float
/// sums over blocks of 64 rows in row order, blocks added into Double in order), whatever the
/// thread count; other widths go through `conv2DBackwardBias` itself. Blocks of 64 rows are
/// split across threads; g is summed while the block is still in cache.
public func linearBiasBackward(outputGradient dy: UnsafeBufferPointer<Float>, geluInput pre: UnsafeBufferPointer<Float>?,
                               geluDerivative: UnsafeBufferPointer<Float>? = nil,
                               scaled: UnsafeMutableBufferPointer<Float>?, biasGradient: UnsafeMutableBufferPointer<Float>,
                               rows: Int, cols: Int) {
    linearBiasBackward(.current, outputGradient: dy, geluInput: pre, geluDerivative: geluDerivative, scaled: scaled,
                       biasGradient: biasGradient, rows: rows, cols: cols)
}

func linearBiasBackward(_ ctx: KernelContext, outputGradient dy: UnsafeBufferPointer<Float>, geluInput pre: UnsafeBufferPointer<Float>?,
                        geluDerivative: UnsafeBufferPointer<Float>? = nil,
                        scaled: UnsafeMutableBufferPointer<Float>?, biasGradient: UnsafeMutableBufferPointer<Float>,
                        rows: Int, cols: Int) {
    let n = rows * cols
    precondition(dy.count >= n && biasGradient.count >= cols && (pre?.count ?? n) >= n && (scaled?.count ?? n) >= n
                 && (geluDerivative?.count ?? n) >= n, "linearBiasBackward: buffer smaller than its shape")
    precondition((pre == nil && geluDerivative == nil) || scaled != nil, "linearBiasBackward: GELU needs an output buffer for g")
    precondition(pre == nil || geluDerivative == nil, "linearBiasBackward: give GELU's input or its derivative, not both")
    guard cols > 0 else { return }
    guard rows > 0, cols % 8 == 0 else {
        // Narrow or ragged rows: the two passes.
        var g = dy
        if let pre, let scaled, n > 0 {
            geluBackward(ctx, x: UnsafeBufferPointer(rebasing: pre[..<n]), outputGradient: UnsafeBufferPointer(rebasing: dy[..<n]),
                         inputGradient: UnsafeMutableBufferPointer(rebasing: scaled[..<n]))
            g = UnsafeBufferPointer(scaled)
        } else if let geluDerivative, let scaled, n > 0 {
            binaryContiguous(.multiply, dy.baseAddress!, geluDerivative.baseAddress!, scaled.baseAddress!, count: n)
            g = UnsafeBufferPointer(scaled)
        } else if let scaled, n > 0 {
            UnsafeMutableRawPointer(scaled.baseAddress!).copyMemory(from: dy.baseAddress!, byteCount: n * 4)
        }
        conv2DBackwardBias(outputGradient: g, rows: rows, outChannels: cols, biasGradient: biasGradient)
        return
    }
    let blockRows = 64, blocks = (rows + blockRows - 1) / blockRows
    // Per-block Float column sums [blocks, cols], reduced into Double in block order.
    let partial = UnsafeMutableBufferPointer<Float>.allocate(capacity: blocks * cols)
    defer { partial.deallocate() }
    let dp = dy.baseAddress!, xp = pre?.baseAddress, sp = scaled?.baseAddress, pp = partial.baseAddress!
    let derivative = geluDerivative?.baseAddress
    let k = ctx.backend.kernels
    // Without erf the pass only streams dY (and the derivative, and the write into `scaled`):
    // memory-bound, split from ~250k elements (cost 2 kept the QKV and output projections'
    // [2048, 384..1152] on one thread).
    parallelRows(ctx, rows: blocks, cols: blockRows * cols, costPerElement: pre == nil ? memoryBoundWeight / 2 : 48) { range in
        for b in range {
            let lo = b * blockRows, hi = min(lo + blockRows, rows)
            var g = dp + lo * cols
            if let xp, let sp {
                k.geluBackward(xp + lo * cols, g, sp + lo * cols, (hi - lo) * cols)
                g = UnsafePointer(sp + lo * cols)
            } else if let derivative, let sp {
                binaryContiguous(.multiply, g, derivative + lo * cols, sp + lo * cols, count: (hi - lo) * cols)
                g = UnsafePointer(sp + lo * cols)
            } else if let sp {
                (sp + lo * cols).update(from: g, count: (hi - lo) * cols)
            }
            columnSums(g, rows: hi - lo, cols: cols, into: pp + b * cols)
        }
    }
    var total = [Double](repeating: 0, count: cols)
    for b in 0..<blocks {
        let p = pp + b * cols
        for j in 0..<cols { total[j] += Double(p[j]) }
    }
    for j in 0..<cols { biasGradient[j] = Float(total[j]) }
}

/// out[j] = Σ_r g[r, j] in Float, rows in order (cols a multiple of 8).
@inline(__always)
private func columnSums(_ g: UnsafePointer<Float>, rows: Int, cols: Int, into out: UnsafeMutablePointer<Float>) {
    let raw = UnsafeRawPointer(g)
    var c = 0
    while c + 32 <= cols {
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
        for r in 0..<rows {
            let o = (r * cols + c) * 4
            a0 += raw.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            a1 += raw.loadUnaligned(fromByteOffset: o + 32, as: SIMD8<Float>.self)
            a2 += raw.loadUnaligned(fromByteOffset: o + 64, as: SIMD8<Float>.self)
            a3 += raw.loadUnaligned(fromByteOffset: o + 96, as: SIMD8<Float>.self)
        }
        let d = UnsafeMutableRawPointer(out + c)
        d.storeBytes(of: a0, toByteOffset: 0, as: SIMD8<Float>.self)
        d.storeBytes(of: a1, toByteOffset: 32, as: SIMD8<Float>.self)
        d.storeBytes(of: a2, toByteOffset: 64, as: SIMD8<Float>.self)
        d.storeBytes(of: a3, toByteOffset: 96, as: SIMD8<Float>.self)
        c += 32
    }
    while c < cols {
        var a = SIMD8<Float>()
        for r in 0..<rows { a += raw.loadUnaligned(fromByteOffset: (r * cols + c) * 4, as: SIMD8<Float>.self) }
        UnsafeMutableRawPointer(out + c).storeBytes(of: a, as: SIMD8<Float>.self)
        c += 8
    }
}

/// Naive twin of `linearBiasBackward` (Double sums, GELU's derivative from libm).
public func linearBiasBackwardReference(outputGradient dy: UnsafeBufferPointer<Float>, geluInput pre: UnsafeBufferPointer<Float>?,
                                        scaled: UnsafeMutableBufferPointer<Float>?, biasGradient: UnsafeMutableBufferPointer<Float>,
                                        rows: Int, cols: Int) {
    let n = rows * cols
    var g = Array(dy.prefix(n))
    if let pre {
        g.withUnsafeMutableBufferPointer { pg in
            geluBackwardReference(x: UnsafeBufferPointer(rebasing: pre[..<n]), outputGradient: UnsafeBufferPointer(rebasing: dy[..<n]), inputGradient: pg)
        }
    }
    if let scaled { for i in 0..<n { scaled[i] = g[i] } }
    for j in 0..<cols {
        var s = 0.0
        for r in 0..<rows { s += Double(g[r * cols + j]) }
        biasGradient[j] = Float(s)
    }
}

/// The fused linear layer's GELU epilogue with the bias: pre[r, j] += bias[j] (in place, kept
/// for the backward pass), then y = GELU(pre); rows split across threads, each row's bias add
/// and GELU while it is in cache. pre, y: [rows, cols]; bias: [cols].
public func biasGeluForward(preActivation pre: UnsafeMutableBufferPointer<Float>, bias: UnsafeBufferPointer<Float>,
                            output y: UnsafeMutableBufferPointer<Float>, rows: Int) {
    biasGeluForward(.current, preActivation: pre, bias: bias, output: y, rows: rows)
}

func biasGeluForward(_ ctx: KernelContext, preActivation pre: UnsafeMutableBufferPointer<Float>, bias: UnsafeBufferPointer<Float>,
                     output y: UnsafeMutableBufferPointer<Float>, rows: Int) {
    let cols = bias.count
    precondition(pre.count >= rows * cols && y.count >= rows * cols, "biasGeluForward: buffer smaller than rows·cols")
    guard rows > 0, cols > 0 else { return }
    let pp = pre.baseAddress!, bp = bias.baseAddress!, yp = y.baseAddress!, k = ctx.backend.kernels
    parallelRows(ctx, rows: rows, cols: cols, costPerElement: 32) { range in
        var r0 = range.lowerBound
        while r0 < range.upperBound {
            let count = min(16, range.upperBound - r0), o = r0 * cols
            for r in 0..<count {
                let row = pp + o + r * cols
                for j in 0..<cols { row[j] += bp[j] }
            }
            k.gelu(pp + o, yp + o, count * cols)
            r0 += count
        }
    }
}

/// Naive twin of `biasGeluForward` (the add, then `geluForwardReference`).
public func biasGeluForwardReference(preActivation pre: UnsafeMutableBufferPointer<Float>, bias: UnsafeBufferPointer<Float>,
                                     output y: UnsafeMutableBufferPointer<Float>, rows: Int) {
    let cols = bias.count
    for r in 0..<rows { for j in 0..<cols { pre[r * cols + j] += bias[j] } }
    geluForwardReference(x: UnsafeBufferPointer(rebasing: pre[..<(rows * cols)]), y: y)
}
