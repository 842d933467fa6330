import Foundation
import Testing
import TLKernelTable
@testable import TLKernels

/// The fused attention blocks against their composite twin, bit for bit: per (batch, head)
/// block, the backend's own single products (`gemm`, `gemmBias`), `softmaxRows`,
/// `softmaxBackwardRows` and plain multiplies, one step at a time, in the order the math reads
/// (Sources/TLKernels/Attention.swift). The fused blocks merge the softmax with the dropout
/// multiply and the backward element-wise steps into fewer passes (AttentionRows.swift) and
/// read Q in place after scaling it once; none of that may change a bit. With and without
/// key mask and dropout, on every backend, 1 and 2 threads; token counts with and without a
/// row tail, blocks below and above the GEMM's tiny-product cut-off.
@Suite struct AttentionCompositeTests {
    static let geometries = [AttentionGeometry(batch: 2, tokens: 5, heads: 3, headSize: 4),          // tiny products
                             AttentionGeometry(batch: 2, tokens: 16, heads: 2, headSize: 8),
                             AttentionGeometry(batch: 3, tokens: 17, heads: 2, headSize: 8),
                             AttentionGeometry(batch: 2, tokens: 64, heads: 2, headSize: 32, inputStride: 192),
                             AttentionGeometry(batch: 1, tokens: 40, heads: 2, headSize: 24)]

    @Test(arguments: geometries, [false, true])
    func fusedMatchesComposite(geometry g: AttentionGeometry, maskedAndDropped: Bool) {
        let pool = BufferPool()
        defer { pool.free() }
        let (t, dh, ld, d) = (g.tokens, g.headSize, g.inputStride, g.width)
        let span = g.batch * t * ld
        let seed = UInt64(t * 31 + dh)
        let q = randomArray(span, seed: seed).map { $0 * 3 }, k = randomArray(span, seed: seed + 1).map { $0 * 3 }
        let v = randomArray(span, seed: seed + 2), dc = randomArray(g.hiddenCount, seed: seed + 3)
        let mask: [Float]? = maskedAndDropped ? (0..<(g.batch * t)).map { $0 % 3 == 2 ? -1e9 : 0 } : nil
        let drop: [Float]? = maskedAndDropped ? randomArray(g.probabilityCount, seed: seed + 4).map { $0 < -0.4 ? 0 : 1 / 0.8 } : nil
        let scale = 1 / Float(dh).squareRoot()
        let prescaled = t * t * dh > gemmSmallProductLimit
        let qp = pool.ro(q).baseAddress!, kp = pool.ro(k).baseAddress!, vp = pool.ro(v).baseAddress!, dcp = pool.ro(dc).baseAddress!
        let mp = mask.map { pool.ro($0).baseAddress! }
        for ctx in testContexts where ctx.threads <= 2 {
            let kt = ctx.backend.kernels
            // The composite, block by block.
            var p = [Float](repeating: .nan, count: g.probabilityCount), c = [Float](repeating: .nan, count: g.hiddenCount)
            var dq = [Float](repeating: .nan, count: span), dk = dq, dv = dq
            for n in 0..<g.batch {
                for h in 0..<g.heads {
                    let block = n * g.heads + h, off = n * t * ld + h * dh, coff = n * t * d + h * dh
                    var s = [Float](repeating: 0, count: t * t), a = s, da = s
                    if mask != nil {
                        kt.gemmBias(false, true, t, t, dh, scale, qp + off, ld, kp + off, ld, mp! + n * t, &s, t)
                    } else {
                        kt.gemm(false, true, t, t, dh, scale, qp + off, ld, kp + off, ld, 0, &s, t)
                    }
                    s.withUnsafeMutableBufferPointer { kt.softmaxRows($0.baseAddress!, $0.baseAddress!, t, t) }
                    for i in 0..<(t * t) { p[block * t * t + i] = s[i]; a[i] = s[i] * (drop?[block * t * t + i] ?? 1) }
                    c.withUnsafeMutableBufferPointer {
                        kt.gemm(false, false, t, dh, t, 1, a, t, vp + off, ld, 0, $0.baseAddress! + coff, d)
                    }
                    // Backward.
                    kt.gemm(false, true, t, t, dh, 1, dcp + coff, d, vp + off, ld, 0, &da, t)
                    for i in 0..<(t * t) { da[i] *= drop?[block * t * t + i] ?? 1 }
                    dv.withUnsafeMutableBufferPointer {
                        kt.gemm(true, false, t, dh, t, 1, a, t, dcp + coff, d, 0, $0.baseAddress! + off, ld)
                    }
                    var ds = da
                    kt.softmaxBackwardRows(s, da, &ds, t, t)
                    if prescaled { for i in 0..<(t * t) { ds[i] *= scale } }
                    let alpha: Float = prescaled ? 1 : scale
                    dq.withUnsafeMutableBufferPointer {
                        kt.gemm(false, false, t, dh, t, alpha, ds, t, kp + off, ld, 0, $0.baseAddress! + off, ld)
                    }
                    dk.withUnsafeMutableBufferPointer {
                        kt.gemm(true, false, t, dh, t, alpha, ds, t, qp + off, ld, 0, $0.baseAddress! + off, ld)
                    }
                }
            }
            // The fused kernels.
            let pf = pool.filled(g.probabilityCount), cf = pool.filled(g.hiddenCount)
            let dqf = pool.filled(span), dkf = pool.filled(span), dvf = pool.filled(span)
            let pm = mask.map { pool.ro($0) }, pd = drop.map { pool.ro($0) }
            attentionForward(ctx, q: pool.ro(q), k: pool.ro(k), v: pool.ro(v), keyMask: pm, dropout: pd,
                             probabilities: pf, context: cf, geometry: g, scale: scale)
            attentionBackward(ctx, q: pool.ro(q), k: pool.ro(k), v: pool.ro(v), probabilities: UnsafeBufferPointer(pf),
                              dropout: pd, contextGradient: pool.ro(dc), dq: dqf, dk: dkf, dv: dvf, geometry: g, scale: scale)
            let label = "\(g) masked \(maskedAndDropped) \(ctx.backend) t\(ctx.threads)"
            #expect(differing(pf, p) == 0, "probabilities \(label)")
            #expect(differing(cf, c) == 0, "context \(label)")
            #expect(differing(dqf, dq) == 0, "dq \(label)")
            #expect(differing(dkf, dk) == 0, "dk \(label)")
            #expect(differing(dvf, dv) == 0, "dv \(label)")
        }
    }

    /// Values whose bits differ (NaN on both sides: a gap between strided rows, equal).
    func differing(_ a: UnsafeMutableBufferPointer<Float>, _ b: [Float]) -> Int {
        zip(a, b).filter { !($0.isNaN && $1.isNaN) && $0.bitPattern != $1.bitPattern }.count
    }
}
