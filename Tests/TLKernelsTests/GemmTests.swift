import Testing
@testable import TLKernels

/// Runs the fast GEMM (with `ctx`) and the Double-accumulated reference on the same inputs,
/// and checks every element against the standard forward error bound of a length-k dot
/// product in Float32: |ĉ − c| ≤ γ·(|α|·Σ_p |a_ip||b_pj| + |β||c_ij|), γ = (k + 3)·u.
/// (k roundings in the accumulation — blocked/FMA summation only improves on that — plus
/// the α scaling in packing, the β product and the final add.) We allow 2γ for margin; an
/// indexing or packing bug produces errors of order 1 relative to the scale, far above it.
func checkGemm(_ ctx: KernelContext, transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
               alpha: Float, beta: Float, pad: Int = 0, seed: UInt64 = 1) {
    let lda = (transA ? m : k) + pad, ldb = (transB ? k : n) + pad, ldc = n + pad
    let a = randomArray((transA ? k : m) * lda, seed: seed)
    let b = randomArray((transB ? n : k) * ldb, seed: seed + 1)
    let c0 = randomArray(m * ldc, seed: seed + 2)
    var fast = c0, ref = c0, scale = [Float](repeating: 0, count: m * ldc)
    let absA = a.map(abs), absB = b.map(abs)
    a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in
        fast.withUnsafeMutableBufferPointer { cp in
            sgemmThreaded(ctx, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                          a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb,
                          beta: beta, c: cp.baseAddress!, ldc: ldc)
        }
        ref.withUnsafeMutableBufferPointer { cp in
            sgemmReference(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                           a: ap, lda: lda, b: bp, ldb: ldb, beta: beta, c: cp, ldc: ldc)
        }
    } }
    absA.withUnsafeBufferPointer { ap in absB.withUnsafeBufferPointer { bp in
        scale.withUnsafeMutableBufferPointer { sp in
            sgemmReference(transA: transA, transB: transB, m: m, n: n, k: k, alpha: abs(alpha),
                           a: ap, lda: lda, b: bp, ldb: ldb, beta: 0, c: sp, ldc: ldc)
        }
    } }
    for i in 0..<m {
        for j in 0..<n {
            scale[i * ldc + j] += abs(beta) * abs(c0[i * ldc + j])
        }
        // Padding columns of C (j ≥ n) must be untouched.
        for j in n..<ldc { #expect(fast[i * ldc + j] == c0[i * ldc + j]) }
    }
    let gamma = Float(k + 3) * unitRoundoff
    let err = maxScaledError(fast, ref, scale: scale)
    #expect(err <= 2 * gamma + 1e-7,
            "\(ctx.backend) t=\(ctx.threads) tA=\(transA) tB=\(transB) m=\(m) n=\(n) k=\(k) α=\(alpha) β=\(beta) pad=\(pad): err \(err)")
}

@Suite struct GemmTests {
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func edgeSizesAllTranspositions(_ t: (Bool, Bool)) {
        let sizes = [1, 2, 7, 17, 63, 65, 129]
        for ctx in testContexts {
            for m in sizes {
                for n in [1, 7, 33, 65] {
                    checkGemm(ctx, transA: t.0, transB: t.1, m: m, n: n, k: sizes[(m + n) % sizes.count],
                              alpha: 1, beta: 0, seed: UInt64(m * 131 + n))
                }
            }
        }
    }

    @Test func alphaBetaAndPaddedLeadingDimensions() {
        for ctx in testContexts {
            for (tA, tB) in [(false, false), (true, false), (false, true), (true, true)] {
                checkGemm(ctx, transA: tA, transB: tB, m: 37, n: 45, k: 29, alpha: 0.75, beta: -0.5, pad: 3)
                checkGemm(ctx, transA: tA, transB: tB, m: 64, n: 96, k: 300, alpha: -1.5, beta: 1, pad: 5)
            }
        }
    }

    /// Crosses every cache block boundary: K > KC (512 / 256), M > MC (240), N > NC on AVX2 is too
    /// large for a fast test, so N crosses several NR panels instead.
    @Test func blockBoundaries() {
        for ctx in testContexts where ctx.threads != 3 {
            checkGemm(ctx, transA: false, transB: false, m: 250, n: 70, k: 520, alpha: 1, beta: 0.5)
            checkGemm(ctx, transA: true, transB: true, m: 241, n: 97, k: 257, alpha: 2, beta: 0)
        }
    }

    /// K is cut into nearly equal blocks (KC = 256: k = 384 as 192 + 192, k = 600 as 3 × 200;
    /// KC = 512 on AVX-512 for a row-major A: 384 in one block, 600 as 2 × 300, 1100 as
    /// 368 + 368 + 364; a transposed A keeps 256 there): every block after the first
    /// accumulates into C. alpha ≠ 1 forces the packed-A driver; transA
    /// also exercises the step-outermost transposed packer with a ragged last panel (m = 50).
    @Test func evenKBlocksAllTranspositions() {
        for ctx in testContexts where ctx.threads != 3 {
            for (tA, tB) in [(false, false), (true, false), (false, true), (true, true)] {
                checkGemm(ctx, transA: tA, transB: tB, m: 50, n: 40, k: 384, alpha: 0.5, beta: 0)
                checkGemm(ctx, transA: tA, transB: tB, m: 50, n: 70, k: 600, alpha: 1, beta: 1, pad: 2)
                checkGemm(ctx, transA: tA, transB: tB, m: 29, n: 40, k: 1100, alpha: 0.5, beta: 0)
            }
        }
    }

    /// The row-major B packer walks source rows front to back and deals each row's NR-float
    /// pieces to every panel: N past one B block (NC = 1024 on AVX-512; the 8-lane backends'
    /// NC = 2048 is not crossed here), a ragged last panel, a padded ldb and K blocks after
    /// the first.
    @Test func rowMajorBPackerAcrossBlocks() {
        for ctx in testContexts where ctx.threads != 3 {
            checkGemm(ctx, transA: false, transB: false, m: 13, n: 1100, k: 40, alpha: 1, beta: 0, pad: 3)
            checkGemm(ctx, transA: true, transB: false, m: 30, n: 1061, k: 300, alpha: 1, beta: 0)
            checkGemm(ctx, transA: false, transB: false, m: 70, n: 45, k: 530, alpha: 0.5, beta: 1, pad: 1)
        }
    }

    /// N past NC on every backend (2048 on the 8-lane ones): the packed driver packs op(A)'s
    /// whole K block once and runs the NC blocks inside the K loop (GemmDriver.swift), with
    /// alpha in the packed A, beta on the first K block, a ragged last B block and A panel.
    @Test func wholeAPackingAcrossNCBlocks() {
        for ctx in testContexts where ctx.threads != 3 {
            checkGemm(ctx, transA: true, transB: true, m: 25, n: 2100, k: 300, alpha: 0.5, beta: 1, pad: 2)
            checkGemm(ctx, transA: false, transB: false, m: 19, n: 2090, k: 40, alpha: -1, beta: 0)
        }
    }

    @Test func betaZeroIgnoresNaNInC() {
        var c = [Float](repeating: .nan, count: 40 * 50)
        let a = randomArray(40 * 30, seed: 9), b = randomArray(30 * 50, seed: 10)
        for ctx in testContexts {
            a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                sgemmThreaded(ctx, transA: false, transB: false, m: 40, n: 50, k: 30, alpha: 1,
                              a: ap.baseAddress!, lda: 30, b: bp.baseAddress!, ldb: 50,
                              beta: 0, c: cp.baseAddress!, ldc: 50)
            } } }
            #expect(c.allSatisfy { $0.isFinite })
        }
    }

    @Test func zeroKScalesC() {
        var c: [Float] = [1, 2, 3, 4]
        let empty: [Float] = []
        empty.withUnsafeBufferPointer { e in c.withUnsafeMutableBufferPointer { cp in
            sgemm(transA: false, transB: false, m: 2, n: 2, k: 0, alpha: 1, a: e, lda: 1, b: e, ldb: 2,
                  beta: 0.5, c: cp, ldc: 2)
        } }
        #expect(c == [0.5, 1, 1.5, 2])
    }

    /// Threaded and single-threaded results must agree bit for bit: the split is along M or N,
    /// never K, so every element is computed by the same sequence of operations.
    @Test func threadedMatchesSingleThreadedExactly() {
        let m = 130, n = 70, k = 300
        let a = randomArray(m * k, seed: 3), b = randomArray(k * n, seed: 4)
        for backend in testBackends {
            var outs: [[Float]] = []
            for threads in [1, 2, 3] {
                var c = [Float](repeating: 0, count: m * n)
                let ctx = KernelContext(backend: backend, threads: threads, minParallelWork: 0)
                a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                    sgemmThreaded(ctx, transA: false, transB: false, m: m, n: n, k: k, alpha: 1,
                                  a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: n,
                                  beta: 0, c: cp.baseAddress!, ldc: n)
                } } }
                outs.append(c)
            }
            #expect(outs[0] == outs[1] && outs[0] == outs[2], "\(backend)")
        }
    }

    @Test func backendDetectionFromFlags() {
        #expect(bestBackend(flags: []) == .portable)
        #expect(bestBackend(flags: ["avx", "avx2", "fma", "bmi1", "bmi2", "f16c", "movbe", "popcnt"]) == .avx2)
        #expect(bestBackend(flags: ["avx2", "avx512f"]) == .portable)  // incomplete: never guess
        let all: Set<String> = ["avx", "avx2", "fma", "bmi1", "bmi2", "f16c", "movbe", "popcnt",
                                "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]
        #expect(bestBackend(flags: all) == .avx512)
        #expect(cpuFlags(fromCPUInfo: "processor : 0\nflags\t\t: fpu avx2 fma\n") == ["fpu", "avx2", "fma"])
    }

    @Test func threadCountParsing() throws {
        #expect(try parseThreadCount("4", source: "x") == 4)
        #expect(throws: KernelConfigurationError.self) { try parseThreadCount("0", source: "TL_NUM_THREADS") }
        #expect(throws: KernelConfigurationError.self) { try parseThreadCount("two", source: "TL_NUM_THREADS") }
        #expect(throws: KernelConfigurationError.self) { try setKernelThreadCount(0) }
    }
}

@Suite struct GemmBatchedTests {
    /// Attention-shaped products: per (batch × head) Q·Kᵀ (transB) and P·V, with strides larger
    /// than one product (padding between heads). Same error bound as `checkGemm`.
    @Test func stridedBatchedMatchesReference() {
        let pool = BufferPool()
        defer { pool.free() }
        let heads = 5, seq = 13, dim = 8
        for (tA, tB) in [(false, true), (false, false), (true, false)] {
            let (m, n, k) = tB ? (seq, seq, dim) : (seq, dim, seq)
            let lda = (tA ? m : k) + 1, ldb = (tB ? k : n) + 2, ldc = n + 3
            let sA = (tA ? k : m) * lda + 5, sB = (tB ? n : k) * ldb + 7, sC = m * ldc + 11
            let a = randomArray(heads * sA, seed: 1), b = randomArray(heads * sB, seed: 2)
            let c0 = randomArray(heads * sC, seed: 3)
            let ref = pool.copy(c0)
            sgemmStridedBatchedReference(transA: tA, transB: tB, m: m, n: n, k: k, alpha: 0.5, a: pool.ro(a), lda: lda,
                                         strideA: sA, b: pool.ro(b), ldb: ldb, strideB: sB, beta: 0.25, c: ref, ldc: ldc,
                                         strideC: sC, batchCount: heads)
            let scale = pool.filled(heads * sC, 0)
            sgemmStridedBatchedReference(transA: tA, transB: tB, m: m, n: n, k: k, alpha: 0.5, a: pool.ro(a.map(abs)), lda: lda,
                                         strideA: sA, b: pool.ro(b.map(abs)), ldb: ldb, strideB: sB, beta: 0, c: scale,
                                         ldc: ldc, strideC: sC, batchCount: heads)
            for i in 0..<c0.count { scale[i] += 0.25 * abs(c0[i]) }
            for ctx in testContexts {
                let out = pool.copy(c0)
                sgemmStridedBatched(ctx, transA: tA, transB: tB, m: m, n: n, k: k, alpha: 0.5, a: pool.ro(a), lda: lda,
                                    strideA: sA, b: pool.ro(b), ldb: ldb, strideB: sB, beta: 0.25, c: out, ldc: ldc,
                                    strideC: sC, batchCount: heads)
                let err = maxScaledError(Array(out), Array(ref), scale: Array(scale))
                #expect(err <= 2 * Float(k + 3) * unitRoundoff + 1e-7, "\(ctx.backend) t\(ctx.threads) tA=\(tA) tB=\(tB): \(err)")
                // Gaps between products (and padding columns) are untouched: there ref == c0 too.
            }
        }
    }
}

@Suite struct BackendSelectionTests {
    /// Switching the global backend is safe while other tests run: every backend computes
    /// the same results within the tested bounds. Restores the best backend afterwards.
    @Test func setBackendSwitchesAndRefusesUnsupported() throws {
        defer { try? setKernelBackend(supportedKernelBackend) }
        try setKernelBackend(.portable)
        #expect(currentKernelBackend == .portable && kernelBackendName == "portable")
        try setKernelBackend(supportedKernelBackend)
        #expect(currentKernelBackend == supportedKernelBackend)
        if supportedKernelBackend != .avx512 {
            #expect(throws: KernelConfigurationError.self) { try setKernelBackend(.avx512) }
        }
    }
}
