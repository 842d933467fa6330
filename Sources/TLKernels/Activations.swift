import Foundation

// GELU (erf form, BERT) and a bandwidth-reference copy, on flat buffers of any shape.

/// y = 0.5·x·(1 + erf(x/√2)) element-wise; y.count ≥ x.count (may alias x).
public func geluForward(x: UnsafeBufferPointer<Float>, y: UnsafeMutableBufferPointer<Float>) {
    geluForward(.current, x: x, y: y)
}

func geluForward(_ ctx: KernelContext, x: UnsafeBufferPointer<Float>, y: UnsafeMutableBufferPointer<Float>) {
    let n = x.count
    guard n > 0 else { return }
    precondition(y.count >= n, "geluForward: output smaller than input")
    let xp = x.baseAddress!, yp = y.baseAddress!, k = ctx.backend.kernels
    let blocks = (n + 4095) / 4096
    parallelRows(ctx, rows: blocks, cols: 4096, costPerElement: 32) { r in
        let lo = r.lowerBound * 4096, hi = min(r.upperBound * 4096, n)
        k.gelu(xp + lo, yp + lo, hi - lo)
    }
}

/// dx = dy·GELU'(x) element-wise; x, dy, dx of equal length (dx may alias dy).
public func geluBackward(x: UnsafeBufferPointer<Float>, outputGradient dy: UnsafeBufferPointer<Float>,
                         inputGradient dx: UnsafeMutableBufferPointer<Float>) {
    geluBackward(.current, x: x, outputGradient: dy, inputGradient: dx)
}

func geluBackward(_ ctx: KernelContext, x: UnsafeBufferPointer<Float>, outputGradient dy: UnsafeBufferPointer<Float>,
                  inputGradient dx: UnsafeMutableBufferPointer<Float>) {
    let n = x.count
    guard n > 0 else { return }
    precondition(dy.count >= n && dx.count >= n, "geluBackward: buffers of unequal length")
    let xp = x.baseAddress!, gp = dy.baseAddress!, dp = dx.baseAddress!, k = ctx.backend.kernels
    let blocks = (n + 4095) / 4096
    parallelRows(ctx, rows: blocks, cols: 4096, costPerElement: 48) { r in
        let lo = r.lowerBound * 4096, hi = min(r.upperBound * 4096, n)
        k.geluBackward(xp + lo, gp + lo, dp + lo, hi - lo)
    }
}

/// Naive twin of `geluForward` (Double, libm erf).
public func geluForwardReference(x: UnsafeBufferPointer<Float>, y: UnsafeMutableBufferPointer<Float>) {
    for i in 0..<x.count {
        let v = Double(x[i])
        y[i] = Float(0.5 * v * (1 + Foundation.erf(v / 2.0.squareRoot())))
    }
}

/// Naive twin of `geluBackward` (Double, libm erf/exp).
public func geluBackwardReference(x: UnsafeBufferPointer<Float>, outputGradient dy: UnsafeBufferPointer<Float>,
                                  inputGradient dx: UnsafeMutableBufferPointer<Float>) {
    for i in 0..<x.count {
        let v = Double(x[i])
        let cdf = 0.5 * (1 + Foundation.erf(v / 2.0.squareRoot()))
        let pdf = Foundation.exp(-0.5 * v * v) / (2 * Double.pi).squareRoot()
        dx[i] = Float(Double(dy[i]) * (cdf + v * pdf))
    }
}

/// Copies `source` into `destination` (count = source.count), split across threads for large
/// buffers. The benchmark's memory-bandwidth reference for the memory-bound kernels.
public func vectorCopy(from source: UnsafeBufferPointer<Float>, to destination: UnsafeMutableBufferPointer<Float>) {
    let n = source.count
    guard n > 0 else { return }
    precondition(destination.count >= n, "vectorCopy: destination smaller than source")
    let s = source.baseAddress!, d = destination.baseAddress!
    let blocks = (n + 16383) / 16384
    parallelRows(.current, rows: blocks, cols: 16384, costPerElement: 8) { r in
        let lo = r.lowerBound * 16384, hi = min(r.upperBound * 16384, n)
        UnsafeMutableRawPointer(d + lo).copyMemory(from: s + lo, byteCount: (hi - lo) * 4)
    }
}

/// Naive twin of `vectorCopy` (element by element).
public func vectorCopyReference(from source: UnsafeBufferPointer<Float>, to destination: UnsafeMutableBufferPointer<Float>) {
    for i in 0..<source.count { destination[i] = source[i] }
}
