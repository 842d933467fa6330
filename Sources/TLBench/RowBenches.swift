import TLKernels

/// Memory-bound kernels, reported in GB/s of minimal traffic (each input read once, each
/// output written once), next to a plain copy of the same size for comparison. [4096, 384]
/// floats = 6 MiB per buffer: it fits the last-level cache, so `copy-4096x384` is the fair
/// reference; `copy-64MiB` shows DRAM bandwidth.
func rowBenches() -> [Bench] {
    let rows = 4096, cols = 384, n = rows * cols
    let bytes = Double(n * 4)
    return [
        Bench(name: "copy-4096x384", group: "memory", unit: "GB/s", work: 2 * bytes) {
            let x = filled(n), y = filled(n)
            return { vectorCopy(from: UnsafeBufferPointer(x), to: y) }
        },
        Bench(name: "copy-64MiB", group: "memory", unit: "GB/s", work: 2 * Double(16 << 22)) {
            let x = filled(16 << 20), y = filled(16 << 20)
            return { vectorCopy(from: UnsafeBufferPointer(x), to: y) }
        },
        Bench(name: "softmax-4096x384", group: "memory", unit: "GB/s", work: 2 * bytes) {
            let x = filled(n), y = filled(n)
            return { softmaxRowsForward(x: UnsafeBufferPointer(x), y: y, rows: rows, cols: cols) }
        },
        // One attention block's softmax, [64, 64] in L1 (the T = 64 of the transformer and MiniLM
        // benchmarks): 32 KiB of traffic per call, so 5 GB/s is 6.4 µs per block.
        Bench(name: "softmax-64x64", group: "memory", unit: "GB/s", work: 2 * 64 * 64 * 4) {
            let x = filled(64 * 64), y = filled(64 * 64)
            return { softmaxRowsForward(x: UnsafeBufferPointer(x), y: y, rows: 64, cols: 64) }
        },
        Bench(name: "softmax-bwd-4096x384", group: "memory", unit: "GB/s", work: 3 * bytes) {
            let y = filled(n), dy = filled(n, seed: 2), dx = filled(n, seed: 3)
            return { softmaxRowsBackward(y: UnsafeBufferPointer(y), outputGradient: UnsafeBufferPointer(dy),
                                         inputGradient: dx, rows: rows, cols: cols) }
        },
        Bench(name: "layernorm-4096x384", group: "memory", unit: "GB/s", work: 2 * bytes) {
            let x = filled(n), y = filled(n), g = filled(cols, seed: 5), b = filled(cols, seed: 6)
            let mean = filled(rows), rstd = filled(rows)
            return { layerNormForward(x: UnsafeBufferPointer(x), gamma: UnsafeBufferPointer(g), beta: UnsafeBufferPointer(b),
                                      y: y, mean: mean, rstd: rstd, rows: rows, cols: cols, epsilon: 1e-5) }
        },
        Bench(name: "layernorm-bwd-4096x384", group: "memory", unit: "GB/s", work: 3 * bytes) {
            let x = filled(n), dy = filled(n, seed: 2), dx = filled(n, seed: 3), g = filled(cols, seed: 5)
            let mean = filled(rows), rstd = filled(rows), dg = filled(cols), db = filled(cols)
            for i in 0..<rows { mean[i] = 0; rstd[i] = 1 }
            return { layerNormBackward(x: UnsafeBufferPointer(x), outputGradient: UnsafeBufferPointer(dy),
                                       gamma: UnsafeBufferPointer(g), mean: UnsafeBufferPointer(mean),
                                       rstd: UnsafeBufferPointer(rstd), inputGradient: dx,
                                       gammaGradient: dg, betaGradient: db, rows: rows, cols: cols) }
        },
        Bench(name: "gelu-4096x384", group: "memory", unit: "GB/s", work: 2 * bytes) {
            let x = filled(n), y = filled(n)
            return { geluForward(x: UnsafeBufferPointer(x), y: y) }
        },
        Bench(name: "gelu-bwd-4096x384", group: "memory", unit: "GB/s", work: 3 * bytes) {
            let x = filled(n), dy = filled(n, seed: 2), dx = filled(n, seed: 3)
            return { geluBackward(x: UnsafeBufferPointer(x), outputGradient: UnsafeBufferPointer(dy), inputGradient: dx) }
        },
    ]
}

/// Attention products through the strided batched GEMM: 384 (batch·heads) products of a
/// [128, 64] head: scores = Q·Kᵀ [128, 128] and context = P·V [128, 64]. Then the fused
/// attention of MiniLM's top-2 training step (`attentionForward` / `attentionBackward`): batch
/// 32 × 64 tokens, 12 heads of 32, Q/K/V the thirds of one [N, T, 1152] projection, dropout
/// factors on the probabilities; work = its products' FLOPs (2 forward, 4 backward).
func attentionBenches() -> [Bench] {
    let bh = 384, seq = 128, dim = 64
    let flops = 2 * Double(bh) * Double(seq) * Double(seq) * Double(dim)
    let g = AttentionGeometry(batch: 32, tokens: 64, heads: 12, headSize: 32, inputStride: 1152)
    let fusedFlops = 2 * 2 * Double(g.batch * g.heads) * Double(g.tokens * g.tokens * g.headSize)
    func dropoutFactors() -> UnsafeMutableBufferPointer<Float> {
        let f = filled(g.probabilityCount, seed: 9)
        for i in 0..<f.count { f[i] = f[i] < -0.8 ? 0 : 1 / 0.9 }
        return f
    }
    return [
        Bench(name: "attn-fused-fwd-b32-t64-h12-d32", group: "attention", unit: "GFLOPS", work: fusedFlops) {
            let qkv = filled(g.batch * g.tokens * 1152, seed: 1), drop = dropoutFactors()
            let p = filled(g.probabilityCount), c = filled(g.hiddenCount)
            let base = UnsafeBufferPointer(qkv).baseAddress!, n = qkv.count
            return { attentionForward(q: UnsafeBufferPointer(start: base, count: n), k: UnsafeBufferPointer(start: base + 384, count: n - 384),
                                      v: UnsafeBufferPointer(start: base + 768, count: n - 768), keyMask: nil,
                                      dropout: UnsafeBufferPointer(drop), probabilities: p, context: c, geometry: g, scale: 0.176_776_7) }
        },
        Bench(name: "attn-fused-bwd-b32-t64-h12-d32", group: "attention", unit: "GFLOPS", work: 2 * fusedFlops) {
            let qkv = filled(g.batch * g.tokens * 1152, seed: 1), drop = dropoutFactors()
            let p = filled(g.probabilityCount), c = filled(g.hiddenCount), dc = filled(g.hiddenCount, seed: 5)
            let d = filled(g.batch * g.tokens * 1152, seed: 6)
            let base = UnsafeBufferPointer(qkv).baseAddress!, n = qkv.count
            attentionForward(q: UnsafeBufferPointer(start: base, count: n), k: UnsafeBufferPointer(start: base + 384, count: n - 384),
                             v: UnsafeBufferPointer(start: base + 768, count: n - 768), keyMask: nil,
                             dropout: UnsafeBufferPointer(drop), probabilities: p, context: c, geometry: g, scale: 0.176_776_7)
            let db = d.baseAddress!
            return { attentionBackward(q: UnsafeBufferPointer(start: base, count: n), k: UnsafeBufferPointer(start: base + 384, count: n - 384),
                                       v: UnsafeBufferPointer(start: base + 768, count: n - 768), probabilities: UnsafeBufferPointer(p),
                                       dropout: UnsafeBufferPointer(drop), contextGradient: UnsafeBufferPointer(dc),
                                       dq: UnsafeMutableBufferPointer(start: db, count: n), dk: UnsafeMutableBufferPointer(start: db + 384, count: n - 384),
                                       dv: UnsafeMutableBufferPointer(start: db + 768, count: n - 768), geometry: g, scale: 0.176_776_7) }
        },
        Bench(name: "attn-scores-384x128x128x64", group: "attention", unit: "GFLOPS", work: flops) {
            let q = filled(bh * seq * dim, seed: 1), k = filled(bh * seq * dim, seed: 2), s = filled(bh * seq * seq)
            return { sgemmStridedBatched(transA: false, transB: true, m: seq, n: seq, k: dim, alpha: 0.125,
                                         a: UnsafeBufferPointer(q), lda: dim, strideA: seq * dim,
                                         b: UnsafeBufferPointer(k), ldb: dim, strideB: seq * dim,
                                         beta: 0, c: s, ldc: seq, strideC: seq * seq, batchCount: bh) }
        },
        Bench(name: "attn-context-384x128x128x64", group: "attention", unit: "GFLOPS", work: flops) {
            let p = filled(bh * seq * seq, seed: 1), v = filled(bh * seq * dim, seed: 2), o = filled(bh * seq * dim)
            return { sgemmStridedBatched(transA: false, transB: false, m: seq, n: dim, k: seq, alpha: 1,
                                         a: UnsafeBufferPointer(p), lda: seq, strideA: seq * seq,
                                         b: UnsafeBufferPointer(v), ldb: dim, strideB: seq * dim,
                                         beta: 0, c: o, ldc: dim, strideC: seq * dim, batchCount: bh) }
        },
    ]
}
