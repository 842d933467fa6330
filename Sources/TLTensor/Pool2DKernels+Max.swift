// Max pooling loops without per-window bookkeeping (issue 14: in a LeNet training step the
// generic `forEachWindow` loops — a pixel list per window, bounds-checked array indexing, one
// channel at a time — took about a quarter of the step). Same results as the reference twins
// `naiveMaxForward` / `naiveMaxBackward` in Tensor+Pool.swift, including NaN propagation and
// the first-maximum tie rule; Tests/TLTensorTests/MaxPoolKernelTests.swift compares them.
extension Pool2DKernels {
    /// The in-bounds kernel offsets `lo..<hi` of a window starting at input coordinate `start`.
    @inline(__always)
    static func validRange(start: Int, kernel: Int, size: Int) -> (lo: Int, hi: Int) {
        let lo = Swift.max(0, -start)
        return (lo, Swift.max(lo, Swift.min(kernel, size - start)))
    }

    // x: [N, H, W, C] → [N, OH, OW, C]; padding cells never win (as −∞), a NaN in a window wins.
    static func maxForward(_ x: [Float], shape: [Int], _ w: Window2D, outHeight: Int, outWidth: Int) -> [Float] {
        let (n, h, wd, c) = (shape[0], shape[1], shape[2], shape[3])
        var out = [Float](repeating: -.infinity, count: n * outHeight * outWidth * c)
        x.withUnsafeBufferPointer { xb in
            out.withUnsafeMutableBufferPointer { ob in
                guard let xp = xb.baseAddress, let op = ob.baseAddress else { return }
                for b in 0..<n {
                    for oy in 0..<outHeight {
                        let iy0 = oy * w.strideHeight - w.padTop
                        let ky = validRange(start: iy0, kernel: w.kernelHeight, size: h)
                        for ox in 0..<outWidth {
                            let ix0 = ox * w.strideWidth - w.padLeft
                            let kx = validRange(start: ix0, kernel: w.kernelWidth, size: wd)
                            let dst = op + ((b * outHeight + oy) * outWidth + ox) * c
                            for dy in ky.lo..<ky.hi {
                                for dx in kx.lo..<kx.hi {
                                    let src = xp + ((b * h + iy0 + dy) * wd + ix0 + dx) * c
                                    for ch in 0..<c {
                                        let v = src[ch]
                                        if v > dst[ch] || v.isNaN { dst[ch] = v }  // NaN propagates, as in PyTorch
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    // g: [N, OH, OW, C] → dx: [N, H, W, C]; each window's gradient goes to its first maximum
    // in scan order (a later pixel wins only when strictly greater, so a NaN never moves it).
    static func maxBackward(_ x: [Float], shape: [Int], upstream g: [Float], _ w: Window2D, outHeight: Int, outWidth: Int) -> [Float] {
        let (n, h, wd, c) = (shape[0], shape[1], shape[2], shape[3])
        var dx = [Float](repeating: 0, count: x.count)
        var bestValue = [Float](repeating: 0, count: c)
        var bestOffset = [Int](repeating: 0, count: c)
        x.withUnsafeBufferPointer { xb in
        g.withUnsafeBufferPointer { gb in
        dx.withUnsafeMutableBufferPointer { db in
        bestValue.withUnsafeMutableBufferPointer { vb in
        bestOffset.withUnsafeMutableBufferPointer { ib in
            guard let xp = xb.baseAddress, let gp = gb.baseAddress, let dp = db.baseAddress,
                  let best = vb.baseAddress, let at = ib.baseAddress else { return }
            for b in 0..<n {
                for oy in 0..<outHeight {
                    let iy0 = oy * w.strideHeight - w.padTop
                    let ky = validRange(start: iy0, kernel: w.kernelHeight, size: h)
                    for ox in 0..<outWidth {
                        let ix0 = ox * w.strideWidth - w.padLeft
                        let kx = validRange(start: ix0, kernel: w.kernelWidth, size: wd)
                        guard ky.lo < ky.hi, kx.lo < kx.hi else { continue }
                        let first = ((b * h + iy0 + ky.lo) * wd + ix0 + kx.lo) * c
                        for ch in 0..<c { best[ch] = xp[first + ch]; at[ch] = first }
                        for dy in ky.lo..<ky.hi {
                            for dx in kx.lo..<kx.hi {
                                let p = ((b * h + iy0 + dy) * wd + ix0 + dx) * c
                                for ch in 0..<c {
                                    let v = xp[p + ch]
                                    if v > best[ch] { best[ch] = v; at[ch] = p }
                                }
                            }
                        }
                        let o = ((b * outHeight + oy) * outWidth + ox) * c
                        for ch in 0..<c { dp[at[ch] + ch] += gp[o + ch] }
                    }
                }
            }
        }}}}}
        return dx
    }
}
