import Foundation
import Testing
@testable import TLKernels

/// Packed-sequence attention (attentionForwardPacked): against its naive Double twin, and bit
/// for bit against the padded kernel (attentionForward on the batch padded to its longest
/// sequence, padding keys masked, padding rows holding other values), on every backend with
/// 1, 2 and 3 threads. Lengths cross the GEMM's tiny-product cut-off (t·t·dh ≤ 4096: t ≤ 32 at
/// dh = 4, t ≤ 22 at dh = 8, t ≤ 11 at dh = 32) inside batches padded beyond it.
@Suite struct PackedAttentionKernelTests {
    struct Case: Sendable, CustomStringConvertible {
        var lengths: [Int], heads: Int, headSize: Int, packedQKV: Bool
        var description: String { "lengths \(lengths) heads \(heads) dh \(headSize) packed \(packedQKV)" }
        var width: Int { heads * headSize }
        var stride: Int { packedQKV ? 3 * width : width }
        var geometry: PackedAttentionGeometry {
            var offsets = [0]
            for n in lengths { offsets.append(offsets.last! + n) }
            return PackedAttentionGeometry(offsets: offsets, heads: heads, headSize: headSize, inputStride: stride)
        }
    }

    static let cases = [Case(lengths: [1], heads: 1, headSize: 1, packedQKV: false),
                        Case(lengths: [40, 1, 33, 32, 17, 5], heads: 2, headSize: 4, packedQKV: false),
                        Case(lengths: [23, 22, 1, 9, 23], heads: 3, headSize: 8, packedQKV: true),
                        Case(lengths: [13, 11, 12, 1, 7], heads: 2, headSize: 32, packedQKV: true),
                        Case(lengths: [9, 4, 1, 9], heads: 2, headSize: 32, packedQKV: true),    // all tiny
                        Case(lengths: [64, 13, 2, 0, 30], heads: 3, headSize: 32, packedQKV: true),
                        Case(lengths: [7, 3, 5], heads: 3, headSize: 5, packedQKV: true)]

    /// Q, K, V (one packed buffer or three) for a case; values O(3) so the softmax is not flat.
    func inputs(_ c: Case) -> (q: [Float], k: [Float], v: [Float], third: Int) {
        let rows = c.lengths.reduce(0, +), seed = UInt64(rows * 10 + c.headSize)
        if c.packedQKV {
            let qkv = randomArray(rows * c.stride, seed: seed).map { $0 * 3 }
            return (qkv, qkv, qkv, c.width)
        }
        return (randomArray(rows * c.stride, seed: seed).map { $0 * 3 }, randomArray(rows * c.stride, seed: seed + 1).map { $0 * 3 },
                randomArray(rows * c.stride, seed: seed + 2), 0)
    }

    @Test(arguments: cases)
    func matchesReference(_ c: Case) {
        let pool = BufferPool()
        defer { pool.free() }
        let g = c.geometry, (q, k, v, third) = inputs(c)
        let scale = 1 / Float(c.headSize).squareRoot()
        let pq = pool.ro(q), pk = UnsafeBufferPointer(rebasing: pool.ro(k)[third...]), pv = UnsafeBufferPointer(rebasing: pool.ro(v)[(2 * third)...])
        let reference = pool.filled(g.rows * g.width)
        attentionForwardPackedReference(q: pq, k: pk, v: pv, context: reference, geometry: g, scale: scale)
        let tol: Float = 2e-5 * Float(max(c.lengths.max()!, c.headSize))
        for ctx in testContexts {
            let out = pool.filled(g.rows * g.width)
            attentionForwardPacked(ctx, q: pq, k: pk, v: pv, context: out, geometry: g, scale: scale)
            var worst: Float = 0
            for i in 0..<out.count { worst = max(worst, out[i].isNaN ? .infinity : abs(out[i] - reference[i])) }
            #expect(worst <= tol, "\(c) \(ctx.backend) t\(ctx.threads)")
        }
    }

    @Test(arguments: cases)
    func equalsPaddedKernelBitForBit(_ c: Case) {
        let pool = BufferPool()
        defer { pool.free() }
        let g = c.geometry, (q, k, v, third) = inputs(c)
        let (n, t, w, stride) = (c.lengths.count, g.paddedLength, c.width, c.stride)
        guard t > 0 else { return }
        // The padded batch: sequence s in rows s·T..<s·T + Lₛ, other rows filled with other values.
        func padded(_ x: [Float], seed: UInt64) -> [Float] {
            var out = randomArray(n * t * stride, seed: seed)
            for s in 0..<n { for i in 0..<c.lengths[s] { for j in 0..<stride { out[(s * t + i) * stride + j] = x[(g.offsets[s] + i) * stride + j] } } }
            return out
        }
        let mask = (0..<(n * t)).map { $0 % t < c.lengths[$0 / t] ? Float(0) : -1e9 }
        let pg = AttentionGeometry(batch: n, tokens: t, heads: c.heads, headSize: c.headSize, inputStride: stride)
        let scale = 1 / Float(c.headSize).squareRoot()
        let qp = pool.ro(padded(q, seed: 91)), kp = c.packedQKV ? qp : pool.ro(padded(k, seed: 92)), vp = c.packedQKV ? qp : pool.ro(padded(v, seed: 93))
        let pq = pool.ro(q), pk = c.packedQKV ? pq : pool.ro(k), pv = c.packedQKV ? pq : pool.ro(v)
        for ctx in testContexts {
            let expected = pool.filled(n * t * w), probabilities = pool.filled(pg.probabilityCount)
            attentionForward(ctx, q: qp, k: UnsafeBufferPointer(rebasing: kp[third...]), v: UnsafeBufferPointer(rebasing: vp[(2 * third)...]),
                             keyMask: pool.ro(mask), dropout: nil, probabilities: probabilities, context: expected, geometry: pg, scale: scale)
            let out = pool.filled(g.rows * w)
            attentionForwardPacked(ctx, q: pq, k: UnsafeBufferPointer(rebasing: pk[third...]), v: UnsafeBufferPointer(rebasing: pv[(2 * third)...]),
                                   context: out, geometry: g, scale: scale)
            var differing = 0
            for s in 0..<n { for i in 0..<c.lengths[s] { for j in 0..<w where out[(g.offsets[s] + i) * w + j].bitPattern != expected[(s * t + i) * w + j].bitPattern { differing += 1 } } }
            #expect(differing == 0, "\(c) \(ctx.backend) t\(ctx.threads): \(differing) of \(g.rows * w) values differ")
        }
    }

    @Test func computeLengthPadsTinySequencesOnlyInBatchesBeyondTheCutOff() {
        // dh = 32: 11·11·32 = 3872 ≤ 4096 < 12·12·32.
        let beyond = PackedAttentionGeometry(offsets: [0, 13, 24, 25], heads: 1, headSize: 32)
        #expect([0, 1, 2].map(beyond.computeLength) == [13, 12, 12])
        let tiny = PackedAttentionGeometry(offsets: [0, 11, 12], heads: 1, headSize: 32)
        #expect([0, 1].map(tiny.computeLength) == [11, 1])
        #expect(!PackedAttentionGeometry(offsets: [0, 5, 3], heads: 1, headSize: 4).isValid)
        #expect(!PackedAttentionGeometry(offsets: [0, 5], heads: 1, headSize: 4, paddedLength: 4).isValid)
    }
}
