// GEMM operand packers (compiled once per backend module, like GemmDriver.swift): the A and B
// panel layouts the micro-kernels read, and the 8×8 register transpose they use.

/// Packs rows [i0, i0+mc) × columns [p0, p0+kc) of op(A) (times alpha) into MR-row panels
/// of MR·kc floats each; rows past the end are zero. Two layouts inside a panel:
/// - `rowPanels == false`: interleaved, `kc` groups of MR floats (one per row);
/// - `rowPanels == true`: row by row, row r at panel + r·kc. Packing a row-major source is
///   then a plain copy, which matters when N is small (few B panels reuse each packed A:
///   the strided interleaving stores cost up to half the run time for N = 64).
protocol PanelPackerA {
    var rowPanels: Bool { get }
    func pack(i0: Int, mc: Int, p0: Int, kc: Int, into dst: UnsafeMutablePointer<Float>)
}

/// Packs rows [p0, p0+kc) × columns [j0, j0+nc) of op(B) into NR-column panels:
/// panel q holds `kc` groups of NR floats; columns past the end are zero.
protocol PanelPackerB {
    func pack(p0: Int, kc: Int, j0: Int, nc: Int, into dst: UnsafeMutablePointer<Float>)
}

/// op(A) from a stored row-major matrix.
struct MatrixPackerA: PanelPackerA {
    let a: UnsafePointer<Float>
    let lda: Int
    let trans: Bool
    let alpha: Float

    var rowPanels: Bool { !trans }

    @inline(__always)
    func pack(i0: Int, mc: Int, p0: Int, kc: Int, into dst: UnsafeMutablePointer<Float>) {
        if trans {
            packTransposed(i0: i0, mc: mc, p0: p0, kc: kc, into: dst)
            return
        }
        // A(i, p) = a[i*lda + p]: each row is contiguous; copy it (row-panel layout).
        var d = dst
        var ib = 0
        let w = VF.scalarCount
        let av = VF(repeating: alpha)
        while ib < mc {
            let rows = min(gemmMR, mc - ib)
            for r in 0..<rows {
                let s = a + (i0 + ib + r) * lda + p0
                let dd = d + r * kc
                var p = 0
                while p + w <= kc { storeV(av * loadV(s + p), dd + p); p += w }
                while p < kc { dd[p] = alpha * s[p]; p += 1 }
            }
            if rows < gemmMR { (d + rows * kc).update(repeating: 0, count: (gemmMR - rows) * kc) }
            d += gemmMR * kc
            ib += gemmMR
        }
    }
}

extension MatrixPackerA {
    /// Transposed A (A(i, p) = a[p·lda + i]) into interleaved panels, step p outermost: one
    /// contiguous run of mc floats of source row p feeds every panel. (Panel by panel, each
    /// panel re-read the same kc source lines, lda apart: with a power-of-two lda they share
    /// a few L1 sets and came from L2 again for every panel.)
    @inline(__always)
    func packTransposed(i0: Int, mc: Int, p0: Int, kc: Int, into dst: UnsafeMutablePointer<Float>) {
        let full = mc / gemmMR, tail = mc - full * gemmMR
        let panelSize = gemmMR * kc
        let a8 = SIMD8<Float>(repeating: alpha), a4 = SIMD4<Float>(repeating: alpha)
        var s = a + p0 * lda + i0
        for p in 0..<kc {
            var d = dst + p * gemmMR
            var src = s
            for _ in 0..<full {
                // Explicit 8- and 4-lane moves (MR = 12: 8 + 4; MR = 6: 4 + 2 scalars): left
                // to the optimiser, this loop was sometimes emitted as 12 scalar moves.
                var r = 0
                while r + 8 <= gemmMR {
                    UnsafeMutableRawPointer(d + r).storeBytes(
                        of: a8 * UnsafeRawPointer(src + r).loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
                    r += 8
                }
                while r + 4 <= gemmMR {
                    UnsafeMutableRawPointer(d + r).storeBytes(
                        of: a4 * UnsafeRawPointer(src + r).loadUnaligned(as: SIMD4<Float>.self), as: SIMD4<Float>.self)
                    r += 4
                }
                while r < gemmMR { d[r] = alpha * src[r]; r += 1 }
                src += gemmMR
                d += panelSize
            }
            if tail > 0 {
                for r in 0..<tail { d[r] = alpha * src[r] }
                for r in tail..<gemmMR { d[r] = 0 }
            }
            s += lda
        }
    }
}

/// op(B) from a stored row-major matrix.
struct MatrixPackerB: PanelPackerB {
    let b: UnsafePointer<Float>
    let ldb: Int
    let trans: Bool

    @inline(__always)
    func pack(p0: Int, kc: Int, j0: Int, nc: Int, into dst: UnsafeMutablePointer<Float>) {
        if !trans {
            packRowsOuter(p0: p0, kc: kc, j0: j0, nc: nc, into: dst)
            return
        }
        var d = dst
        var jb = 0
        let w = VF.scalarCount
        while jb < nc {
            let cols = min(gemmNR, nc - jb)
            if !trans {
                // B(p, j) = b[p*ldb + j]: NR consecutive floats per step p.
                var s = b + p0 * ldb + j0 + jb
                var dd = d
                if cols == gemmNR {
                    for _ in 0..<kc {
                        var v = 0
                        while v < gemmNR { storeV(loadV(s + v), dd + v); v += w }
                        s += ldb
                        dd += gemmNR
                    }
                } else {
                    for _ in 0..<kc {
                        for t in 0..<cols { dd[t] = s[t] }
                        for t in cols..<gemmNR { dd[t] = 0 }
                        s += ldb
                        dd += gemmNR
                    }
                }
            } else {
                // B(p, j) = b[j*ldb + p]: column j of op(B) is contiguous in p. Full panels
                // are transposed in 8×8 blocks in registers (transpose8x8: shuffles only).
                if cols == gemmNR && kc >= 8 {
                    var t = 0
                    while t < gemmNR {
                        let col = b + (j0 + jb + t) * ldb + p0
                        var p = 0
                        while p + 8 <= kc {
                            transpose8x8(col + p, ldb, d + p * gemmNR + t, gemmNR)
                            p += 8
                        }
                        while p < kc {
                            for l in 0..<8 { d[p * gemmNR + t + l] = col[l * ldb + p] }
                            p += 1
                        }
                        t += 8
                    }
                    d += gemmNR * kc
                    jb += gemmNR
                    continue
                }
                for t in 0..<cols {
                    var s = b + (j0 + jb + t) * ldb + p0
                    var dd = d + t
                    for _ in 0..<kc {
                        dd.pointee = s.pointee
                        s += 1
                        dd += gemmNR
                    }
                }
                if cols < gemmNR {
                    var dd = d
                    for _ in 0..<kc {
                        for t in cols..<gemmNR { dd[t] = 0 }
                        dd += gemmNR
                    }
                }
            }
            d += gemmNR * kc
            jb += gemmNR
        }
    }
}

extension MatrixPackerB {
    /// Row-major B (B(p, j) = b[p·ldb + j]) into NR-column panels, step p outermost: source row
    /// p is read once, front to back (a stream the prefetcher follows), and its NR-float pieces
    /// go to every panel. (Panel by panel, the block was read nc/NR times in strided passes: the
    /// weight-gradient product gᵀ·x packs all of x, cold from L3, once per call.)
    @inline(__always)
    func packRowsOuter(p0: Int, kc: Int, j0: Int, nc: Int, into dst: UnsafeMutablePointer<Float>) {
        let full = nc / gemmNR, tail = nc - full * gemmNR
        let panelSize = gemmNR * kc
        let w = VF.scalarCount
        var s = b + p0 * ldb + j0
        for p in 0..<kc {
            var d = dst + p * gemmNR
            var src = s
            for _ in 0..<full {
                var v = 0
                while v < gemmNR { storeV(loadV(src + v), d + v); v += w }
                src += gemmNR
                d += panelSize
            }
            if tail > 0 {
                for t in 0..<tail { d[t] = src[t] }
                for t in tail..<gemmNR { d[t] = 0 }
            }
            s += ldb
        }
    }
}

/// d[q·ldd + l] = s[l·lds + q] for q, l < 8. Three rounds of even/odd de-interleaving of
/// row pairs rotate the 6-bit element index by 3 bits, which is the transpose; the compiler
/// turns `evenHalf`/`oddHalf` of a concatenated pair into vector shuffles. With
/// `gemmTransposeInQuads`, four 4×4 transposes of 128-bit rows instead (the same values).
@inline(__always) func transpose8x8(_ s: UnsafePointer<Float>, _ lds: Int, _ d: UnsafeMutablePointer<Float>, _ ldd: Int) {
    if gemmTransposeInQuads {
        transpose4x4(s, lds, d, ldd)
        transpose4x4(s + 4, lds, d + 4 * ldd, ldd)
        transpose4x4(s + 4 * lds, lds, d + 4, ldd)
        transpose4x4(s + 4 * lds + 4, lds, d + 4 * ldd + 4, ldd)
        return
    }
    @inline(__always) func ld(_ r: Int) -> SIMD8<Float> { UnsafeRawPointer(s + r * lds).loadUnaligned(as: SIMD8<Float>.self) }
    var (v0, v1, v2, v3, v4, v5, v6, v7) = (ld(0), ld(1), ld(2), ld(3), ld(4), ld(5), ld(6), ld(7))
    for _ in 0..<3 {
        let p0 = SIMD16(lowHalf: v0, highHalf: v1), p1 = SIMD16(lowHalf: v2, highHalf: v3)
        let p2 = SIMD16(lowHalf: v4, highHalf: v5), p3 = SIMD16(lowHalf: v6, highHalf: v7)
        (v0, v1, v2, v3, v4, v5, v6, v7) = (p0.evenHalf, p1.evenHalf, p2.evenHalf, p3.evenHalf,
                                            p0.oddHalf, p1.oddHalf, p2.oddHalf, p3.oddHalf)
    }
    @inline(__always) func st(_ v: SIMD8<Float>, _ q: Int) {
        UnsafeMutableRawPointer(d + q * ldd).storeBytes(of: v, as: SIMD8<Float>.self)
    }
    st(v0, 0); st(v1, 1); st(v2, 2); st(v3, 3); st(v4, 4); st(v5, 5); st(v6, 6); st(v7, 7)
}

/// d[q·ldd + l] = s[l·lds + q] for q, l < 4: two rounds of 128-bit unpacks (in-lane shuffles).
@inline(__always) func transpose4x4(_ s: UnsafePointer<Float>, _ lds: Int, _ d: UnsafeMutablePointer<Float>, _ ldd: Int) {
    @inline(__always) func ld(_ r: Int) -> SIMD4<Float> { UnsafeRawPointer(s + r * lds).loadUnaligned(as: SIMD4<Float>.self) }
    let r0 = ld(0), r1 = ld(1), r2 = ld(2), r3 = ld(3)
    let t0 = SIMD4(r0[0], r1[0], r0[1], r1[1]), t1 = SIMD4(r2[0], r3[0], r2[1], r3[1])
    let t2 = SIMD4(r0[2], r1[2], r0[3], r1[3]), t3 = SIMD4(r2[2], r3[2], r2[3], r3[3])
    @inline(__always) func st(_ v: SIMD4<Float>, _ q: Int) {
        UnsafeMutableRawPointer(d + q * ldd).storeBytes(of: v, as: SIMD4<Float>.self)
    }
    st(SIMD4(t0[0], t0[1], t1[0], t1[1]), 0); st(SIMD4(t0[2], t0[3], t1[2], t1[3]), 1)
    st(SIMD4(t2[0], t2[1], t3[0], t3[1]), 2); st(SIMD4(t2[2], t2[3], t3[2], t3[3]), 3)
}
