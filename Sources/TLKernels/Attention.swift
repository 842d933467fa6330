import Foundation
import TLKernelTable

// Fused multi-head scaled dot-product attention on [N, T, D] projections (D = H·dh; Q, K and V
// may also be the thirds of one packed [N, T, 3D] projection: rows of `inputStride`), one
// (batch, head) block at a time while it is in cache: the heads are read and written in place
// through the row stride D, so there are no split/merge transposes, and the T×T scores never
// exist as a separate scaled, masked and dropped-out copy. Threads take whole (batch, head)
// blocks (no fork/join per small product) and one workspace each; the block itself is a
// backend kernel (Sources/KernelsShared/AttentionBlocks.swift: no allocation per product).
//
//     S = scale·Q_h·K_hᵀ + mask[n]   P = softmax_rows(S)   A = P ⊙ drop   C_h = A·V_h
//
// Backward (given P saved by the forward pass and the same dropout factors):
//
//     dA = dC_h·V_hᵀ   dV_h = Aᵀ·dC_h   dP = dA ⊙ drop   dS = P ⊙ (dP − rowsum(dP ⊙ P))
//     dQ_h = scale·dS·K_h   dK_h = scale·dSᵀ·Q_h

/// The sizes of one fused attention call.
public struct AttentionGeometry: Sendable, Equatable {
    public var batch: Int, tokens: Int, heads: Int, headSize: Int
    /// The row stride of Q, K, V and of their gradients: D when they are separate [N, T, D]
    /// tensors, 3D when they are the thirds of one packed [N, T, 3D] projection.
    public var inputStride: Int
    public init(batch: Int, tokens: Int, heads: Int, headSize: Int, inputStride: Int? = nil) {
        self.batch = batch; self.tokens = tokens; self.heads = heads; self.headSize = headSize
        self.inputStride = inputStride ?? heads * headSize
    }
    /// D = heads · headSize, the row stride of the context.
    public var width: Int { heads * headSize }
    /// Elements of a [N, T, D] tensor.
    public var hiddenCount: Int { batch * tokens * width }
    /// Elements a Q, K or V buffer must span (from its start; rows of `inputStride`).
    public var inputSpan: Int { batch * tokens == 0 ? 0 : (batch * tokens - 1) * inputStride + width }
    /// Elements of the [N, H, T, T] probabilities.
    public var probabilityCount: Int { batch * heads * tokens * tokens }
}

/// Forward pass. q, k, v: [N, T, D] rows of `inputStride`; context: [N, T, D]; keyMask: [N, T] additive (0 or a large negative),
/// or nil; dropout: [N, H, T, T] factors (0 or 1/(1−p)), or nil; probabilities: [N, H, T, T],
/// written with the softmax output (before dropout), saved for the backward pass.
public func attentionForward(q: UnsafeBufferPointer<Float>, k: UnsafeBufferPointer<Float>, v: UnsafeBufferPointer<Float>,
                             keyMask: UnsafeBufferPointer<Float>?, dropout: UnsafeBufferPointer<Float>?,
                             probabilities: UnsafeMutableBufferPointer<Float>, context: UnsafeMutableBufferPointer<Float>,
                             geometry g: AttentionGeometry, scale: Float) {
    attentionForward(.current, q: q, k: k, v: v, keyMask: keyMask, dropout: dropout, probabilities: probabilities,
                     context: context, geometry: g, scale: scale)
}

func attentionForward(_ ctx: KernelContext, q: UnsafeBufferPointer<Float>, k: UnsafeBufferPointer<Float>,
                      v: UnsafeBufferPointer<Float>, keyMask: UnsafeBufferPointer<Float>?, dropout: UnsafeBufferPointer<Float>?,
                      probabilities: UnsafeMutableBufferPointer<Float>, context: UnsafeMutableBufferPointer<Float>,
                      geometry g: AttentionGeometry, scale: Float) {
    let (t, dh, d, hs, ld) = (g.tokens, g.headSize, g.width, g.heads, g.inputStride)
    guard g.batch > 0, t > 0, dh > 0, hs > 0 else { return }
    precondition(q.count >= g.inputSpan && k.count >= g.inputSpan && v.count >= g.inputSpan && g.inputStride >= g.width
                 && context.count >= g.hiddenCount && probabilities.count >= g.probabilityCount
                 && (keyMask?.count ?? Int.max) >= g.batch * t && (dropout?.count ?? Int.max) >= g.probabilityCount,
                 "attentionForward: buffer too small")
    let qp = q.baseAddress!, kp = k.baseAddress!, vp = v.baseAddress!
    let pp = probabilities.baseAddress!, cp = context.baseAddress!
    let mp = keyMask?.baseAddress, dp = dropout?.baseAddress, kernels = ctx.backend.kernels.attention
    let blocks = g.batch * hs
    let threads = ctx.threadsFor(work: blocks * 4 * t * t * dh, maxChunks: blocks)
    let shape = AttentionBlockShape(tokens: t, headSize: dh, inputStride: ld, outputStride: d, scale: scale)
    let space = kernels.workspaceFloats(t, dh)   // a multiple of 16 floats: each one aligned
    let workspace = allocateAligned(floats: threads * space)
    defer { workspace.deallocate() }
    parallelFor(threads) { th in
        for block in chunkRange(th, parts: threads, units: blocks) {
            let (n, h) = (block / hs, block % hs)
            let off = n * t * ld + h * dh
            kernels.forwardBlock(qp + off, kp + off, vp + off, mp.map { $0 + n * t }, dp.map { $0 + block * t * t },
                                 pp + block * t * t, cp + n * t * d + h * dh, shape, workspace + th * space)
        }
    }
}

/// Backward pass: given q, k, v, the saved probabilities and dropout factors of the forward
/// pass and dC (contextGradient, [N, T, D]), overwrites dq, dk, dv ([N, T, D] rows of
/// `inputStride`, like q, k, v: with a packed projection they are the thirds of one buffer).
public func attentionBackward(q: UnsafeBufferPointer<Float>, k: UnsafeBufferPointer<Float>, v: UnsafeBufferPointer<Float>,
                              probabilities: UnsafeBufferPointer<Float>, dropout: UnsafeBufferPointer<Float>?,
                              contextGradient: UnsafeBufferPointer<Float>,
                              dq: UnsafeMutableBufferPointer<Float>, dk: UnsafeMutableBufferPointer<Float>,
                              dv: UnsafeMutableBufferPointer<Float>, geometry g: AttentionGeometry, scale: Float) {
    attentionBackward(.current, q: q, k: k, v: v, probabilities: probabilities, dropout: dropout,
                      contextGradient: contextGradient, dq: dq, dk: dk, dv: dv, geometry: g, scale: scale)
}

func attentionBackward(_ ctx: KernelContext, q: UnsafeBufferPointer<Float>, k: UnsafeBufferPointer<Float>,
                       v: UnsafeBufferPointer<Float>, probabilities: UnsafeBufferPointer<Float>,
                       dropout: UnsafeBufferPointer<Float>?, contextGradient: UnsafeBufferPointer<Float>,
                       dq: UnsafeMutableBufferPointer<Float>, dk: UnsafeMutableBufferPointer<Float>,
                       dv: UnsafeMutableBufferPointer<Float>, geometry g: AttentionGeometry, scale: Float) {
    let (t, dh, d, hs, ld) = (g.tokens, g.headSize, g.width, g.heads, g.inputStride)
    guard g.batch > 0, t > 0, dh > 0, hs > 0 else { return }
    precondition(q.count >= g.inputSpan && k.count >= g.inputSpan && v.count >= g.inputSpan && g.inputStride >= g.width
                 && contextGradient.count >= g.hiddenCount && dq.count >= g.inputSpan && dk.count >= g.inputSpan
                 && dv.count >= g.inputSpan && probabilities.count >= g.probabilityCount
                 && (dropout?.count ?? Int.max) >= g.probabilityCount, "attentionBackward: buffer too small")
    let qp = q.baseAddress!, kp = k.baseAddress!, vp = v.baseAddress!, pp = probabilities.baseAddress!
    let gp = contextGradient.baseAddress!, dqp = dq.baseAddress!, dkp = dk.baseAddress!, dvp = dv.baseAddress!
    let dp = dropout?.baseAddress, kernels = ctx.backend.kernels.attention
    let blocks = g.batch * hs
    let threads = ctx.threadsFor(work: blocks * 8 * t * t * dh, maxChunks: blocks)
    let shape = AttentionBlockShape(tokens: t, headSize: dh, inputStride: ld, outputStride: d, scale: scale)
    let space = kernels.workspaceFloats(t, dh)   // a multiple of 16 floats: each one aligned
    let workspace = allocateAligned(floats: threads * space)
    defer { workspace.deallocate() }
    parallelFor(threads) { th in
        for block in chunkRange(th, parts: threads, units: blocks) {
            let (n, h) = (block / hs, block % hs)
            let off = n * t * ld + h * dh, co = n * t * d + h * dh
            kernels.backwardBlock(qp + off, kp + off, vp + off, pp + block * t * t, dp.map { $0 + block * t * t }, gp + co,
                                  dqp + off, dkp + off, dvp + off, shape, workspace + th * space)
        }
    }
}

/// Uninitialised floats, 64-byte aligned (free with `deallocate()`).
private func allocateAligned(floats: Int) -> UnsafeMutablePointer<Float> {
    UnsafeMutableRawPointer.allocate(byteCount: max(floats, 1) * 4, alignment: 64).bindMemory(to: Float.self, capacity: max(floats, 1))
}

/// Naive twin of `attentionForward` (Double arithmetic, explicit loops).
public func attentionForwardReference(q: UnsafeBufferPointer<Float>, k: UnsafeBufferPointer<Float>, v: UnsafeBufferPointer<Float>,
                                      keyMask: UnsafeBufferPointer<Float>?, dropout: UnsafeBufferPointer<Float>?,
                                      probabilities: UnsafeMutableBufferPointer<Float>, context: UnsafeMutableBufferPointer<Float>,
                                      geometry g: AttentionGeometry, scale: Float) {
    let (t, dh, d, ld) = (g.tokens, g.headSize, g.width, g.inputStride)
    for n in 0..<g.batch {
        for h in 0..<g.heads {
            let base = (n * g.heads + h) * t * t
            for i in 0..<t {
                var s = [Double](repeating: 0, count: t)
                for j in 0..<t {
                    var dot = 0.0
                    for e in 0..<dh { dot += Double(q[(n * t + i) * ld + h * dh + e]) * Double(k[(n * t + j) * ld + h * dh + e]) }
                    s[j] = dot * Double(scale) + Double(keyMask?[n * t + j] ?? 0)
                }
                let m = s.max()!
                let z = s.reduce(0) { $0 + Foundation.exp($1 - m) }
                for j in 0..<t { probabilities[base + i * t + j] = Float(Foundation.exp(s[j] - m) / z) }
                for e in 0..<dh {
                    var acc = 0.0
                    for j in 0..<t {
                        let w = Double(probabilities[base + i * t + j]) * Double(dropout?[base + i * t + j] ?? 1)
                        acc += w * Double(v[(n * t + j) * ld + h * dh + e])
                    }
                    context[(n * t + i) * d + h * dh + e] = Float(acc)
                }
            }
        }
    }
}

/// Naive twin of `attentionBackward` (Double arithmetic, explicit loops; dq, dk, dv overwritten).
public func attentionBackwardReference(q: UnsafeBufferPointer<Float>, k: UnsafeBufferPointer<Float>, v: UnsafeBufferPointer<Float>,
                                       probabilities: UnsafeBufferPointer<Float>, dropout: UnsafeBufferPointer<Float>?,
                                       contextGradient: UnsafeBufferPointer<Float>,
                                       dq: UnsafeMutableBufferPointer<Float>, dk: UnsafeMutableBufferPointer<Float>,
                                       dv: UnsafeMutableBufferPointer<Float>, geometry g: AttentionGeometry, scale: Float) {
    let (t, dh, d, ld) = (g.tokens, g.headSize, g.width, g.inputStride)
    for n in 0..<g.batch { for i in 0..<t { for e in 0..<d { let j = (n * t + i) * ld + e; dq[j] = 0; dk[j] = 0; dv[j] = 0 } } }
    func at(_ n: Int, _ i: Int, _ h: Int, _ e: Int) -> Int { (n * t + i) * ld + h * dh + e }
    func out(_ n: Int, _ i: Int, _ h: Int, _ e: Int) -> Int { (n * t + i) * d + h * dh + e }
    for n in 0..<g.batch {
        for h in 0..<g.heads {
            let base = (n * g.heads + h) * t * t
            for i in 0..<t {
                // dP[i, j] = drop · Σ_e dC[i, e]·V[j, e];  dV[j, e] += A[i, j]·dC[i, e]
                var dp = [Double](repeating: 0, count: t)
                for j in 0..<t {
                    let f = Double(dropout?[base + i * t + j] ?? 1), p = Double(probabilities[base + i * t + j])
                    var acc = 0.0
                    for e in 0..<dh {
                        acc += Double(contextGradient[out(n, i, h, e)]) * Double(v[at(n, j, h, e)])
                        dv[at(n, j, h, e)] += Float(p * f * Double(contextGradient[out(n, i, h, e)]))
                    }
                    dp[j] = acc * f
                }
                var dot = 0.0
                for j in 0..<t { dot += dp[j] * Double(probabilities[base + i * t + j]) }
                for j in 0..<t {
                    let ds = Double(probabilities[base + i * t + j]) * (dp[j] - dot) * Double(scale)
                    for e in 0..<dh {
                        dq[at(n, i, h, e)] += Float(ds * Double(k[at(n, j, h, e)]))
                        dk[at(n, j, h, e)] += Float(ds * Double(q[at(n, i, h, e)]))
                    }
                }
            }
        }
    }
}
