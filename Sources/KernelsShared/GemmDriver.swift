// Shared GEMM driver (compiled once per backend module: AVX-512, AVX2, portable).
// Each backend supplies VF, madd, gemmMR/NR/KC/MC/NC and microKernel (see its Config file).
//
// Loop nest (GotoBLAS order), single-threaded; TLKernels splits work across threads:
//   for jc in N by NC:                 B block  [kc, nc]  (L2/L3)
//     for pc in K by KC:  pack B
//       for ic in M by MC: pack A      A block  [mc, kc]  (L2)
//         for jr in nc by NR:          B micro-panel [kc, NR] stays in L1
//           for ir in mc by MR:        micro-kernel MR×NR in registers
// alpha is folded into the packed A; beta is applied by the first K block only.

@inline(__always) func loadV(_ p: UnsafePointer<Float>) -> VF {
    UnsafeRawPointer(p).loadUnaligned(as: VF.self)
}
@inline(__always) func loadV(_ p: UnsafeMutablePointer<Float>) -> VF {
    UnsafeRawPointer(p).loadUnaligned(as: VF.self)
}
@inline(__always) func storeV(_ v: VF, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: VF.self)
}

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
        var d = dst
        var ib = 0
        let w = VF.scalarCount
        let av = VF(repeating: alpha)
        while ib < mc {
            let rows = min(gemmMR, mc - ib)
            if !trans {
                // A(i, p) = a[i*lda + p]: each row is contiguous; copy it (row-panel layout).
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
                continue
            } else {
                // A(i, p) = a[p*lda + i]: MR consecutive floats per step p.
                var s = a + p0 * lda + i0 + ib
                var dd = d
                if rows == gemmMR {
                    // Explicit 8- and 4-lane moves (MR = 12: 8 + 4; MR = 6: 4 + 2 scalars): left
                    // to the optimiser, this loop was sometimes emitted as 12 scalar moves.
                    let a8 = SIMD8<Float>(repeating: alpha), a4 = SIMD4<Float>(repeating: alpha)
                    for _ in 0..<kc {
                        var r = 0
                        while r + 8 <= gemmMR {
                            UnsafeMutableRawPointer(dd + r).storeBytes(
                                of: a8 * UnsafeRawPointer(s + r).loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
                            r += 8
                        }
                        while r + 4 <= gemmMR {
                            UnsafeMutableRawPointer(dd + r).storeBytes(
                                of: a4 * UnsafeRawPointer(s + r).loadUnaligned(as: SIMD4<Float>.self), as: SIMD4<Float>.self)
                            r += 4
                        }
                        while r < gemmMR { dd[r] = alpha * s[r]; r += 1 }
                        s += lda
                        dd += gemmMR
                    }
                } else {
                    for _ in 0..<kc {
                        for r in 0..<rows { dd[r] = alpha * s[r] }
                        s += lda
                        dd += gemmMR
                    }
                }
            }
            if rows < gemmMR {
                var dd = d
                for _ in 0..<kc {
                    for r in rows..<gemmMR { dd[r] = 0 }
                    dd += gemmMR
                }
            }
            d += gemmMR * kc
            ib += gemmMR
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

/// d[q·ldd + l] = s[l·lds + q] for q, l < 8. Three rounds of even/odd de-interleaving of
/// row pairs rotate the 6-bit element index by 3 bits, which is the transpose; the compiler
/// turns `evenHalf`/`oddHalf` of a concatenated pair into vector shuffles.
@inline(__always) func transpose8x8(_ s: UnsafePointer<Float>, _ lds: Int, _ d: UnsafeMutablePointer<Float>, _ ldd: Int) {
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

@inline(__always) func roundUp(_ x: Int, _ m: Int) -> Int { (x + m - 1) / m * m }

/// Blocked, packed C[m, n] = op(A)·op(B) + beta·C (alpha lives in the A packer).
/// Requires m, n, k ≥ 1.
@inline(__always)
func gemmDriver<PA: PanelPackerA, PB: PanelPackerB>(
    m: Int, n: Int, k: Int, packA: PA, packB: PB,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    let kcMax = min(gemmKC, k)
    let mcMax = min(gemmMC, roundUp(m, gemmMR))
    let ncMax = min(gemmNC, roundUp(n, gemmNR))
    let aBuf = UnsafeMutableRawPointer.allocate(byteCount: mcMax * kcMax * 4, alignment: 64)
        .bindMemory(to: Float.self, capacity: mcMax * kcMax)
    let bBuf = UnsafeMutableRawPointer.allocate(byteCount: kcMax * ncMax * 4, alignment: 64)
        .bindMemory(to: Float.self, capacity: kcMax * ncMax)
    let edge = UnsafeMutableRawPointer.allocate(byteCount: gemmMR * gemmNR * 4, alignment: 64)
        .bindMemory(to: Float.self, capacity: gemmMR * gemmNR)
    defer { aBuf.deallocate(); bBuf.deallocate(); edge.deallocate() }
    let rowPanels = packA.rowPanels

    var jc = 0
    while jc < n {
        let nc = min(gemmNC, n - jc)
        var pc = 0
        while pc < k {
            let kc = min(gemmKC, k - pc)
            let betaBlock: Float = pc == 0 ? beta : 1
            packB.pack(p0: pc, kc: kc, j0: jc, nc: nc, into: bBuf)
            var ic = 0
            while ic < m {
                let mc = min(gemmMC, m - ic)
                packA.pack(i0: ic, mc: mc, p0: pc, kc: kc, into: aBuf)
                var jr = 0
                while jr < nc {
                    let nr = min(gemmNR, nc - jr)
                    let bp = UnsafePointer(bBuf + jr * kc)
                    var ir = 0
                    while ir < mc {
                        let mr = min(gemmMR, mc - ir)
                        let ap = UnsafePointer(aBuf + ir * kc)
                        let cp = c + (ic + ir) * ldc + jc + jr
                        if mr == gemmMR && nr == gemmNR {
                            if rowPanels {
                                microKernelRows(kc, ap, kc, bp, cp, ldc, betaBlock)
                            } else {
                                microKernel(kc, ap, bp, cp, ldc, betaBlock)
                            }
                        } else {
                            if rowPanels {
                                microKernelRows(kc, ap, kc, bp, edge, gemmNR, 0)
                            } else {
                                microKernel(kc, ap, bp, edge, gemmNR, 0)
                            }
                            for r in 0..<mr {
                                let crow = cp + r * ldc
                                let erow = edge + r * gemmNR
                                if betaBlock == 0 {
                                    for t in 0..<nr { crow[t] = erow[t] }
                                } else {
                                    for t in 0..<nr { crow[t] = erow[t] + betaBlock * crow[t] }
                                }
                            }
                        }
                        ir += gemmMR
                    }
                    jr += gemmNR
                }
                ic += gemmMC
            }
            pc += gemmKC
        }
        jc += gemmNC
    }
}

/// C = beta·C on an [m, n] block (used when k == 0 or alpha == 0).
func scaleBlock(m: Int, n: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    for i in 0..<m {
        let row = c + i * ldc
        if beta == 0 {
            for j in 0..<n { row[j] = 0 }
        } else if beta != 1 {
            for j in 0..<n { row[j] *= beta }
        }
    }
}

/// Unpacked loops for tiny products, where packing and allocation would dominate.
func smallGemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
               a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
               beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    let sa = transA ? 1 : lda, pa = transA ? lda : 1   // A(i, p) = a[i*sa + p*pa]
    let sb = transB ? 1 : ldb, pb = transB ? ldb : 1   // B(p, j) = b[p*sb + j*pb]
    for i in 0..<m {
        for j in 0..<n {
            var acc: Float = 0
            var ap = a + i * sa
            var bp = b + j * pb
            for _ in 0..<k {
                acc += ap.pointee * bp.pointee
                ap += pa
                bp += sb
            }
            let cij = c + i * ldc + j
            cij.pointee = beta == 0 ? alpha * acc : alpha * acc + beta * cij.pointee
        }
    }
}

/// Single-threaded SGEMM of this backend (same contract as TLKernels.sgemm, raw pointers).
public func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                 a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                 beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    guard m > 0, n > 0 else { return }
    if k == 0 || alpha == 0 {
        scaleBlock(m: m, n: n, beta: beta, c: c, ldc: ldc)
        return
    }
    if m * n * k <= 4096 {
        smallGemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                  a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        return
    }
    if useDirectA(transA: transA, n: n, k: k, alpha: alpha, beta: beta) {
        gemmDriverDirectA(m: m, n: n, k: k, a: a, lda: lda, transA: transA,
                          packB: MatrixPackerB(b: b, ldb: ldb, trans: transB), beta: beta, c: c, ldc: ldc)
        return
    }
    gemmDriver(m: m, n: n, k: k,
               packA: MatrixPackerA(a: a, lda: lda, trans: transA, alpha: alpha),
               packB: MatrixPackerB(b: b, ldb: ldb, trans: transB),
               beta: beta, c: c, ldc: ldc)
}
