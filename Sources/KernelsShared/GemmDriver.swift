// Shared GEMM driver (compiled once per backend module: AVX-512, AVX2, portable).
// Each backend supplies VF, madd, gemmMR/NR/KC/MC/NC and microKernel (see its Config file).
//
// Loop nest (GotoBLAS order), single-threaded; TLKernels splits work across threads:
//   for jc in N by NC:                 B block  [kc, nc]  (L2/L3)
//     for pc in K by KC:  pack B
//       for ic in M by MC: pack A      A block  [mc, kc]  (L2)
//         for jr in nc by NR:          B micro-panel [kc, NR] stays in L1
//           for ir in mc by MR:        micro-kernel MR×NR in registers
// or, with `gemmRowsOuter` (AVX-512), the two inner loops swapped: the A micro-panel
// [MR, kc] stays in L1 while the B micro-panels stream from the L2-resident B block, and
// consecutive tiles walk along C's rows (sequential lines the hardware prefetcher follows)
// instead of jumping MR rows down: on the Xeon (48 KiB L1d, 2 MiB L2, 16 MiB C) 2048³
// went from ~135 to ~147 GFLOPS (one thread, CPU clock, standalone harness of this driver).
// alpha is folded into the packed A; beta is applied by the first K block only, and so is an
// optional bias row (gemmBias: added to each tile right after the first K block writes it).
// An optional GELU epilogue (gemmBiasGelu) runs on each tile right after its LAST K block:
// bias added to the finished sum, GELU (and its derivative) written out, while the tile is in L1.

import TLKernelTable

@inline(__always) func loadV(_ p: UnsafePointer<Float>) -> VF {
    UnsafeRawPointer(p).loadUnaligned(as: VF.self)
}
@inline(__always) func loadV(_ p: UnsafeMutablePointer<Float>) -> VF {
    UnsafeRawPointer(p).loadUnaligned(as: VF.self)
}
@inline(__always) func storeV(_ v: VF, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: VF.self)
}

@inline(__always) func roundUp(_ x: Int, _ m: Int) -> Int { (x + m - 1) / m * m }

/// K-block length of both drivers: k cut into ceil(k / gemmKC) nearly equal blocks (a
/// multiple of 8 when that still fits gemmKC), so no block is a short remainder: k = 384 runs
/// as 192 + 192 instead of 256 + 128 (a short block still costs a full pass over C).
/// `limit` is gemmKC, or gemmKCInterleavedA for an op(A) packed into interleaved panels.
@inline(__always) func kcBlock(_ k: Int, limit: Int = gemmKC) -> Int {
    let blocks = (k + limit - 1) / limit
    return min(limit, roundUp((k + blocks - 1) / blocks, 8))
}

/// Writes the valid [rows, cols] corner of a scratch tile (row stride gemmNR) that a
/// micro-kernel computed with beta = 0 into C: C = tile when beta == 0 (old C ignored, even
/// NaN), else C = tile + beta·C. The edge-tile write-back of both GEMM drivers.
@inline(__always)
func writeEdgeTile(_ tile: UnsafePointer<Float>, rows: Int, cols: Int, beta: Float,
                   c: UnsafeMutablePointer<Float>, ldc: Int) {
    for r in 0..<rows {
        let crow = c + r * ldc
        let erow = tile + r * gemmNR
        if beta == 0 {
            for t in 0..<cols { crow[t] = erow[t] }
        } else {
            for t in 0..<cols { crow[t] = erow[t] + beta * crow[t] }
        }
    }
}

/// Adds bias[j] to every row of the [rows, cols] block at c (the bias epilogue of the first K
/// block, applied to a tile its micro-kernel has just written, still in L1).
@inline(__always)
func addBiasTile(_ bias: UnsafePointer<Float>, rows: Int, cols: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
    let w = VF.scalarCount
    for r in 0..<rows {
        let crow = c + r * ldc
        var j = 0
        while j + w <= cols { storeV(loadV(crow + j) + loadV(bias + j), crow + j); j += w }
        while j < cols { crow[j] += bias[j]; j += 1 }
    }
}

/// The bias + GELU epilogue of `gemmBiasGelu`, run on each tile after its last K block:
/// pre = C + bias, out = GELU(pre)·mask, and C ← GELU′(pre)·mask (the backward pass's factor,
/// d out / d pre) when `derivative`, else C ← pre. `bias` is C's column 0's entry; `out` and
/// `mask` (a dropout's factors; nil: no mask) have C's row stride, out[0] and mask[0] go with
/// c[0]; out == c (without `derivative`) keeps only the GELU (inference).
struct GeluEpilogue {
    let bias: UnsafePointer<Float>
    let out: UnsafeMutablePointer<Float>
    let derivative: Bool
    var mask: UnsafePointer<Float>? = nil
}

/// pre = c[r, j] + bias[j]; out[r, j] = GELU(pre) and c[r, j] = GELU′(pre) or pre (`geluV` /
/// `geluAndDerivativeV`, the lane functions of `gelu` and `geluBackward`: bit-identical to the
/// separate bias add, `gelu` pass and `geluBackward` with dy = 1), [rows, cols] at c / out.
/// With `mask` (same layout as out): out = GELU(pre)·mask and, with `derivative`,
/// c = GELU′(pre)·mask (bit-identical to multiplying each by the mask in a later pass).
@inline(__always)
func biasGeluTile(_ bias: UnsafePointer<Float>, rows: Int, cols: Int, c: UnsafeMutablePointer<Float>,
                  out: UnsafeMutablePointer<Float>, ldc: Int, derivative: Bool, mask: UnsafePointer<Float>? = nil) {
    if let mask {
        maskedBiasGeluTile(bias, rows: rows, cols: cols, c: c, out: out, ldc: ldc, derivative: derivative, mask: mask)
        return
    }
    let w = VF.scalarCount
    for r in 0..<rows {
        let crow = c + r * ldc, orow = out + r * ldc
        var j = 0
        if derivative {
            while j + w <= cols {
                let (g, d) = geluAndDerivativeV(loadV(crow + j) + loadV(bias + j))
                storeV(d, crow + j)
                storeV(g, orow + j)
                j += w
            }
        } else {
            while j + w <= cols {
                let v = loadV(crow + j) + loadV(bias + j)
                storeV(v, crow + j)
                storeV(geluV(v), orow + j)
                j += w
            }
        }
        if j < cols {
            let n = cols - j
            let v = loadPartial(crow + j, n, fill: 0) + loadPartial(bias + j, n, fill: 0)
            let (g, d) = geluAndDerivativeV(v)
            storePartial(derivative ? d : v, crow + j, n)
            storePartial(g, orow + j, n)
        }
    }
}

/// `biasGeluTile` with a dropout mask (kept out of line of the unmasked loop, which inference
/// and BERT's blocks run): out = GELU(pre)·mask, c = GELU′(pre)·mask or pre.
@inline(never)
func maskedBiasGeluTile(_ bias: UnsafePointer<Float>, rows: Int, cols: Int, c: UnsafeMutablePointer<Float>,
                        out: UnsafeMutablePointer<Float>, ldc: Int, derivative: Bool, mask: UnsafePointer<Float>) {
    let w = VF.scalarCount
    for r in 0..<rows {
        let crow = c + r * ldc, orow = out + r * ldc, mrow = mask + r * ldc
        var j = 0
        while j < cols {
            let n = min(w, cols - j)
            let v = n == w ? loadV(crow + j) + loadV(bias + j)
                           : loadPartial(crow + j, n, fill: 0) + loadPartial(bias + j, n, fill: 0)
            let f = n == w ? loadV(mrow + j) : loadPartial(mrow + j, n, fill: 0)
            let (g, d) = geluAndDerivativeV(v)
            let cv = derivative ? d * f : v
            if n == w { storeV(cv, crow + j); storeV(g * f, orow + j) } else { storePartial(cv, crow + j, n); storePartial(g * f, orow + j, n) }
            j += w
        }
    }
}

/// Blocked, packed C[m, n] = op(A)·op(B) + beta·C (alpha lives in the A packer).
/// Requires m, n, k ≥ 1.
@inline(__always)
func gemmDriver<PA: PanelPackerA, PB: PanelPackerB>(
    m: Int, n: Int, k: Int, packA: PA, packB: PB,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>? = nil,
    epilogue: GeluEpilogue? = nil, workspace: UnsafeMutableBufferPointer<Float>? = nil
) {
    let kcMax = kcBlock(k, limit: packA.rowPanels ? gemmKC : gemmKCInterleavedA)
    let mcMax = min(gemmMC, roundUp(m, gemmMR))
    let ncMax = min(gemmNC, roundUp(n, gemmNR))
    // With more than one NC block, the loop nest packs each [mc, kc] A block once per NC
    // block. When op(A)'s whole K block fits `gemmWholeAFloats`, it is packed once per K block
    // instead (row panel r at aBuf + r·kc) and the NC loop runs inside the K loop. The tiles see
    // the same packed values and each C element sums its K blocks in the same order, so the
    // result is bit-identical to the plain nest.
    let wholeA = n > gemmNC && roundUp(m, gemmMR) * kcMax <= gemmWholeAFloats
    let aFloats = wholeA ? roundUp(m, gemmMR) * kcMax : mcMax * kcMax
    // The packed blocks and the edge tile: in the caller's workspace (gemmWorkspaceFloats), or
    // allocated for this call.
    let needed = roundUp(aFloats, 16) + roundUp(kcMax * ncMax, 16) + gemmMR * gemmNR
    precondition((workspace?.count ?? needed) >= needed, "gemm: workspace smaller than gemmWorkspaceFloats")
    let ownBuffer = workspace == nil
    let buffer = workspace?.baseAddress ?? allocateAligned(needed)
    defer { if ownBuffer { buffer.deallocate() } }
    let aBuf = buffer, bBuf = aBuf + roundUp(aFloats, 16), edge = bBuf + roundUp(kcMax * ncMax, 16)
    let rowPanels = packA.rowPanels

    // The tiles of rows [ic, ic+mc) × columns [jc, jc+nc) for K block [pc, pc+kc), the A block
    // packed at aBlock and the B block at bBuf.
    @inline(__always) func block(ic: Int, mc: Int, jc: Int, nc: Int, pc: Int, kc: Int, aBlock: UnsafeMutablePointer<Float>) {
        let betaBlock: Float = pc == 0 ? beta : 1
        // One register tile: rows [ir, ir+MR) of the A block × columns [jr, jr+NR) of the B block.
        @inline(__always) func tile(_ ir: Int, _ jr: Int) {
            let mr = min(gemmMR, mc - ir), nr = min(gemmNR, nc - jr)
            let ap = UnsafePointer(aBlock + ir * kc), bp = UnsafePointer(bBuf + jr * kc)
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
                writeEdgeTile(UnsafePointer(edge), rows: mr, cols: nr, beta: betaBlock, c: cp, ldc: ldc)
            }
            if pc == 0, let bias { addBiasTile(bias + jc + jr, rows: mr, cols: nr, c: cp, ldc: ldc) }
            if let epilogue, pc + kc == k {
                biasGeluTile(epilogue.bias + jc + jr, rows: mr, cols: nr, c: cp, out: epilogue.out + (cp - c), ldc: ldc,
                             derivative: epilogue.derivative, mask: epilogue.mask.map { $0 + (cp - c) })
            }
        }
        if gemmRowsOuter {
            for ir in stride(from: 0, to: mc, by: gemmMR) {
                for jr in stride(from: 0, to: nc, by: gemmNR) { tile(ir, jr) }
            }
        } else {
            for jr in stride(from: 0, to: nc, by: gemmNR) {
                for ir in stride(from: 0, to: mc, by: gemmMR) { tile(ir, jr) }
            }
        }
    }

    if wholeA {
        var pc = 0
        while pc < k {
            let kc = min(kcMax, k - pc)
            var ic = 0
            while ic < m {
                packA.pack(i0: ic, mc: min(gemmMC, m - ic), p0: pc, kc: kc, into: aBuf + ic * kc)
                ic += gemmMC
            }
            var jc = 0
            while jc < n {
                let nc = min(gemmNC, n - jc)
                packB.pack(p0: pc, kc: kc, j0: jc, nc: nc, into: bBuf)
                ic = 0
                while ic < m {
                    block(ic: ic, mc: min(gemmMC, m - ic), jc: jc, nc: nc, pc: pc, kc: kc, aBlock: aBuf + ic * kc)
                    ic += gemmMC
                }
                jc += gemmNC
            }
            pc += kcMax
        }
        return
    }
    var jc = 0
    while jc < n {
        let nc = min(gemmNC, n - jc)
        var pc = 0
        while pc < k {
            let kc = min(kcMax, k - pc)
            packB.pack(p0: pc, kc: kc, j0: jc, nc: nc, into: bBuf)
            var ic = 0
            while ic < m {
                let mc = min(gemmMC, m - ic)
                packA.pack(i0: ic, mc: mc, p0: pc, kc: kc, into: aBuf)
                block(ic: ic, mc: mc, jc: jc, nc: nc, pc: pc, kc: kc, aBlock: aBuf)
                ic += gemmMC
            }
            pc += kcMax
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
               beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>? = nil) {
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
            if let bias { cij.pointee += bias[j] }
        }
    }
}

/// Single-threaded SGEMM of this backend (same contract as TLKernels.sgemm, raw pointers).
public func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                 a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                 beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    gemmCore(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
             b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, bias: nil)
}

/// C[m, n] = alpha·op(A)·op(B) + bias (bias[j] added to every row; C's old contents ignored):
/// the bias is added to each register tile right after the first K block writes it, instead
/// of a separate pass that fills C with bias rows before a beta = 1 product.
public func gemmBias(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                     a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                     bias: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int) {
    gemmCore(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
             b: b, ldb: ldb, beta: 0, c: c, ldc: ldc, bias: bias)
}

/// pre[m, n] = alpha·op(A)·op(B) + bias (old C ignored), out[m, n] = GELU(pre) (erf form; row
/// stride ldc), and C = GELU′(pre) when `derivative`, else C = pre (then out may be c itself:
/// C ends as GELU only). The bias and GELU are applied to each register tile after its last K
/// block, while it is in L1: bit-identical to `gemm` with beta = 0, C += bias, then `gelu` (and
/// `geluBackward` with dy = 1 for the derivative). With `mask` (a dropout's factors, row stride
/// ldc): out = GELU(pre)·mask and C = GELU′(pre)·mask when `derivative`.
public func gemmBiasGelu(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                         a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                         bias: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int,
                         out: UnsafeMutablePointer<Float>, derivative: Bool, mask: UnsafePointer<Float>? = nil) {
    gemmCore(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
             beta: 0, c: c, ldc: ldc, bias: nil, epilogue: GeluEpilogue(bias: bias, out: out, derivative: derivative, mask: mask))
}

@inline(__always)
func gemmCore(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
              a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
              beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>?,
              epilogue: GeluEpilogue? = nil, workspace: UnsafeMutableBufferPointer<Float>? = nil) {
    guard m > 0, n > 0 else { return }
    if k == 0 || alpha == 0 || m * n * k <= gemmSmallProductLimit {
        if k == 0 || alpha == 0 {
            scaleBlock(m: m, n: n, beta: beta, c: c, ldc: ldc)
            if let bias {
                for i in 0..<m { addBiasTile(bias, rows: 1, cols: n, c: c + i * ldc, ldc: ldc) }
            }
        } else {
            smallGemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                      a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, bias: bias)
        }
        if let epilogue {
            biasGeluTile(epilogue.bias, rows: m, cols: n, c: c, out: epilogue.out, ldc: ldc, derivative: epilogue.derivative,
                         mask: epilogue.mask)
        }
        return
    }
    if useDirectA(transA: transA, n: n, k: k, alpha: alpha, beta: beta, lda: lda) {
        gemmDriverDirectA(m: m, n: n, k: k, a: a, lda: lda, transA: transA,
                          packB: MatrixPackerB(b: b, ldb: ldb, trans: transB), beta: beta, c: c, ldc: ldc, bias: bias,
                          epilogue: epilogue, workspace: workspace)
        return
    }
    gemmDriver(m: m, n: n, k: k,
               packA: MatrixPackerA(a: a, lda: lda, trans: transA, alpha: alpha),
               packB: MatrixPackerB(b: b, ldb: ldb, trans: transB),
               beta: beta, c: c, ldc: ldc, bias: bias, epilogue: epilogue, workspace: workspace)
}

/// Floats of a workspace large enough for either driver on an [m, n] × k product (any
/// transposition): `gemmCore(…, workspace:)` then allocates nothing (the drivers check the
/// size they need against it). Each part starts 64-byte aligned when the workspace does.
func gemmWorkspaceFloats(m: Int, n: Int, k: Int) -> Int {
    let kc = min(max(gemmKC, gemmKCInterleavedA), roundUp(max(k, 1), 8))
    let rows = n > gemmNC ? roundUp(m, gemmMR) : min(gemmMC, roundUp(m, gemmMR))
    let b = kc * min(gemmNC, roundUp(n, gemmNR))
    return roundUp(rows * kc, 16) + roundUp(b, 16) + roundUp(gemmMR * gemmNR, 16) + roundUp(gemmMR * kc, 16)
}
