import Foundation

// Softmax over the last axis of a row-major [rows, cols] buffer (attention scores,
// classifier logits). Rows are independent, so threads take contiguous row ranges.

/// y[r, :] = softmax(x[r, :]); x, y: [rows, cols] (x and y may be the same buffer).
/// Stable for large inputs (subtracts the row maximum before exponentiating).
public func softmaxRowsForward(x: UnsafeBufferPointer<Float>, y: UnsafeMutableBufferPointer<Float>,
                               rows: Int, cols: Int) {
    softmaxRowsForward(.current, x: x, y: y, rows: rows, cols: cols)
}

func softmaxRowsForward(_ ctx: KernelContext, x: UnsafeBufferPointer<Float>, y: UnsafeMutableBufferPointer<Float>,
                        rows: Int, cols: Int) {
    guard rows > 0, cols > 0 else { return }
    precondition(x.count >= rows * cols && y.count >= rows * cols, "softmaxRowsForward: buffer smaller than rows·cols")
    let xp = x.baseAddress!, yp = y.baseAddress!, k = ctx.backend.kernels
    parallelRows(ctx, rows: rows, cols: cols, costPerElement: 32) { r in
        k.softmaxRows(xp + r.lowerBound * cols, yp + r.lowerBound * cols, r.count, cols)
    }
}

/// dx = y ⊙ (dy − rowsum(dy ⊙ y)): gradient of softmax given its output y; all [rows, cols].
public func softmaxRowsBackward(y: UnsafeBufferPointer<Float>, outputGradient dy: UnsafeBufferPointer<Float>,
                                inputGradient dx: UnsafeMutableBufferPointer<Float>, rows: Int, cols: Int) {
    softmaxRowsBackward(.current, y: y, outputGradient: dy, inputGradient: dx, rows: rows, cols: cols)
}

func softmaxRowsBackward(_ ctx: KernelContext, y: UnsafeBufferPointer<Float>, outputGradient dy: UnsafeBufferPointer<Float>,
                         inputGradient dx: UnsafeMutableBufferPointer<Float>, rows: Int, cols: Int) {
    guard rows > 0, cols > 0 else { return }
    precondition(y.count >= rows * cols && dy.count >= rows * cols && dx.count >= rows * cols,
                 "softmaxRowsBackward: buffer smaller than rows·cols")
    let yp = y.baseAddress!, gp = dy.baseAddress!, dp = dx.baseAddress!, k = ctx.backend.kernels
    parallelRows(ctx, rows: rows, cols: cols, costPerElement: 16) { r in
        let o = r.lowerBound * cols
        k.softmaxBackwardRows(yp + o, gp + o, dp + o, r.count, cols)
    }
}

/// Naive twin of `softmaxRowsForward` (Double arithmetic).
public func softmaxRowsForwardReference(x: UnsafeBufferPointer<Float>, y: UnsafeMutableBufferPointer<Float>,
                                        rows: Int, cols: Int) {
    for r in 0..<rows {
        var m = -Double.infinity
        for j in 0..<cols { m = max(m, Double(x[r * cols + j])) }
        var s = 0.0
        for j in 0..<cols { s += Foundation.exp(Double(x[r * cols + j]) - m) }
        for j in 0..<cols { y[r * cols + j] = Float(Foundation.exp(Double(x[r * cols + j]) - m) / s) }
    }
}

/// Naive twin of `softmaxRowsBackward` (Double arithmetic).
public func softmaxRowsBackwardReference(y: UnsafeBufferPointer<Float>, outputGradient dy: UnsafeBufferPointer<Float>,
                                         inputGradient dx: UnsafeMutableBufferPointer<Float>, rows: Int, cols: Int) {
    for r in 0..<rows {
        var dot = 0.0
        for j in 0..<cols { dot += Double(y[r * cols + j]) * Double(dy[r * cols + j]) }
        for j in 0..<cols { dx[r * cols + j] = Float(Double(y[r * cols + j]) * (Double(dy[r * cols + j]) - dot)) }
    }
}
