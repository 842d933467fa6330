import Testing
@testable import TLKernels

/// The thread split of `sgemmThreaded`: along M or along N, at 1–3 threads, results must be
/// bit-identical (K is never cut, so every element is the same chain of FMAs whichever thread
/// and whichever driver computes it). Shapes make the split change the driver: N = 1100 is
/// over the direct-A limit (1024) unsplit but under it for half of N (packed A vs A read in
/// place), transposed A with K ≤ 256 (in place) and > 256 (packed), beta = 1 accumulation,
/// and the bias epilogue (offset per column slab). Also checks the per-slab CPU timing of
/// TL_GEMM_STATS is recorded.
@Suite struct GemmSplitTests {
    struct Shape { let tA: Bool, tB: Bool, m: Int, n: Int, k: Int, alpha: Float, beta: Float }

    static let shapes = [
        Shape(tA: false, tB: true, m: 70, n: 1100, k: 48, alpha: 1, beta: 0),
        Shape(tA: false, tB: false, m: 97, n: 1100, k: 300, alpha: 1, beta: 1),
        Shape(tA: true, tB: false, m: 61, n: 130, k: 200, alpha: 1, beta: 0),
        Shape(tA: true, tB: true, m: 130, n: 75, k: 290, alpha: 1, beta: 1),
        Shape(tA: false, tB: false, m: 150, n: 90, k: 33, alpha: 0.5, beta: 0.25),
    ]

    /// C for every (threads, split, bias?) combination of one shape.
    func products(_ backend: KernelBackend, _ s: Shape, bias withBias: Bool) -> [[Float]] {
        let lda = s.tA ? s.m : s.k, ldb = s.tB ? s.k : s.n
        let a = randomArray((s.tA ? s.k : s.m) * lda, seed: UInt64(s.m))
        let b = randomArray((s.tB ? s.n : s.k) * ldb, seed: UInt64(s.n))
        let c0 = randomArray(s.m * s.n, seed: 5), bias = randomArray(s.n, seed: 6)
        var outs: [[Float]] = []
        for threads in [1, 2, 3] {
            for rows in [true, false] {
                var c = c0
                let ctx = KernelContext(backend: backend, threads: threads, minParallelWork: 0)
                a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in
                    bias.withUnsafeBufferPointer { biasp in c.withUnsafeMutableBufferPointer { cp in
                        sgemmThreaded(ctx, transA: s.tA, transB: s.tB, m: s.m, n: s.n, k: s.k, alpha: s.alpha,
                                      a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb, beta: s.beta,
                                      c: cp.baseAddress!, ldc: s.n, bias: withBias ? biasp.baseAddress! : nil,
                                      splitRows: rows)
                    } }
                } }
                outs.append(c)
            }
        }
        return outs
    }

    @Test(arguments: [false, true])
    func rowAndColumnSplitsAgreeBitForBit(_ withBias: Bool) {
        for backend in testBackends {
            for s in Self.shapes {
                let outs = products(backend, s, bias: withBias)
                for (i, c) in outs.enumerated() {
                    let differing = zip(c, outs[0]).filter { $0 != $1 }.count
                    #expect(differing == 0,
                            "\(backend) \(s) bias=\(withBias): threads \(i / 2 + 1), rows \(i % 2 == 0): \(differing) elements differ")
                }
            }
        }
    }

    /// The slab CPU times TL_GEMM_STATS reports: a sum over threads and a slowest slab, both
    /// positive, the slowest no larger than the sum.
    @Test func slabTimesAreRecorded() {
        let m = 256, n = 256, k = 256
        let a = randomArray(m * k, seed: 1), b = randomArray(k * n, seed: 2)
        var c = [Float](repeating: 0, count: m * n)
        for threads in [1, 2] {
            var slabs = [0.0, 0.0]
            let ctx = KernelContext(backend: testBackends[0], threads: threads, minParallelWork: 0)
            a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                slabs.withUnsafeMutableBufferPointer { sp in
                    sgemmThreaded(ctx, transA: false, transB: false, m: m, n: n, k: k, alpha: 1,
                                  a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: n, beta: 0,
                                  c: cp.baseAddress!, ldc: n, slabs: sp.baseAddress!)
                }
            } } }
            #expect(slabs[0] > 0 && slabs[1] > 0 && slabs[1] <= slabs[0], "threads \(threads): \(slabs)")
        }
    }
}
