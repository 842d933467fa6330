import Testing
@testable import TLKernels

/// `sgemmBiasGelu` (bias + GELU applied to each tile after its LAST K block) against the
/// composite it replaces — `sgemm` with beta = 0, C += bias, then `geluForward` — bit for bit,
/// and against its naive twin `sgemmBiasGeluReference` (Double GEMM, libm erf) within the GEMM
/// bound plus GELU's, on every backend at 1–3 threads and both split directions, in its three
/// modes: C keeps the pre-activation, C keeps GELU′ (training: bit-identical to `geluBackward`
/// with dy = 1), and in place (output = C, inference). Shapes reach the small unpacked
/// loops, direct A (ragged rows and columns), the packed driver (alpha ≠ 1) over several K
/// blocks (GELU must run once, after the last), N past one B block, k = 0 and alpha = 0.
@Suite struct GemmBiasGeluTests {
    typealias Shape = GemmBiasTests.Shape

    static let shapes = GemmBiasTests.shapes + [
        Shape(tA: false, tB: true, m: 150, n: 1100, k: 600, alpha: 1, pad: 0),   // MiniLM-like x·Wᵀ: 2+ K blocks, 2+ B blocks
        Shape(tA: false, tB: true, m: 37, n: 96, k: 384, alpha: 1, pad: 5),
    ]

    enum Mode: CaseIterable { case keepsPre, keepsDerivative, inPlace }

    @Test(arguments: Mode.allCases)
    func matchesCompositeAndReference(mode: Mode) {
        let inPlace = mode == .inPlace, derivative = mode == .keepsDerivative
        for (i, s) in Self.shapes.enumerated() {
            let lda = (s.tA ? s.m : s.k) + s.pad, ldb = (s.tB ? s.k : s.n) + s.pad, ldc = s.n + s.pad
            // Scaled so the pre-activations span GELU's curved part and both tails.
            let a = randomArray(max((s.tA ? s.k : s.m) * lda, 1), seed: UInt64(110 + i)).map { $0 * 2 }
            let b = randomArray(max((s.tB ? s.n : s.k) * ldb, 1), seed: UInt64(130 + i)).map { $0 * 2 }
            let bias = randomArray(s.n, seed: UInt64(150 + i)).map { $0 * 3 }
            let guardValue: Float = 7
            var start = [Float](repeating: .nan, count: s.m * ldc)
            for r in 0..<s.m { for j in s.n..<ldc { start[r * ldc + j] = guardValue } }
            var preRef = start, yRef = start, dRef = start, yRef2 = start
            a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in bias.withUnsafeBufferPointer { biasp in
                preRef.withUnsafeMutableBufferPointer { cp in yRef.withUnsafeMutableBufferPointer { yp in
                    sgemmBiasGeluReference(transA: s.tA, transB: s.tB, m: s.m, n: s.n, k: s.k, alpha: s.alpha, a: ap, lda: lda,
                                           b: bp, ldb: ldb, bias: biasp, c: cp, ldc: ldc, output: yp, keepingDerivative: false)
                } }
                dRef.withUnsafeMutableBufferPointer { cp in yRef2.withUnsafeMutableBufferPointer { yp in
                    sgemmBiasGeluReference(transA: s.tA, transB: s.tB, m: s.m, n: s.n, k: s.k, alpha: s.alpha, a: ap, lda: lda,
                                           b: bp, ldb: ldb, bias: biasp, c: cp, ldc: ldc, output: yp, keepingDerivative: true)
                } }
            } } }
            #expect(yRef2 == yRef)
            // GEMM bound on each pre-activation (see GemmBiasTests), computed once per shape.
            var preTol = [Float](repeating: 0, count: s.m * ldc)
            for r in 0..<s.m {
                for j in 0..<s.n {
                    var sum: Float = 0
                    for p in 0..<s.k {
                        sum += abs((s.tA ? a[p * lda + r] : a[r * lda + p]) * (s.tB ? b[j * ldb + p] : b[p * ldb + j]))
                    }
                    preTol[r * ldc + j] = 2 * Float(s.k + 3) * unitRoundoff * (abs(s.alpha) * sum + abs(bias[j])) + 1e-7
                }
            }
            for ctx in testContexts {
                for splitRows in [true, false] {
                    let tag = "\(ctx.backend) t=\(ctx.threads) rows \(splitRows) in place \(inPlace) shape \(i)"
                    var pre = start, y = start, composite = start, compositeY = start
                    a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in bias.withUnsafeBufferPointer { biasp in
                        pre.withUnsafeMutableBufferPointer { cp in y.withUnsafeMutableBufferPointer { yp in
                            sgemmThreaded(ctx, transA: s.tA, transB: s.tB, m: s.m, n: s.n, k: s.k, alpha: s.alpha,
                                          a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb, beta: 0,
                                          c: cp.baseAddress!, ldc: ldc, geluBias: biasp.baseAddress!,
                                          geluOutput: inPlace ? cp.baseAddress! : yp.baseAddress!, geluDerivative: derivative,
                                          splitRows: splitRows)
                        } }
                        composite.withUnsafeMutableBufferPointer { cp in compositeY.withUnsafeMutableBufferPointer { yp in
                            sgemmThreaded(ctx, transA: s.tA, transB: s.tB, m: s.m, n: s.n, k: s.k, alpha: s.alpha,
                                          a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb, beta: 0,
                                          c: cp.baseAddress!, ldc: ldc, splitRows: splitRows)
                            for r in 0..<s.m {
                                for j in 0..<s.n { cp[r * ldc + j] += bias[j] }
                                geluForward(ctx, x: UnsafeBufferPointer(rebasing: cp[(r * ldc)..<(r * ldc + s.n)]),
                                            y: UnsafeMutableBufferPointer(rebasing: yp[(r * ldc)..<(r * ldc + s.n)]))
                            }
                            if derivative {
                                // GELU′ of the pre-activation as the backward kernel forms it (dy = 1).
                                let ones = [Float](repeating: 1, count: s.n)
                                for r in 0..<s.m {
                                    let row = UnsafeMutableBufferPointer(rebasing: cp[(r * ldc)..<(r * ldc + s.n)])
                                    ones.withUnsafeBufferPointer { geluBackward(ctx, x: UnsafeBufferPointer(row), outputGradient: $0, inputGradient: row) }
                                }
                            }
                        } }
                    } } }
                    let output = inPlace ? pre : y
                    #expect(output == compositeY, "GELU output vs composite, \(tag)")
                    if !inPlace { #expect(pre == composite, "C (pre-activation or GELU′) vs composite, \(tag)") }
                    for r in 0..<s.m {
                        for j in 0..<s.n {
                            let e = r * ldc + j
                            // GELU′ ≤ 1.13 carries the GEMM error to y, plus GELU's own error.
                            if mode == .keepsPre { #expect(abs(pre[e] - preRef[e]) <= preTol[e], "pre vs reference \(tag) at \(r),\(j)") }
                            if derivative {
                                // GELU″ = φ(x)·(2 − x²) is at most 2φ(0) ≈ 0.8: carries the GEMM error; plus GELU′'s own.
                                let dTol = 0.8 * preTol[e] + 4e-7 * (1 + abs(preRef[e])) + 4 * unitRoundoff * abs(dRef[e]) + 1e-9
                                #expect(abs(pre[e] - dRef[e]) <= dTol, "GELU′ vs reference \(tag) at \(r),\(j): \(pre[e]) vs \(dRef[e])")
                            }
                            let yTol = 1.13 * preTol[e] + 4e-7 * (1 + abs(preRef[e])) + 4 * unitRoundoff * abs(yRef[e])
                            #expect(abs(output[e] - yRef[e]) <= yTol, "GELU vs reference \(tag) at \(r),\(j): \(output[e]) vs \(yRef[e])")
                        }
                        for j in s.n..<ldc {
                            #expect(pre[r * ldc + j] == guardValue && (inPlace || y[r * ldc + j] == guardValue), "padding \(tag) row \(r)")
                        }
                    }
                }
            }
        }
    }

    /// With a dropout mask (the transformer's feed-forward dropout): output = GELU(pre)·mask and
    /// C = GELU′(pre)·mask, bit for bit the unmasked results times the mask, on every backend,
    /// thread count and split; in place (inference under a mask) C ends as GELU(pre)·mask; and
    /// the naive twin with the mask agrees with its own unmasked result times the mask.
    @Test(arguments: [false, true])
    func maskMultipliesOutputAndDerivative(inPlace: Bool) {
        for (i, s) in Self.shapes.enumerated() where s.m > 0 && s.n > 0 {
            let lda = (s.tA ? s.m : s.k) + s.pad, ldb = (s.tB ? s.k : s.n) + s.pad, ldc = s.n + s.pad
            let a = randomArray(max((s.tA ? s.k : s.m) * lda, 1), seed: UInt64(210 + i)).map { $0 * 2 }
            let b = randomArray(max((s.tB ? s.n : s.k) * ldb, 1), seed: UInt64(230 + i)).map { $0 * 2 }
            let bias = randomArray(s.n, seed: UInt64(250 + i)).map { $0 * 3 }
            // Dropout-like factors: 0 or 1/0.7, in C's layout (padding columns 9: must not be read into C).
            let mask = (0..<(s.m * ldc)).map { e in e % ldc >= s.n ? 9 : (e * 7919 + i) % 10 < 3 ? 0 : Float(1 / 0.7) }
            let guardValue: Float = 7
            var start = [Float](repeating: .nan, count: s.m * ldc)
            for r in 0..<s.m { for j in s.n..<ldc { start[r * ldc + j] = guardValue } }
            var refC = start, refY = start, refMaskedC = start, refMaskedY = start
            a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in bias.withUnsafeBufferPointer { biasp in
                mask.withUnsafeBufferPointer { mp in
                    refC.withUnsafeMutableBufferPointer { cp in refY.withUnsafeMutableBufferPointer { yp in
                        sgemmBiasGeluReference(transA: s.tA, transB: s.tB, m: s.m, n: s.n, k: s.k, alpha: s.alpha, a: ap, lda: lda,
                                               b: bp, ldb: ldb, bias: biasp, c: cp, ldc: ldc, output: yp, keepingDerivative: true)
                    } }
                    refMaskedC.withUnsafeMutableBufferPointer { cp in refMaskedY.withUnsafeMutableBufferPointer { yp in
                        sgemmBiasGeluReference(transA: s.tA, transB: s.tB, m: s.m, n: s.n, k: s.k, alpha: s.alpha, a: ap, lda: lda,
                                               b: bp, ldb: ldb, bias: biasp, c: cp, ldc: ldc, output: yp, keepingDerivative: true, mask: mp)
                    } }
                }
            } } }
            for r in 0..<s.m {
                for j in 0..<s.n {
                    let e = r * ldc + j
                    #expect(refMaskedY[e] == refY[e] * mask[e] && refMaskedC[e] == refC[e] * mask[e], "reference with mask, shape \(i)")
                }
            }
            for ctx in testContexts {
                for splitRows in [true, false] {
                    let tag = "shape \(i) \(ctx.backend) threads \(ctx.threads) rows \(splitRows) inPlace \(inPlace)"
                    var c = start, y = start, maskedC = start, maskedY = start
                    a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in bias.withUnsafeBufferPointer { biasp in
                        mask.withUnsafeBufferPointer { mp in
                            c.withUnsafeMutableBufferPointer { cp in y.withUnsafeMutableBufferPointer { yp in
                                sgemmThreaded(ctx, transA: s.tA, transB: s.tB, m: s.m, n: s.n, k: s.k, alpha: s.alpha,
                                              a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb, beta: 0,
                                              c: cp.baseAddress!, ldc: ldc, geluBias: biasp.baseAddress!,
                                              geluOutput: inPlace ? cp.baseAddress! : yp.baseAddress!, geluDerivative: !inPlace,
                                              splitRows: splitRows)
                            } }
                            maskedC.withUnsafeMutableBufferPointer { cp in maskedY.withUnsafeMutableBufferPointer { yp in
                                sgemmThreaded(ctx, transA: s.tA, transB: s.tB, m: s.m, n: s.n, k: s.k, alpha: s.alpha,
                                              a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb, beta: 0,
                                              c: cp.baseAddress!, ldc: ldc, geluBias: biasp.baseAddress!,
                                              geluOutput: inPlace ? cp.baseAddress! : yp.baseAddress!, geluDerivative: !inPlace,
                                              geluMask: mp.baseAddress!, splitRows: splitRows)
                            } }
                        }
                    } } }
                    for r in 0..<s.m {
                        for j in 0..<s.n {
                            let e = r * ldc + j
                            if inPlace {
                                #expect(maskedC[e] == c[e] * mask[e], "in place: GELU·mask \(tag) at \(r),\(j)")
                            } else {
                                #expect(maskedY[e] == y[e] * mask[e], "GELU·mask \(tag) at \(r),\(j)")
                                #expect(maskedC[e] == c[e] * mask[e], "GELU′·mask \(tag) at \(r),\(j)")
                            }
                        }
                        for j in s.n..<ldc { #expect(maskedC[r * ldc + j] == guardValue, "padding \(tag) row \(r)") }
                    }
                }
            }
        }
    }

    /// The public entry point (current backend) agrees bit for bit with the composite.
    @Test func publicEntryPoint() {
        let (m, n, k) = (30, 40, 50)
        let a = randomArray(m * k, seed: 1), b = randomArray(n * k, seed: 2), bias = randomArray(n, seed: 3)
        var pre = [Float](repeating: .nan, count: m * n), y = pre, composite = pre, compositeY = pre
        a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in bias.withUnsafeBufferPointer { biasp in
            pre.withUnsafeMutableBufferPointer { cp in y.withUnsafeMutableBufferPointer { yp in
                sgemmBiasGelu(transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: ap, lda: k, b: bp, ldb: k, bias: biasp,
                              c: cp, ldc: n, output: yp, keepingDerivative: false)
            } }
            composite.withUnsafeMutableBufferPointer { cp in compositeY.withUnsafeMutableBufferPointer { yp in
                sgemm(transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: ap, lda: k, b: bp, ldb: k, beta: 0, c: cp, ldc: n)
                biasGeluForward(preActivation: cp, bias: biasp, output: yp, rows: m)
            } }
        } } }
        #expect(pre == composite && y == compositeY)
    }
}
