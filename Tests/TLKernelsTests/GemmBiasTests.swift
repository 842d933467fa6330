import Testing
@testable import TLKernels

/// `sgemmBias` (bias added to each tile after its first K block) against the composite it
/// replaces (C filled with bias rows, then the same GEMM with beta = 1: bit-identical, since
/// both round acc + bias once per element) and against its naive twin `sgemmBiasReference`
/// within the Float32 dot-product bound, on every backend and thread split. Shapes reach each
/// driver path: the small unpacked loops, direct A (row-major and transposed, ragged rows and
/// columns), the packed driver (alpha ≠ 1) over several K blocks (the bias must be added once),
/// N past one B block, k = 0 and alpha = 0. C starts as NaN: its old contents are ignored.
@Suite struct GemmBiasTests {
    struct Shape { let tA: Bool, tB: Bool, m: Int, n: Int, k: Int, alpha: Float, pad: Int }

    static let shapes = [
        Shape(tA: false, tB: true, m: 3, n: 5, k: 7, alpha: 1, pad: 0),
        Shape(tA: false, tB: true, m: 50, n: 70, k: 40, alpha: 1, pad: 2),
        Shape(tA: false, tB: false, m: 77, n: 64, k: 128, alpha: 1, pad: 0),
        Shape(tA: true, tB: false, m: 37, n: 45, k: 29, alpha: 1, pad: 1),
        Shape(tA: true, tB: true, m: 50, n: 40, k: 600, alpha: 0.5, pad: 0),
        Shape(tA: false, tB: false, m: 61, n: 33, k: 530, alpha: 1, pad: 3),
        Shape(tA: false, tB: false, m: 13, n: 1100, k: 40, alpha: 1, pad: 0),
        Shape(tA: false, tB: true, m: 9, n: 17, k: 0, alpha: 1, pad: 0),
        Shape(tA: false, tB: true, m: 40, n: 35, k: 20, alpha: 0, pad: 0),
    ]

    @Test func matchesPrefilledBetaOneAndReference() {
        for ctx in testContexts {
            for (i, s) in Self.shapes.enumerated() {
                let lda = (s.tA ? s.m : s.k) + s.pad, ldb = (s.tB ? s.k : s.n) + s.pad, ldc = s.n + s.pad
                let a = randomArray(max((s.tA ? s.k : s.m) * lda, 1), seed: UInt64(10 + i))
                let b = randomArray(max((s.tB ? s.n : s.k) * ldb, 1), seed: UInt64(30 + i))
                let bias = randomArray(s.n, seed: UInt64(50 + i))
                let guardValue: Float = 7
                var fused = [Float](repeating: .nan, count: s.m * ldc)
                var composite = [Float](repeating: guardValue, count: s.m * ldc)
                var reference = composite
                for r in 0..<s.m {
                    for j in s.n..<ldc { fused[r * ldc + j] = guardValue }
                    for j in 0..<s.n { composite[r * ldc + j] = bias[j] }
                }
                a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in bias.withUnsafeBufferPointer { biasp in
                    fused.withUnsafeMutableBufferPointer { cp in
                        sgemmThreaded(ctx, transA: s.tA, transB: s.tB, m: s.m, n: s.n, k: s.k, alpha: s.alpha,
                                      a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb,
                                      beta: 0, c: cp.baseAddress!, ldc: ldc, bias: biasp.baseAddress!)
                    }
                    composite.withUnsafeMutableBufferPointer { cp in
                        sgemmThreaded(ctx, transA: s.tA, transB: s.tB, m: s.m, n: s.n, k: s.k, alpha: s.alpha,
                                      a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb,
                                      beta: 1, c: cp.baseAddress!, ldc: ldc)
                    }
                    reference.withUnsafeMutableBufferPointer { cp in
                        sgemmBiasReference(transA: s.tA, transB: s.tB, m: s.m, n: s.n, k: s.k, alpha: s.alpha,
                                           a: ap, lda: lda, b: bp, ldb: ldb, bias: biasp, c: cp, ldc: ldc)
                    }
                } } }
                #expect(fused == composite, "\(ctx.backend) t=\(ctx.threads) shape \(i)")
                // Reference bound: 2γ·(|α|·Σ|a||b| + |bias|), γ = (k + 3)·u (see checkGemm).
                var scale = [Float](repeating: 1e-30, count: s.m * ldc)
                for r in 0..<s.m {
                    for j in 0..<s.n {
                        var sum: Float = 0
                        for p in 0..<s.k {
                            let av = s.tA ? a[p * lda + r] : a[r * lda + p]
                            let bv = s.tB ? b[j * ldb + p] : b[p * ldb + j]
                            sum += abs(av * bv)
                        }
                        scale[r * ldc + j] = abs(s.alpha) * sum + abs(bias[j])
                    }
                }
                let err = maxScaledError(fused, reference, scale: scale)
                #expect(err <= 2 * Float(s.k + 3) * unitRoundoff + 1e-7, "\(ctx.backend) t=\(ctx.threads) shape \(i): \(err)")
            }
        }
    }

    /// The public entry point agrees with the raw-pointer one on the current backend.
    @Test func publicEntryPoint() {
        let (m, n, k) = (30, 40, 50)
        let a = randomArray(m * k, seed: 1), b = randomArray(n * k, seed: 2), bias = randomArray(n, seed: 3)
        var fused = [Float](repeating: .nan, count: m * n), reference = fused
        a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in bias.withUnsafeBufferPointer { biasp in
            fused.withUnsafeMutableBufferPointer {
                sgemmBias(transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: ap, lda: k, b: bp, ldb: k, bias: biasp, c: $0, ldc: n)
            }
            reference.withUnsafeMutableBufferPointer {
                sgemmBiasReference(transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: ap, lda: k, b: bp, ldb: k, bias: biasp, c: $0, ldc: n)
            }
        } } }
        for i in fused.indices { #expect(abs(fused[i] - reference[i]) <= 1e-4, "element \(i)") }
    }
}
