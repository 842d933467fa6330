import TLKernels

// Max-pool backward for non-overlapping windows (stride ≥ kernel on both axes, the common case:
// LeNet's 2×2 stride 2). Each input cell belongs to at most one window, so the gradient is
// WRITTEN, not accumulated: per window, SIMD over channels finds the first maximum per lane
// (compare-and-select; a later cell wins only when strictly greater, so a NaN never moves it,
// the rule of `naiveMaxBackward`), then every window cell gets g where it is the argmax, else 0.
// Only cells outside every window (ragged right/bottom edges, padding gaps) are zero-filled.
//
// Channel groups: 16-lane vectors, with the last group shifted back to end at C (it overlaps the
// previous one, which is harmless because results are written, not added); 8 ≤ C < 16 and
// 4 ≤ C < 8 use two overlapping 8- or 4-lane vectors (C = 6: lanes 0..<4 and 2..<6), 2 ≤ C < 4
// two 2-lane vectors, C = 1 a scalar loop.
extension Pool2DKernels {
    /// One image plane of the disjoint-window backward.
    /// x, d: [H, W, C] of image `b`'s input and gradient; g: [OH, OW, C] of its upstream.
    struct DisjointMaxBackward {
        let h: Int, wd: Int, c: Int, outHeight: Int, outWidth: Int
        let kh: Int, sh: Int, pt: Int
        /// Per output column: first in-bounds input column and the number of in-bounds columns (0: none).
        let colStart: [Int], colCount: [Int]
        /// Per input row, the element ranges (start, count) not covered by any window's columns.
        let columnGaps: [(start: Int, count: Int)]

        init(h: Int, wd: Int, c: Int, outHeight: Int, outWidth: Int, _ w: Window2D) {
            (self.h, self.wd, self.c, self.outHeight, self.outWidth) = (h, wd, c, outHeight, outWidth)
            (kh, sh, pt) = (w.kernelHeight, w.strideHeight, w.padTop)
            var starts = [Int](), counts = [Int](), gaps = [(start: Int, count: Int)]()
            var next = 0  // first input column not yet covered
            for ox in 0..<outWidth {
                let ix0 = ox * w.strideWidth - w.padLeft
                let kx = validRange(start: ix0, kernel: w.kernelWidth, size: wd)
                starts.append(ix0 + kx.lo)
                counts.append(kx.hi - kx.lo)
                guard kx.lo < kx.hi else { continue }
                if ix0 + kx.lo > next { gaps.append((next * c, (ix0 + kx.lo - next) * c)) }
                next = ix0 + kx.hi
            }
            if next < wd { gaps.append((next * c, (wd - next) * c)) }
            (colStart, colCount, columnGaps) = (starts, counts, gaps)
        }

        func run(x: UnsafePointer<Float>, g: UnsafePointer<Float>, d: UnsafeMutablePointer<Float>) {
            let rowStride = wd * c
            var nextRow = 0  // first input row not yet written
            for oy in 0..<outHeight {
                let iy0 = oy * sh - pt
                let ky = validRange(start: iy0, kernel: kh, size: h)
                guard ky.lo < ky.hi else { continue }
                let r0 = iy0 + ky.lo, rows = ky.hi - ky.lo
                if r0 > nextRow { (d + nextRow * rowStride).update(repeating: 0, count: (r0 - nextRow) * rowStride) }
                for r in r0..<(r0 + rows) {
                    for gap in columnGaps { (d + r * rowStride + gap.start).update(repeating: 0, count: gap.count) }
                }
                nextRow = r0 + rows
                for ox in 0..<outWidth where colCount[ox] > 0 {
                    let first = (r0 * wd + colStart[ox]) * c, o = (oy * outWidth + ox) * c
                    let cols = colCount[ox]
                    if c >= 16 {
                        var off = 0
                        while off + 16 <= c {
                            window(SIMD16<Float>.self, x, g, d, first + off, o + off, rows, cols, rowStride)
                            off += 16
                        }
                        if off < c { window(SIMD16<Float>.self, x, g, d, first + c - 16, o + c - 16, rows, cols, rowStride) }
                    } else if c >= 8 {
                        window(SIMD8<Float>.self, x, g, d, first, o, rows, cols, rowStride)
                        if c > 8 { window(SIMD8<Float>.self, x, g, d, first + c - 8, o + c - 8, rows, cols, rowStride) }
                    } else if c >= 4 {
                        window(SIMD4<Float>.self, x, g, d, first, o, rows, cols, rowStride)
                        if c > 4 { window(SIMD4<Float>.self, x, g, d, first + c - 4, o + c - 4, rows, cols, rowStride) }
                    } else if c >= 2 {
                        window(SIMD2<Float>.self, x, g, d, first, o, rows, cols, rowStride)
                        if c > 2 { window(SIMD2<Float>.self, x, g, d, first + c - 2, o + c - 2, rows, cols, rowStride) }
                    } else {
                        scalarWindow(x, g, d, first, o, rows, cols, rowStride)
                    }
                }
            }
            if nextRow < h { (d + nextRow * rowStride).update(repeating: 0, count: (h - nextRow) * rowStride) }
        }

        /// One window, lanes `first ..< first + V.scalarCount` of its channels: argmax per lane,
        /// then g (at `o`) into the argmax cell and 0 into the others.
        @inline(__always)
        func window<V: ArgmaxLanes>(_: V.Type, _ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>,
                                    _ first: Int, _ o: Int, _ rows: Int, _ cols: Int, _ rowStride: Int) {
            let xr = UnsafeRawPointer(x), dr = UnsafeMutableRawPointer(d)
            var best = xr.loadUnaligned(fromByteOffset: first &* 4, as: V.self)
            var arg = V(repeating: 0)
            var k: Float = 0, rowStart = first
            for _ in 0..<rows {
                var q = rowStart
                for _ in 0..<cols {
                    best.keepFirstMaximum(xr.loadUnaligned(fromByteOffset: q &* 4, as: V.self), cell: k, argmax: &arg)
                    k += 1
                    q &+= c
                }
                rowStart &+= rowStride
            }
            let gv = UnsafeRawPointer(g).loadUnaligned(fromByteOffset: o &* 4, as: V.self)
            k = 0
            rowStart = first
            for _ in 0..<rows {
                var q = rowStart
                for _ in 0..<cols {
                    dr.storeBytes(of: gv.kept(where: arg, is: k), toByteOffset: q &* 4, as: V.self)
                    k += 1
                    q &+= c
                }
                rowStart &+= rowStride
            }
        }

        /// The one-channel twin of `window`.
        @inline(__always)
        func scalarWindow(_ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>,
                          _ first: Int, _ o: Int, _ rows: Int, _ cols: Int, _ rowStride: Int) {
            var at = first, best = x[first], rowStart = first
            for _ in 0..<rows {
                var q = rowStart
                for _ in 0..<cols {
                    let greater = x[q] > best
                    best = greater ? x[q] : best
                    at = greater ? q : at
                    q &+= c
                }
                rowStart &+= rowStride
            }
            rowStart = first
            for _ in 0..<rows {
                var q = rowStart
                for _ in 0..<cols { d[q] = q == at ? g[o] : 0; q &+= c }
                rowStart &+= rowStride
            }
        }
    }
}

/// The two lane operations of the disjoint-window backward, implemented on each concrete vector
/// width so that the concrete (vector) comparison and select are used, not the SIMD protocol's
/// generic lane-by-lane defaults.
protocol ArgmaxLanes: SIMD where Scalar == Float {
    /// Where `v` > self (strictly; a NaN never wins): self = v and argmax = cell.
    mutating func keepFirstMaximum(_ v: Self, cell: Float, argmax: inout Self)
    /// self where argmax == cell, else 0.
    func kept(where argmax: Self, is cell: Float) -> Self
}

extension SIMD16: ArgmaxLanes where Scalar == Float {
    @inline(__always) mutating func keepFirstMaximum(_ v: Self, cell: Float, argmax: inout Self) {
        let greater = v .> self
        self.replace(with: v, where: greater)
        argmax.replace(with: cell, where: greater)
    }
    @inline(__always) func kept(where argmax: Self, is cell: Float) -> Self { replacing(with: 0, where: argmax .!= Self(repeating: cell)) }
}

extension SIMD8: ArgmaxLanes where Scalar == Float {
    @inline(__always) mutating func keepFirstMaximum(_ v: Self, cell: Float, argmax: inout Self) {
        let greater = v .> self
        self.replace(with: v, where: greater)
        argmax.replace(with: cell, where: greater)
    }
    @inline(__always) func kept(where argmax: Self, is cell: Float) -> Self { replacing(with: 0, where: argmax .!= Self(repeating: cell)) }
}

extension SIMD4: ArgmaxLanes where Scalar == Float {
    @inline(__always) mutating func keepFirstMaximum(_ v: Self, cell: Float, argmax: inout Self) {
        let greater = v .> self
        self.replace(with: v, where: greater)
        argmax.replace(with: cell, where: greater)
    }
    @inline(__always) func kept(where argmax: Self, is cell: Float) -> Self { replacing(with: 0, where: argmax .!= Self(repeating: cell)) }
}

extension SIMD2: ArgmaxLanes where Scalar == Float {
    @inline(__always) mutating func keepFirstMaximum(_ v: Self, cell: Float, argmax: inout Self) {
        let greater = v .> self
        self.replace(with: v, where: greater)
        argmax.replace(with: cell, where: greater)
    }
    @inline(__always) func kept(where argmax: Self, is cell: Float) -> Self { replacing(with: 0, where: argmax .!= Self(repeating: cell)) }
}
