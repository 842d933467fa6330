// Direct-A GEMM driver (compiled once per backend module, like GemmDriver.swift).
//
// When alpha == 1 the micro-kernels can read op(A) where it is stored instead of from a packed
// copy: a row-major A (row r at a + r·lda, contiguous in p) is exactly the layout of the
// "rows" micro-kernel, and a transposed A (A(i, p) = a[p·lda + i]) is the layout the
// weight-gradient micro-kernel reads with aStep = lda. Packing A costs one read and one write
// of m·k floats per B block, which is a large share of the time when n is small (few B
// panels reuse each packed A: the batch-64 training shapes, the transformer's M = 32–128
// weight-gradient products) and is repeated by every thread when the work is split along N.
//
// Only B is packed (once per kc×nc block, as in gemmDriver). Rows go in register tiles of
// gemmMR, or of gemmMRAlt where those fit the remaining rows exactly (AVX-512: M = 64 is
// eight 8-row tiles instead of five 12-row tiles and a 12-row tile holding 4 rows); the last
// rows that fit no tile are packed zero-padded into a small panel once per B block.

/// Rows of the next register tile when `rem` rows are left (transA: only full gemmMR tiles
/// read in place). A result below the tile size means "the edge": pack these rows.
@inline(__always) func directRowStep(_ rem: Int, transA: Bool) -> Int {
    if transA { return min(rem, gemmMR) }
    if rem % gemmMR == 0 { return gemmMR }
    if gemmPreferAltTiles && rem % gemmMRAlt == 0 { return gemmMRAlt }
    if rem >= gemmMR { return gemmMR }
    return rem >= gemmMRAlt ? gemmMRAlt : rem
}

/// Whether `directRowStep(rows, transA:)` is computed straight from A (not through the edge panel).
@inline(__always) func isDirectTile(_ rows: Int, transA: Bool) -> Bool {
    rows == gemmMR || (!transA && rows == gemmMRAlt)
}

/// Whether the direct-A driver applies and pays: alpha == 1 (nothing to fold into A), few B
/// panels per A block (n ≤ gemmDirectMaxN), where packing A is not amortised; for a
/// transposed A also beta of 0 or 1 (the in-place kernel adds or overwrites) and k ≤
/// `gemmDirectTransposedMaxK`:
/// its micro-panel is kc rows lda apart, which with a power-of-two lda and a long kc maps to
/// a few L1 sets and is evicted between B panels (2048×512·512×128 Aᵀ·B lost a third).
/// A row-major A is read in place only when its row stride is not a multiple of 4 KiB (one
/// L1 way: 64 sets × 64 B): otherwise the micro-kernel's MR rows all map to the same L1 sets
/// and evict each other (1024³ and the 2048 × 2048 · 2048 × 1024 dA product: direct 125–139
/// GFLOPS, packed 146–150 on the Xeon, one thread, CPU clock).
@inline(__always) func useDirectA(transA: Bool, n: Int, k: Int, alpha: Float, beta: Float, lda: Int) -> Bool {
    guard alpha == 1 && n <= gemmDirectMaxN else { return false }
    if !transA { return lda % (4096 / MemoryLayout<Float>.size) != 0 }
    return (beta == 0 || beta == 1) && k <= gemmDirectTransposedMaxK
}

/// Longest K for which a transposed A is read in place (the K block of every backend until the
/// AVX-512 one grew to 512; kept at 256, where the measurements above were made).
let gemmDirectTransposedMaxK = 256

/// C[m, n] = op(A)·op(B) + beta·C with op(A) read in place (alpha must be 1; beta must be 0
/// or 1 when transA). Requires m, n, k ≥ 1.
@inline(__always)
func gemmDriverDirectA<PB: PanelPackerB>(
    m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, transA: Bool, packB: PB,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>? = nil,
    epilogue: GeluEpilogue? = nil, workspace: UnsafeMutableBufferPointer<Float>? = nil
) {
    let kcMax = kcBlock(k)
    let ncMax = min(gemmNC, roundUp(n, gemmNR))
    // The packed B block, the edge tile and the edge rows' panel: in the caller's workspace
    // (gemmWorkspaceFloats), or allocated for this call.
    let needed = roundUp(kcMax * ncMax, 16) + roundUp(gemmMR * gemmNR, 16) + gemmMR * kcMax
    precondition((workspace?.count ?? needed) >= needed, "gemm: workspace smaller than gemmWorkspaceFloats")
    let ownBuffer = workspace == nil
    let buffer = workspace?.baseAddress ?? allocateAligned(needed)
    defer { if ownBuffer { buffer.deallocate() } }
    let bBuf = buffer, edge = bBuf + roundUp(kcMax * ncMax, 16), aEdge = edge + roundUp(gemmMR * gemmNR, 16)
    let edgePacker = MatrixPackerA(a: a, lda: lda, trans: transA, alpha: 1)

    var jc = 0
    while jc < n {
        let nc = min(gemmNC, n - jc)
        var pc = 0
        while pc < k {
            let kc = min(kcMax, k - pc)
            let betaBlock: Float = pc == 0 ? beta : 1
            packB.pack(p0: pc, kc: kc, j0: jc, nc: nc, into: bBuf)
            var ic = 0
            while ic < m {
                let mc = min(gemmMC, m - ic)
                // The edge rows (if any) are the last step of the block: pack them once.
                var edgeStart = mc
                var ir = 0
                while ir < mc {
                    let rows = directRowStep(mc - ir, transA: transA)
                    if !isDirectTile(rows, transA: transA) { edgeStart = ir; break }
                    ir += rows
                }
                if edgeStart < mc {
                    edgePacker.pack(i0: ic + edgeStart, mc: mc - edgeStart, p0: pc, kc: kc, into: aEdge)
                }
                // One register tile: `rows` rows from ir × columns [jr, jr + NR) of the B block.
                @inline(__always) func tile(_ ir: Int, _ rows: Int, _ jr: Int) {
                    let nr = min(gemmNR, nc - jr)
                    let bp = UnsafePointer(bBuf + jr * kc)
                    let i = ic + ir
                    let cp = c + i * ldc + jc + jr
                    let direct = isDirectTile(rows, transA: transA)
                    let full = direct && nr == gemmNR
                    let dst = full ? cp : edge
                    let dldc = full ? ldc : gemmNR
                    let dbeta: Float = full ? betaBlock : 0
                    if !direct {
                        if transA {
                            microKernel(kc, UnsafePointer(aEdge), bp, dst, dldc, dbeta)
                        } else {
                            microKernelRows(kc, UnsafePointer(aEdge), kc, bp, dst, dldc, dbeta)
                        }
                    } else if transA {
                        wgradMicroKernel(1, kc, a + pc * lda + i, lda, 0, bp, gemmNR, 0, dst, dldc, dbeta)
                    } else if rows == gemmMR {
                        microKernelRows(kc, a + i * lda + pc, lda, bp, dst, dldc, dbeta)
                    } else {
                        microKernelRowsAlt(kc, a + i * lda + pc, lda, bp, dst, dldc, dbeta)
                    }
                    if !full {
                        writeEdgeTile(UnsafePointer(edge), rows: rows, cols: nr, beta: betaBlock, c: cp, ldc: ldc)
                    }
                    if pc == 0, let bias { addBiasTile(bias + jc + jr, rows: rows, cols: nr, c: cp, ldc: ldc) }
                    if let epilogue, pc + kc == k {
                        biasGeluTile(epilogue.bias + jc + jr, rows: rows, cols: nr, c: cp, out: epilogue.out + (cp - c), ldc: ldc,
                                     derivative: epilogue.derivative, mask: epilogue.mask.map { $0 + (cp - c) })
                    }
                }
                if kc * nc <= gemmDirectRowsOuterFloats {
                    // Rows outer: the A micro-panel stays in L1 against the L2-resident B block,
                    // and consecutive tiles walk along C's rows (and the epilogue's out and mask
                    // rows): sequential lines the hardware prefetcher follows.
                    ir = 0
                    while ir < mc {
                        let rows = directRowStep(mc - ir, transA: transA)
                        var jr = 0
                        while jr < nc { tile(ir, rows, jr); jr += gemmNR }
                        ir += rows
                    }
                } else {
                    var jr = 0
                    while jr < nc {
                        ir = 0
                        while ir < mc {
                            let rows = directRowStep(mc - ir, transA: transA)
                            tile(ir, rows, jr)
                            ir += rows
                        }
                        jr += gemmNR
                    }
                }
                ic += gemmMC
            }
            pc += kcMax
        }
        jc += gemmNC
    }
}
