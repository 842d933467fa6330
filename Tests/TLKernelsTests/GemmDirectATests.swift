import Testing
@testable import TLKernels

/// The direct-A GEMM path (GemmDirectA.swift: alpha == 1, op(A) read in place, beta 0 or 1
/// for a transposed A, n ≤ gemmDirectMaxN per thread) against the Double reference, through
/// `checkGemm` (same error bound as the packed path's tests). Sizes cross every tile edge:
/// M of 1, 5, 17, 31, 33, 127, 129 leave 1–11 rows for the packed edge panel, and M = 64,
/// 128 and 68 use the 8-row AVX-512 tiles (exact fit, and after 12-row tiles).
@Suite struct GemmDirectATests {
    static let edges = [1, 5, 17, 31, 33, 127, 129]

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func edgeSizes(_ t: (Bool, Bool)) {
        for ctx in testContexts {
            for (x, m) in Self.edges.enumerated() {
                for (y, n) in Self.edges.enumerated() {
                    let k = Self.edges[(x + 2 * y) % Self.edges.count]
                    checkGemm(ctx, transA: t.0, transB: t.1, m: m, n: n, k: k, alpha: 1, beta: 0,
                              seed: UInt64(m * 1000 + n))
                }
            }
        }
    }

    /// beta = 1 (gradient accumulation) and K > KC (512 on AVX-512, 256 on the others): later K
    /// blocks add into C, and
    /// padded leading dimensions (A read in place with its own stride).
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func accumulateAcrossKBlocks(_ t: (Bool, Bool)) {
        for ctx in testContexts {
            for m in [64, 68, 128] {
                checkGemm(ctx, transA: t.0, transB: t.1, m: m, n: 33, k: 529, alpha: 1, beta: 1, pad: 3,
                          seed: UInt64(m))
            }
            // beta outside {0, 1} with transposed A takes the packed path; it must agree too.
            checkGemm(ctx, transA: t.0, transB: t.1, m: 31, n: 40, k: 600, alpha: 1, beta: 0.5, seed: 7)
        }
    }

    /// Both tile orders of the direct-A driver: rows outer when the packed B block (kc × nc
    /// floats) fits `gemmDirectRowsOuterFloats` (64 Ki on AVX2 and portable, 0 on AVX-512), the
    /// Goto order above it. k = 250 is one K block; n = 200 keeps every thread's block under
    /// 64 Ki floats, n = 1000 keeps it over (at 3 threads each gets 333 columns: 83 Ki floats).
    /// M = 31 leaves an edge panel, and N ragged columns.
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func bothTileOrders(_ t: (Bool, Bool)) {
        for ctx in testContexts {
            for n in [200, 1000] {
                checkGemm(ctx, transA: t.0, transB: t.1, m: 31, n: n, k: 250, alpha: 1, beta: 0, seed: UInt64(n))
                checkGemm(ctx, transA: t.0, transB: t.1, m: 31, n: n, k: 250, alpha: 1, beta: 1, seed: UInt64(n + 1))
            }
        }
    }

    /// Training shapes at reduced K (MLP batch 64, transformer rows 2048 cut to 257 to keep the
    /// Double reference fast): forward, dA = dC·Bᵀ and dB = Aᵀ·dC, and M > MC (240).
    @Test func trainingShapes() {
        for ctx in testContexts where ctx.threads != 3 {
            checkGemm(ctx, transA: false, transB: false, m: 64, n: 256, k: 97, alpha: 1, beta: 0)
            checkGemm(ctx, transA: false, transB: true, m: 64, n: 97, k: 256, alpha: 1, beta: 0)
            checkGemm(ctx, transA: true, transB: false, m: 97, n: 256, k: 64, alpha: 1, beta: 1)
            checkGemm(ctx, transA: false, transB: false, m: 257, n: 128, k: 128, alpha: 1, beta: 0)
            checkGemm(ctx, transA: true, transB: false, m: 128, n: 129, k: 257, alpha: 1, beta: 0)
        }
    }
}
