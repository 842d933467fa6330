import Foundation
import Testing
@testable import TLKernels

/// The fused attention kernels against their naive Double twins: odd and SIMD-width token
/// counts and head sizes, with and without a key mask and dropout factors, on every backend
/// and with 1, 2 and 3 threads (forced splitting).
@Suite struct AttentionKernelTests {
    static let geometries = [AttentionGeometry(batch: 1, tokens: 1, heads: 1, headSize: 1),
                             AttentionGeometry(batch: 2, tokens: 5, heads: 3, headSize: 4),
                             AttentionGeometry(batch: 3, tokens: 17, heads: 2, headSize: 8),
                             AttentionGeometry(batch: 2, tokens: 64, heads: 4, headSize: 32),
                             // Past the GEMM's blocks inside one block's products (MC 144 rows; K
                             // block 512 and NC 512 on AVX-512): the per-thread workspace's bounds.
                             AttentionGeometry(batch: 1, tokens: 150, heads: 2, headSize: 40),
                             AttentionGeometry(batch: 2, tokens: 20, heads: 1, headSize: 600),
                             // Q, K, V as views into wider rows (a packed [N, T, 3D] projection; an odd stride).
                             AttentionGeometry(batch: 2, tokens: 9, heads: 2, headSize: 5, inputStride: 30),
                             AttentionGeometry(batch: 2, tokens: 7, heads: 3, headSize: 4, inputStride: 25)]

    @Test(arguments: geometries, [false, true])
    func matchesReference(geometry g: AttentionGeometry, maskedAndDropped: Bool) {
        let pool = BufferPool()
        defer { pool.free() }
        let seed = UInt64(g.tokens * 100 + g.heads)
        let span = g.batch * g.tokens * g.inputStride          // Q, K, V and their gradients
        let q = randomArray(span, seed: seed).map { $0 * 3 }, k = randomArray(span, seed: seed + 1).map { $0 * 3 }
        let v = randomArray(span, seed: seed + 2), dc = randomArray(g.hiddenCount, seed: seed + 3)
        // Mask the last key of every other example; drop about a quarter of the weights.
        let mask: [Float]? = maskedAndDropped ? (0..<(g.batch * g.tokens)).map { $0 % g.tokens == g.tokens - 1 && ($0 / g.tokens) % 2 == 0 && g.tokens > 1 ? -1e9 : 0 } : nil
        let drop: [Float]? = maskedAndDropped ? randomArray(g.probabilityCount, seed: seed + 4).map { $0 < -0.5 ? 0 : 4 / 3 } : nil
        let scale = 1 / Float(g.headSize).squareRoot()
        let pRef = pool.filled(g.probabilityCount), cRef = pool.filled(g.hiddenCount)
        let dqRef = pool.filled(span), dkRef = pool.filled(span), dvRef = pool.filled(span)
        let pm = mask.map { pool.ro($0) }, pd = drop.map { pool.ro($0) }
        attentionForwardReference(q: pool.ro(q), k: pool.ro(k), v: pool.ro(v), keyMask: pm, dropout: pd,
                                  probabilities: pRef, context: cRef, geometry: g, scale: scale)
        attentionBackwardReference(q: pool.ro(q), k: pool.ro(k), v: pool.ro(v), probabilities: UnsafeBufferPointer(pRef),
                                   dropout: pd, contextGradient: pool.ro(dc), dq: dqRef, dk: dkRef, dv: dvRef,
                                   geometry: g, scale: scale)
        // Sums of ≤ max(T, dh) products of O(1) terms: absolute error a few hundred ulps.
        let tol: Float = 2e-5 * Float(max(g.tokens, g.headSize))
        for ctx in testContexts {
            let p = pool.filled(g.probabilityCount), c = pool.filled(g.hiddenCount)
            let dq = pool.filled(span), dk = pool.filled(span), dv = pool.filled(span)
            attentionForward(ctx, q: pool.ro(q), k: pool.ro(k), v: pool.ro(v), keyMask: pm, dropout: pd,
                             probabilities: p, context: c, geometry: g, scale: scale)
            attentionBackward(ctx, q: pool.ro(q), k: pool.ro(k), v: pool.ro(v), probabilities: UnsafeBufferPointer(pRef),
                              dropout: pd, contextGradient: pool.ro(dc), dq: dq, dk: dk, dv: dv, geometry: g, scale: scale)
            let label = "\(g) masked \(maskedAndDropped) \(ctx.backend) t\(ctx.threads)"
            #expect(maxDifference(p, pRef) <= 1e-5, "probabilities \(label)")
            #expect(maxDifference(c, cRef) <= tol, "context \(label)")
            #expect(maxDifference(dq, dqRef) <= tol, "dq \(label)")
            #expect(maxDifference(dk, dkRef) <= tol, "dk \(label)")
            #expect(maxDifference(dv, dvRef) <= tol, "dv \(label)")
        }
        if let mask {
            // Masked keys get exactly zero probability.
            for n in 0..<g.batch { for h in 0..<g.heads { for i in 0..<g.tokens { for j in 0..<g.tokens where mask[n * g.tokens + j] != 0 {
                #expect(pRef[((n * g.heads + h) * g.tokens + i) * g.tokens + j] == 0)
            } } } }
        }
    }

    func maxDifference(_ a: UnsafeMutableBufferPointer<Float>, _ b: UnsafeMutableBufferPointer<Float>) -> Float {
        var worst: Float = 0
        // Gaps between strided rows stay unwritten (NaN) in both; a NaN on one side only fails.
        for i in 0..<a.count where !(a[i].isNaN && b[i].isNaN) { worst = max(worst, a[i].isNaN || b[i].isNaN ? .infinity : abs(a[i] - b[i])) }
        return worst
    }
}
