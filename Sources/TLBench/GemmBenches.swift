import TLKernels

/// Deterministic filler in [-1, 1) (benchmarks only need non-trivial values).
func filled(_ count: Int, seed: UInt32 = 1) -> UnsafeMutableBufferPointer<Float> {
    let p = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(count, 1))
    var s = seed &* 2_654_435_761 | 1
    for i in 0..<p.count {
        s ^= s << 13; s ^= s >> 17; s ^= s << 5
        p[i] = Float(s % 2000) / 1000 - 1
    }
    return p
}

/// GEMM shapes. Names: `gemm-S` (square S³) and `gemm-MxKxN-V` for the training product
/// A[M,K]·B[K,N] with V = AB (forward), ABt (dA = dC·Bᵀ), AtB (dB = Aᵀ·dC).
/// Training shapes: batch-64 MLP/LeNet linear layers (64×784·784×256, 64×3136·3136×128) and
/// the transformer at batch 32 × 64 tokens, d 128, FFN 512 (QKV 128→384, FFN up 128→512,
/// FFN down 512→128), and the MiniLM FFN at 2048 tokens (d 384, FFN 1536: up and down), its
/// QKV (384→1152) and attention output (384→384) linears; the linears' forward products of
/// `tl embed` at 640 rows (batch 32 × 20 tokens): x·Wᵀ, ABt with M = 640.
/// Scripts/bench-gemm.sh parses these names to run the same products in numpy.
/// With `coldSets` > 1 each benchmark rotates that many independent operand sets, one per call
/// (`--cold-sets N`: 16 sets of the MiniLM shapes span ~200 MB, so every call reads A and B
/// and writes C out of cache, as in a training step; use with --shapes).
func gemmBenches(coldSets: Int = 1) -> [Bench] {
    var out: [Bench] = []
    for s in [256, 512, 1024, 2048] {
        out.append(gemmBench(name: "gemm-\(s)", m: s, k: s, n: s, variant: "AB", sets: coldSets))
    }
    for (m, k, n) in [(64, 784, 256), (64, 3136, 128), (2048, 128, 384), (2048, 128, 512), (2048, 512, 128),
                      (2048, 384, 1536), (2048, 1536, 384), (2048, 1152, 384), (2048, 384, 384)] {
        for v in ["AB", "ABt", "AtB"] {
            out.append(gemmBench(name: "gemm-\(m)x\(k)x\(n)-\(v)", m: m, k: k, n: n, variant: v, sets: coldSets))
        }
    }
    for (k, n) in [(1152, 384), (1536, 384), (384, 1536), (384, 384)] {
        out.append(gemmBench(name: "gemm-640x\(k)x\(n)-ABt", m: 640, k: k, n: n, variant: "ABt", sets: coldSets))
    }
    return out
}

func gemmBench(name: String, m: Int, k: Int, n: Int, variant: String, sets: Int = 1) -> Bench {
    Bench(name: name, group: "gemm", unit: "GFLOPS", work: 2 * Double(m) * Double(k) * Double(n)) {
        let calls = (0..<sets).map { set -> () -> Void in
            let seed = UInt32(4 * set)
            let a = filled(m * k, seed: seed + 1), b = filled(k * n, seed: seed + 2), dc = filled(m * n, seed: seed + 3)
            switch variant {
            case "AB":
                let c = filled(m * n, seed: seed + 4)
                return { sgemm(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: UnsafeBufferPointer(a), lda: k,
                               b: UnsafeBufferPointer(b), ldb: n, beta: 0, c: c, ldc: n) }
            case "ABt":
                let c = filled(m * k, seed: seed + 4)
                return { sgemm(transA: false, transB: true, m: m, n: k, k: n, alpha: 1, a: UnsafeBufferPointer(dc), lda: n,
                               b: UnsafeBufferPointer(b), ldb: n, beta: 0, c: c, ldc: k) }
            default:
                let c = filled(k * n, seed: seed + 4)
                return { sgemm(transA: true, transB: false, m: k, n: n, k: m, alpha: 1, a: UnsafeBufferPointer(a), lda: k,
                               b: UnsafeBufferPointer(dc), ldb: n, beta: 0, c: c, ldc: n) }
            }
        }
        if calls.count == 1 { return calls[0] }
        nonisolated(unsafe) var next = 0
        return { calls[next](); next = (next + 1) % calls.count }
    }
}
