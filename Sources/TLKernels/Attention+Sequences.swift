import Foundation
import TLKernelTable

// Fused multi-head attention over sequences of different lengths stacked without padding
// (packed sequences, inference only: no mask, no dropout, probabilities not kept). Sequence s
// holds rows offsets[s]..<offsets[s + 1] of Q, K, V and the context; each (sequence, head)
// block attends over its own Lₛ tokens only, with the same three steps as `attentionForward`:
//
//     S = scale·Q_h·K_hᵀ [Lₛ, Lₛ]   P = softmax_rows(S)   C_h = P·V_h [Lₛ, dh]
//
// Same results as the padded kernel: `attentionForward` on the batch padded to
// `paddedLength` tokens with the padding keys masked gives the same context for every real
// token, bit for bit. The GEMM's per-element summation order does not depend on M or N, and
// masked keys get probability exactly 0 (their products add nothing). The one exception is the
// GEMM's unpacked path for tiny products (m·n·k ≤ `gemmSmallProductLimit`, plain multiply and
// add instead of fused multiply-adds): a sequence short enough for it inside a batch padded to
// a length that is not runs at the shortest length that is not (zero-padded copies of its Q, K,
// V in scratch, padding keys masked), as the padded batch does. Also equal only while
// `paddedLength` ≤ the GEMM's K block (512 on AVX-512, 256 on the others): beyond, the padded P·V splits
// its K sum where a shorter sequence does not.

/// Whether a GEMM of these sizes runs through the unpacked loops for tiny products (plain
/// multiply and add: rounded differently from the blocked path's fused multiply-adds), the cut-off
/// `gemmSmallProductLimit` (TLKernelTable) that the backends' GEMM itself uses.
/// `PackedAttentionKernelTests` compares with the padded kernel across this boundary.
public func gemmRunsUnpacked(m: Int, n: Int, k: Int) -> Bool { m * n * k <= gemmSmallProductLimit }

/// The sizes of one packed-sequence attention call.
public struct PackedAttentionGeometry: Sendable, Equatable {
    /// Row offsets: sequence s holds rows offsets[s]..<offsets[s + 1] (non-decreasing, from 0).
    public var offsets: [Int]
    public var heads: Int, headSize: Int
    /// The row stride of Q, K and V (D for separate tensors, 3D for a packed projection).
    public var inputStride: Int
    /// The length the padded path would pad this batch to (its longest sequence): sequences
    /// short enough for the GEMM's unpacked path run at the length the padded batch's
    /// products would have (see above).
    public var paddedLength: Int

    public init(offsets: [Int], heads: Int, headSize: Int, inputStride: Int? = nil, paddedLength: Int? = nil) {
        self.offsets = offsets; self.heads = heads; self.headSize = headSize
        self.inputStride = inputStride ?? heads * headSize
        var longest = 0
        for s in 0..<Swift.max(offsets.count - 1, 0) { longest = Swift.max(longest, offsets[s + 1] - offsets[s]) }
        self.paddedLength = paddedLength ?? longest
    }

    public var sequences: Int { Swift.max(offsets.count - 1, 0) }
    /// ΣLₛ, the token rows.
    public var rows: Int { offsets.last ?? 0 }
    /// D = heads · headSize, the row stride of the context.
    public var width: Int { heads * headSize }
    /// Elements a Q, K or V buffer must span (from its start; rows of `inputStride`).
    public var inputSpan: Int { rows == 0 ? 0 : (rows - 1) * inputStride + width }
    public func length(_ s: Int) -> Int { offsets[s + 1] - offsets[s] }

    /// The token count sequence s's products run at: its length, or for a sequence whose
    /// products are tiny while the padded batch's are not, the shortest length whose are not.
    public func computeLength(_ s: Int) -> Int {
        func tiny(_ t: Int) -> Bool { gemmRunsUnpacked(m: t, n: t, k: headSize) }
        let length = length(s)
        guard length > 0, tiny(length), !tiny(paddedLength) else { return length }
        var t = length
        while tiny(t) { t += 1 }
        return t                                                     // ≤ paddedLength
    }

    /// Whether offsets start at 0 and never decrease, and `paddedLength` covers every sequence.
    public var isValid: Bool {
        guard let first = offsets.first, first == 0, heads > 0, headSize > 0, inputStride >= width else { return false }
        for s in 0..<sequences where length(s) < 0 || length(s) > paddedLength { return false }
        return true
    }
}

/// Packed-sequence attention forward (inference). q, k, v: [ΣL, D] rows of `inputStride`;
/// context: [ΣL, D], every row overwritten.
public func attentionForwardPacked(q: UnsafeBufferPointer<Float>, k: UnsafeBufferPointer<Float>, v: UnsafeBufferPointer<Float>,
                                   context: UnsafeMutableBufferPointer<Float>, geometry: PackedAttentionGeometry, scale: Float) {
    attentionForwardPacked(.current, q: q, k: k, v: v, context: context, geometry: geometry, scale: scale)
}

func attentionForwardPacked(_ ctx: KernelContext, q: UnsafeBufferPointer<Float>, k: UnsafeBufferPointer<Float>,
                            v: UnsafeBufferPointer<Float>, context: UnsafeMutableBufferPointer<Float>,
                            geometry g: PackedAttentionGeometry, scale: Float) {
    precondition(g.isValid, "attentionForwardPacked: invalid geometry")
    let (hs, dh, ld, d) = (g.heads, g.headSize, g.inputStride, g.width)
    guard g.rows > 0 else { return }
    precondition(q.count >= g.inputSpan && k.count >= g.inputSpan && v.count >= g.inputSpan && context.count >= g.rows * d,
                 "attentionForwardPacked: buffer too small")
    let qp = q.baseAddress!, kp = k.baseAddress!, vp = v.baseAddress!, cp = context.baseAddress!
    let kt = ctx.backend.kernels
    let lengths = (0..<g.sequences).map(g.length), compute = (0..<g.sequences).map(g.computeLength)
    let longest = compute.max() ?? 0
    // Blocks (sequence, head) dealt to threads by their cost (E² each), in order.
    let blocks = g.sequences * hs
    var start = [Int](repeating: 0, count: blocks + 1)
    for b in 0..<blocks { start[b + 1] = start[b] + compute[b / hs] * compute[b / hs] }
    let total = start[blocks]
    let threads = ctx.threadsFor(work: total * 4 * dh, maxChunks: blocks)
    // Per thread: scores [E, E], and for padded copies Q, K, V and C [E, dh] each.
    let perThread = longest * longest + 4 * longest * dh
    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(threads * perThread, 1))
    defer { scratch.deallocate() }
    start.withUnsafeBufferPointer { costs in
        parallelFor(threads) { th in
            let p = scratch + th * perThread
            let lo = th == 0 ? 0 : firstBlock(costs, from: total * th / threads)
            let hi = th == threads - 1 ? blocks : firstBlock(costs, from: total * (th + 1) / threads)
            for block in lo..<hi {
                let (s, h) = (block / hs, block % hs)
                let (n, e) = (lengths[s], compute[s])
                guard n > 0 else { continue }
                let off = g.offsets[s] * ld + h * dh, co = g.offsets[s] * d + h * dh
                if e == n {
                    kt.gemm(false, true, n, n, dh, scale, qp + off, ld, kp + off, ld, 0, p, n)   // S [L, L]
                    kt.softmaxRows(p, p, n, n)
                    kt.gemm(false, false, n, dh, n, 1, p, n, vp + off, ld, 0, cp + co, d)       // C_h [L, dh]
                    continue
                }
                // Padded to e tokens (zero rows), the padding keys masked as the padded path does.
                let qs = p + e * e, ks = qs + e * dh, vs = ks + e * dh, cs = vs + e * dh
                qs.initialize(repeating: 0, count: 3 * e * dh)
                for i in 0..<n {
                    for j in 0..<dh {
                        qs[i * dh + j] = qp[off + i * ld + j]; ks[i * dh + j] = kp[off + i * ld + j]; vs[i * dh + j] = vp[off + i * ld + j]
                    }
                }
                kt.gemm(false, true, e, e, dh, scale, qs, dh, ks, dh, 0, p, e)                 // S [E, E]
                for i in 0..<e { for j in n..<e { p[i * e + j] += paddingKeyScore } }
                kt.softmaxRows(p, p, e, e)
                kt.gemm(false, false, e, dh, e, 1, p, e, vs, dh, 0, cs, dh)                    // C_h [E, dh]
                for i in 0..<n { for j in 0..<dh { cp[co + i * d + j] = cs[i * dh + j] } }
            }
        }
    }
}

/// The padded path's additive score for masked keys (MultiHeadAttention.maskedScore).
private let paddingKeyScore: Float = -1e9

/// The first block whose cost range starts at or after `cost` (`starts`: prefix sums of the
/// block costs, ascending, one more than the blocks).
private func firstBlock(_ starts: UnsafeBufferPointer<Int>, from cost: Int) -> Int {
    var (lo, hi) = (0, starts.count - 1)
    while lo < hi {
        let mid = (lo + hi) / 2
        if starts[mid] < cost { lo = mid + 1 } else { hi = mid }
    }
    return lo
}

/// Naive twin of `attentionForwardPacked` (Double arithmetic, explicit loops, each sequence
/// over its own tokens).
public func attentionForwardPackedReference(q: UnsafeBufferPointer<Float>, k: UnsafeBufferPointer<Float>, v: UnsafeBufferPointer<Float>,
                                            context: UnsafeMutableBufferPointer<Float>, geometry g: PackedAttentionGeometry, scale: Float) {
    let (dh, d, ld) = (g.headSize, g.width, g.inputStride)
    for s in 0..<g.sequences {
        let (first, n) = (g.offsets[s], g.length(s))
        for h in 0..<g.heads {
            for i in 0..<n {
                var scores = [Double](repeating: 0, count: n)
                for j in 0..<n {
                    var dot = 0.0
                    for e in 0..<dh { dot += Double(q[(first + i) * ld + h * dh + e]) * Double(k[(first + j) * ld + h * dh + e]) }
                    scores[j] = dot * Double(scale)
                }
                let m = scores.max()!
                let weights = scores.map { Foundation.exp($0 - m) }
                let z = weights.reduce(0, +)
                for e in 0..<dh {
                    var acc = 0.0
                    for j in 0..<n { acc += weights[j] / z * Double(v[(first + j) * ld + h * dh + e]) }
                    context[(first + i) * d + h * dh + e] = Float(acc)
                }
            }
        }
    }
}
