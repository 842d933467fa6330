import TLKernels

// Max pooling loops without per-window bookkeeping (issue 14: in a LeNet training step the
// generic loops took up to 40% of the step, mostly mispredicted compare-and-branch updates).
//
// Forward: per output row, the window's input rows are first reduced elementwise into one
// row (contiguous W·C floats, SIMD16 compare-and-select), then each output pixel takes the
// maximum over its window's columns of that row, branch-free. Images are split across the
// kernel threads when the work pays for it, each element weighted as a memory-bound one
// (`memoryBoundWeight`): unweighted, LeNet's first pooling layer at batch 64 (221k input
// elements; 0.3 ms forward and 0.65 ms backward on one Zen 1 core, 6 channels in 4-lane pairs)
// stayed on the caller while the other core waited, ~1 ms of a 7 ms 2-thread step.
// Backward: branch-free first-maximum search per window, or for disjoint windows
// (stride ≥ kernel) the SIMD write-only path in
// Pool2DKernels+MaxDisjoint.swift. Same results as the reference twins `naiveMaxForward` /
// `naiveMaxBackward` in Tensor+Pool.swift, including NaN propagation and the first-maximum tie rule;
// Tests/TLTensorTests/MaxPoolKernelTests.swift compares them.
extension Pool2DKernels {
    /// The in-bounds kernel offsets `lo..<hi` of a window starting at input coordinate `start`.
    @inline(__always)
    static func validRange(start: Int, kernel: Int, size: Int) -> (lo: Int, hi: Int) {
        let lo = Swift.max(0, -start)
        return (lo, Swift.max(lo, Swift.min(kernel, size - start)))
    }

    /// max(a, b) where a NaN in `b` wins (a NaN already in `a` stays): the forward's rule.
    @inline(__always)
    static func nanMax(_ a: Float, _ b: Float) -> Float { (b > a) || (b != b) ? b : a }

    @inline(__always)
    static func nanMax(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
        a.replacing(with: b, where: (b .> a) .| (b .!= b))
    }

    /// row[i] = max(row[i], src[i]) for i < n (NaN wins).
    @inline(__always)
    static func maxInto(_ row: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ n: Int) {
        let r = UnsafeMutableRawPointer(row), s = UnsafeRawPointer(src)
        var i = 0
        while i + 16 <= n {
            let v = nanMax(r.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self),
                           s.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self))
            r.storeBytes(of: v, toByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        while i < n { row[i] = nanMax(row[i], src[i]); i += 1 }
    }

    // x: [N, H, W, C] → [N, OH, OW, C]; padding cells never win (as −∞), a NaN in a window wins.
    static func maxForward(_ x: [Float], shape: [Int], _ w: Window2D, outHeight: Int, outWidth: Int) -> [Float] {
        let (n, h, wd, c) = (shape[0], shape[1], shape[2], shape[3])
        let total = n * outHeight * outWidth * c
        let rowLength = wd * c
        return [Float](unsafeUninitializedCapacity: total) { ob, initialized in
            defer { initialized = total }
            guard total > 0 else { return }
            x.withUnsafeBufferPointer { xb in
                let xp = xb.baseAddress!, op = ob.baseAddress!
                let (kh, kw, sh, sw, pt, pl) = (w.kernelHeight, w.kernelWidth, w.strideHeight, w.strideWidth, w.padTop, w.padLeft)
                parallelChunks(units: n, work: n * outHeight * kh * rowLength * memoryBoundWeight) { images in
                    // One reduced row per chunk (the window's rows, maxed elementwise).
                    let rowBuffer = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(rowLength, 1))
                    defer { rowBuffer.deallocate() }
                    for b in images {
                        for oy in 0..<outHeight {
                            let iy0 = oy * sh - pt
                            let ky = validRange(start: iy0, kernel: kh, size: h)
                            let dstRow = op + (b * outHeight + oy) * outWidth * c
                            guard ky.lo < ky.hi else {
                                dstRow.update(repeating: -.infinity, count: outWidth * c)
                                continue
                            }
                            let firstRow = xp + (b * h + iy0 + ky.lo) * rowLength
                            let row: UnsafePointer<Float>
                            if ky.hi - ky.lo == 1 {
                                row = firstRow
                            } else {
                                rowBuffer.update(from: firstRow, count: rowLength)
                                for dy in (ky.lo + 1)..<ky.hi { maxInto(rowBuffer, firstRow + (dy - ky.lo) * rowLength, rowLength) }
                                row = UnsafePointer(rowBuffer)
                            }
                            for ox in 0..<outWidth {
                                let ix0 = ox * sw - pl
                                let kx = validRange(start: ix0, kernel: kw, size: wd)
                                let dst = dstRow + ox * c
                                guard kx.lo < kx.hi else { dst.update(repeating: -.infinity, count: c); continue }
                                let src = row + (ix0 + kx.lo) * c
                                dst.update(from: src, count: c)
                                for dx in 1..<(kx.hi - kx.lo) { maxInto(dst, src + dx * c, c) }
                            }
                        }
                    }
                }
            }
        }
    }

    // g: [N, OH, OW, C] → dx: [N, H, W, C]; each window's gradient goes to its first maximum
    // in scan order (a later pixel wins only when strictly greater, so a NaN never moves it).
    static func maxBackward(_ x: [Float], shape: [Int], upstream g: [Float], _ w: Window2D, outHeight: Int, outWidth: Int) -> [Float] {
        let (n, h, wd, c) = (shape[0], shape[1], shape[2], shape[3])
        let imageLength = h * wd * c
        return [Float](unsafeUninitializedCapacity: x.count) { db, initialized in
            defer { initialized = x.count }
            guard x.count > 0 else { return }
            x.withUnsafeBufferPointer { xb in
            g.withUnsafeBufferPointer { gb in
                let xp = xb.baseAddress!, dp = db.baseAddress!
                guard let gp = gb.baseAddress else { dp.update(repeating: 0, count: x.count); return }
                let (kh, kw, sh, sw, pt, pl) = (w.kernelHeight, w.kernelWidth, w.strideHeight, w.strideWidth, w.padTop, w.padLeft)
                let outLength = outHeight * outWidth * c
                if sh >= kh && sw >= kw {  // disjoint windows: written, not accumulated (Pool2DKernels+MaxDisjoint.swift)
                    let plane = DisjointMaxBackward(h: h, wd: wd, c: c, outHeight: outHeight, outWidth: outWidth, w)
                    parallelChunks(units: n, work: n * (imageLength + outLength * 2) * memoryBoundWeight) { images in
                        for b in images { plane.run(x: xp + b * imageLength, g: gp + b * outLength, d: dp + b * imageLength) }
                    }
                    return
                }
                parallelChunks(units: n, work: n * (imageLength + outHeight * outWidth * c * kh * kw) * memoryBoundWeight) { images in
                    (dp + images.lowerBound * imageLength).update(repeating: 0, count: images.count * imageLength)
                    for b in images {
                        for oy in 0..<outHeight {
                            let iy0 = oy * sh - pt
                            let ky = validRange(start: iy0, kernel: kh, size: h)
                            guard ky.lo < ky.hi else { continue }
                            for ox in 0..<outWidth {
                                let ix0 = ox * sw - pl
                                let kx = validRange(start: ix0, kernel: kw, size: wd)
                                guard kx.lo < kx.hi else { continue }
                                // Element offset of the window's first in-bounds cell, channel 0; the
                                // offsets stay inside the buffers, so the arithmetic wraps (no checks).
                                let first = ((b &* h &+ iy0 &+ ky.lo) &* wd &+ ix0 &+ kx.lo) &* c
                                let o = ((b &* outHeight &+ oy) &* outWidth &+ ox) &* c
                                let rows = ky.hi - ky.lo, cols = kx.hi - kx.lo, rowStride = wd &* c
                                for ch in 0..<c {
                                    var at = first &+ ch
                                    var bv = xp[at]
                                    var rowStart = at
                                    for _ in 0..<rows {
                                        var q = rowStart
                                        for _ in 0..<cols {
                                            let v = xp[q]
                                            let greater = v > bv  // selects, not branches: random data mispredicts
                                            bv = greater ? v : bv
                                            at = greater ? q : at
                                            q &+= c
                                        }
                                        rowStart &+= rowStride
                                    }
                                    dp[at] += gp[o &+ ch]
                                }
                            }
                        }
                    }
                }
            }}
        }
    }
}
