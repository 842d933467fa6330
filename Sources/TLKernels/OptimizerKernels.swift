import Foundation

// The elementwise part of an Adam / AdamW step, one pass over the parameter.
//
// Per element, in exactly PyTorch's order of Float32 operations (TLOptim/Adam.swift):
//     w ← w·decoupledDecay                         (AdamW; decoupledDecay = 1 − lr·wd, or 1)
//     g ← grad + l2Decay·w                          (Adam's L2 decay; l2Decay = wd, or 0)
//     m ← m + (1 − β₁)·(g − m)                      (torch: exp_avg.lerp_(grad, 1 − β₁))
//     v ← v·β₂ + (1 − β₂)·g·g                       (torch: mul_(β₂).addcmul_(grad, grad, 1 − β₂))
//     w ← w + stepScale·(m / (√v / bc2Sqrt + ε))    (torch: addcdiv_(exp_avg, denom, −lr/bc₁))
// Every SIMD lane does the same IEEE operations as the scalar loop (no FMA contraction, exact
// square root), so the vector kernel is bit-identical to its naive twin below.
//
// The pass is memory-bound: it reads w, grad, m, v and writes w, m, v (28 bytes per element).
// Above `adamParallelMinimum` elements it splits across the kernel threads; below, a fork
// (1–2.6 µs) is not worth it.

/// Scalars of one Adam step for one parameter (already rounded to Float as PyTorch does).
public struct AdamStepScalars: Sendable {
    public var keep1Weight: Float      // 1 − β₁
    public var beta2: Float            // β₂
    public var keep2Weight: Float      // 1 − β₂
    public var bc2Sqrt: Float          // √(1 − β₂ᵗ)
    public var epsilon: Float
    public var stepScale: Float        // −lr / (1 − β₁ᵗ)
    public var l2Decay: Float          // Adam's weight decay through the gradient, 0 = none
    public var decoupledDecay: Float   // AdamW's w·(1 − lr·wd), 1 = none

    public init(keep1Weight: Float, beta2: Float, keep2Weight: Float, bc2Sqrt: Float, epsilon: Float,
                stepScale: Float, l2Decay: Float = 0, decoupledDecay: Float = 1) {
        self.keep1Weight = keep1Weight; self.beta2 = beta2; self.keep2Weight = keep2Weight
        self.bc2Sqrt = bc2Sqrt; self.epsilon = epsilon; self.stepScale = stepScale
        self.l2Decay = l2Decay; self.decoupledDecay = decoupledDecay
    }
}

/// Elements from which one Adam update is split across threads (~50 µs of work on one core).
let adamParallelMinimum = 1 << 16

// w, grad, m, v: [n]
/// One Adam / AdamW update of a parameter in place (see the formulas above).
public func adamUpdate(weights w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>,
                       firstMoment m: UnsafeMutablePointer<Float>, secondMoment v: UnsafeMutablePointer<Float>,
                       count n: Int, _ s: AdamStepScalars) {
    adamUpdate(context: .current, weights: w, gradient: g, firstMoment: m, secondMoment: v, count: n, s)
}

func adamUpdate(context: KernelContext, weights w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>,
                firstMoment m: UnsafeMutablePointer<Float>, secondMoment v: UnsafeMutablePointer<Float>,
                count n: Int, _ s: AdamStepScalars) {
    let parts = (n >= adamParallelMinimum || context.minParallelWork == 0) ? max(1, min(context.threads, n / 16)) : 1
    // Chunks are whole SIMD16 groups, so the split does not change which elements take the tail.
    let groups = (n + 15) / 16
    parallelFor(parts) { part in
        let r = chunkRange(part, parts: parts, units: groups)
        adamRange(w, g, m, v, r.lowerBound * 16, min(n, r.upperBound * 16), s)
    }
}

/// One parameter's Adam update for `adamUpdate(_:)`: pointers valid for the call, [count] each.
public struct AdamUpdateItem {
    public var weights: UnsafeMutablePointer<Float>
    public var gradient: UnsafePointer<Float>
    public var firstMoment: UnsafeMutablePointer<Float>
    public var secondMoment: UnsafeMutablePointer<Float>
    public var count: Int
    public var scalars: AdamStepScalars
    public init(weights: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>, firstMoment: UnsafeMutablePointer<Float>,
                secondMoment: UnsafeMutablePointer<Float>, count: Int, scalars: AdamStepScalars) {
        self.weights = weights; self.gradient = gradient; self.firstMoment = firstMoment
        self.secondMoment = secondMoment; self.count = count; self.scalars = scalars
    }
}

/// The Adam updates of several parameters (an optimizer step), each bit-identical to
/// `adamUpdate(weights:…)` on it alone: parameters of `adamParallelMinimum` elements or more
/// are split across the threads one at a time; the small ones (biases, LayerNorm vectors, a
/// transformer's 128×128 projections) are dealt to the threads whole, as contiguous runs of
/// about equal element counts, in one fork instead of one serial pass each.
public func adamUpdate(_ items: [AdamUpdateItem]) {
    adamUpdate(context: .current, items)
}

func adamUpdate(context: KernelContext, _ items: [AdamUpdateItem]) {
    var small: [AdamUpdateItem] = []
    var smallTotal = 0
    for item in items where item.count > 0 {
        if item.count >= adamParallelMinimum {
            adamUpdate(context: context, weights: item.weights, gradient: item.gradient, firstMoment: item.firstMoment,
                       secondMoment: item.secondMoment, count: item.count, item.scalars)
        } else {
            small.append(item)
            smallTotal += item.count
        }
    }
    guard !small.isEmpty else { return }
    let parts = (smallTotal >= adamParallelMinimum || context.minParallelWork == 0) ? max(1, min(context.threads, small.count)) : 1
    // Item i goes to the part its first element falls in (a contiguous run of items per part).
    var owner = [Int](repeating: 0, count: small.count)
    var start = 0
    for i in small.indices {
        owner[i] = min(parts - 1, start * parts / smallTotal)
        start += small[i].count
    }
    small.withUnsafeBufferPointer { list in
        owner.withUnsafeBufferPointer { owners in
            parallelFor(parts) { part in
                for i in list.indices where owners[i] == part {
                    let it = list[i]
                    adamRange(it.weights, it.gradient, it.firstMoment, it.secondMoment, 0, it.count, it.scalars)
                }
            }
        }
    }
}

@inline(__always)
private func adamRange(_ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ m: UnsafeMutablePointer<Float>,
                       _ v: UnsafeMutablePointer<Float>, _ start: Int, _ end: Int, _ s: AdamStepScalars) {
    typealias V = SIMD16<Float>
    let rw = UnsafeMutableRawPointer(w), rg = UnsafeRawPointer(g), rm = UnsafeMutableRawPointer(m), rv = UnsafeMutableRawPointer(v)
    let k1 = V(repeating: s.keep1Weight), b2 = V(repeating: s.beta2), k2 = V(repeating: s.keep2Weight)
    let bc = V(repeating: s.bc2Sqrt), eps = V(repeating: s.epsilon), scale = V(repeating: s.stepScale)
    let l2 = V(repeating: s.l2Decay), dd = V(repeating: s.decoupledDecay)
    let useL2 = s.l2Decay != 0, useDecoupled = s.decoupledDecay != 1
    var i = start
    while i + 16 <= end {
        let o = i * 4
        var wi = rw.loadUnaligned(fromByteOffset: o, as: V.self)
        var gi = rg.loadUnaligned(fromByteOffset: o, as: V.self)
        if useDecoupled { wi = wi * dd }
        if useL2 { gi = gi + l2 * wi }
        var mi = rm.loadUnaligned(fromByteOffset: o, as: V.self)
        var vi = rv.loadUnaligned(fromByteOffset: o, as: V.self)
        mi = mi + k1 * (gi - mi)
        vi = vi * b2 + k2 * gi * gi
        let denom = vi.squareRoot() / bc + eps
        wi = wi + scale * (mi / denom)
        rm.storeBytes(of: mi, toByteOffset: o, as: V.self)
        rv.storeBytes(of: vi, toByteOffset: o, as: V.self)
        rw.storeBytes(of: wi, toByteOffset: o, as: V.self)
        i += 16
    }
    while i < end {
        adamElement(w, g, m, v, i, s)
        i += 1
    }
}

@inline(__always)
private func adamElement(_ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ m: UnsafeMutablePointer<Float>,
                         _ v: UnsafeMutablePointer<Float>, _ i: Int, _ s: AdamStepScalars) {
    if s.decoupledDecay != 1 { w[i] *= s.decoupledDecay }
    var gi = g[i]
    if s.l2Decay != 0 { gi += s.l2Decay * w[i] }
    m[i] += s.keep1Weight * (gi - m[i])
    v[i] = v[i] * s.beta2 + s.keep2Weight * gi * gi
    let denom = v[i].squareRoot() / s.bc2Sqrt + s.epsilon
    w[i] += s.stepScale * (m[i] / denom)
}

/// Naive twin of `adamUpdate`: the scalar loop, one element at a time.
public func adamUpdateReference(weights w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>,
                                firstMoment m: UnsafeMutablePointer<Float>, secondMoment v: UnsafeMutablePointer<Float>,
                                count n: Int, _ s: AdamStepScalars) {
    for i in 0..<n { adamElement(w, g, m, v, i, s) }
}
