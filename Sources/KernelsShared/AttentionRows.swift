// Softmax passes of the attention blocks, fused (compiled once per backend module, like
// RowKernels.swift). Each function does the work of a sequence of row kernels in fewer passes
// over the block's [T, T] matrices, with every element's operations those of the sequence in
// the same order, so the results are bit-identical to it:
//
//   softmaxFullRows          softmaxRows (rows whose length is a multiple of the vector width),
//                            two rows at a time, optionally + multiplyInto(P, factors → weights)
//   softmaxDropoutBackward   multiplyInto(P, f → A), multiplyInto(dA, f → dP),
//                            softmaxBackwardRows(P, dP → dS), scaleRows(dS, scale)
//
// Tests: AttentionCompositeTests (the fused blocks against the step-by-step composite, bit for
// bit) and RowKernelTests (softmax: multi-row calls against one call per row, bit for bit).
//
// Issue 14's seventeenth round, AMD EPYC Zen 1, one core (taskset -c 1), standalone harness on
// a 64 × 64 block in L1 (the attention block of the transformer and MiniLM benchmarks): softmax
// 9.4 → 6.4 µs, softmax + dropout multiply 10.6 → 7.7 µs (two rows at a time, the dropout in
// the scaling pass, and `expNonPositiveUnderflowV` instead of `expV`'s two selects). In
// tl-bench (`taskset -c 1 tl-bench --shapes softmax-64x64,attn-fused-fwd-b32-t64-h12-d32,
// attn-fused-bwd-b32-t64-h12-d32 --threads 1 --cpu-time --reps 9`, 4 alternated runs against
// 95f5f9f with the softmax-64x64 bench added, both built `-c release`): softmax-64x64 3.2–3.3 →
// 4.7–4.8 GB/s (~10 → ~7 µs per call), fused forward 12.6–13.0 → 10.7–11.5 ms, fused backward
// 18.7–19.9 → 17.6–18.4 ms (with the 4×4 transposes of GemmPackers.swift).

/// y = softmax(x) per row, for `cols` a multiple of the vector width (x, y may alias), two rows
/// at a time: the rows' max, exp-and-sum and scaling loops are interleaved, so each loop has two
/// independent dependency chains (the running max, the running sum) in flight where one row
/// alone waits on its own latency. With `factors`, the scaling pass also writes weights = y ⊙
/// factors (the attention block's dropout; factors and weights [rows, cols], dense).
@inline(__always)
func softmaxFullRows(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, rows: Int, cols: Int,
                     factors: UnsafePointer<Float>? = nil, weights: UnsafeMutablePointer<Float>? = nil) {
    let w = VF.scalarCount
    let negInf = VF(repeating: -.infinity)
    var r = 0
    while r + 2 <= rows {
        let x0 = x + r * cols, x1 = x0 + cols, y0 = y + r * cols, y1 = y0 + cols
        var m0 = negInf, m1 = negInf
        var j = 0
        while j < cols { m0 = vMax(m0, loadV(x0 + j)); m1 = vMax(m1, loadV(x1 + j)); j += w }
        let mv0 = VF(repeating: horizontalMax(m0)), mv1 = VF(repeating: horizontalMax(m1))
        var s0 = VF(), s1 = VF()
        j = 0
        while j < cols {
            let e0 = expNonPositiveUnderflowV(loadV(x0 + j) - mv0), e1 = expNonPositiveUnderflowV(loadV(x1 + j) - mv1)
            storeV(e0, y0 + j); storeV(e1, y1 + j)
            s0 += e0; s1 += e1
            j += w
        }
        let inv0 = VF(repeating: 1 / s0.sum()), inv1 = VF(repeating: 1 / s1.sum())
        j = 0
        if let factors, let weights {
            let f0 = factors + r * cols, f1 = f0 + cols, w0 = weights + r * cols, w1 = w0 + cols
            while j < cols {
                let p0 = loadV(y0 + j) * inv0, p1 = loadV(y1 + j) * inv1
                storeV(p0, y0 + j); storeV(p1, y1 + j)
                storeV(p0 * loadV(f0 + j), w0 + j); storeV(p1 * loadV(f1 + j), w1 + j)
                j += w
            }
        } else {
            while j < cols { storeV(loadV(y0 + j) * inv0, y0 + j); storeV(loadV(y1 + j) * inv1, y1 + j); j += w }
        }
        r += 2
    }
    if r < rows {
        let x0 = x + r * cols, y0 = y + r * cols
        var m0 = negInf
        var j = 0
        while j < cols { m0 = vMax(m0, loadV(x0 + j)); j += w }
        let mv0 = VF(repeating: horizontalMax(m0))
        var s0 = VF()
        j = 0
        while j < cols { let e0 = expNonPositiveUnderflowV(loadV(x0 + j) - mv0); storeV(e0, y0 + j); s0 += e0; j += w }
        let inv0 = VF(repeating: 1 / s0.sum())
        j = 0
        while j < cols {
            let p0 = loadV(y0 + j) * inv0
            storeV(p0, y0 + j)
            if let factors, let weights { storeV(p0 * loadV(factors + r * cols + j), weights + r * cols + j) }
            j += w
        }
    }
}

/// An attention block's softmax with its dropout: p ← softmax(p) per row (in place) and, when
/// `factors` is given, weights = p ⊙ factors. The two-row fused loop when the row length is a
/// multiple of the vector width, else softmaxRows then the multiply.
@inline(__always)
func softmaxDropoutRows(_ p: UnsafeMutablePointer<Float>, factors: UnsafePointer<Float>?,
                        weights: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
    if cols % VF.scalarCount == 0 {
        softmaxFullRows(x: p, y: p, rows: rows, cols: cols, factors: factors, weights: factors == nil ? nil : weights)
        return
    }
    softmaxRows(x: p, y: p, rows: rows, cols: cols)
    if let factors { multiplyInto(p, factors, weights, rows * cols) }
}

/// The element-wise part of an attention block's backward pass, two passes over each row: with
/// P the forward pass's probabilities [rows, cols], dA (`da`) the gradient of the dropped
/// weights and f the dropout factors (nil: none),
///
///     A = P ⊙ f (into `weights`, for dV = Aᵀ·dC)   dP = dA ⊙ f
///     dS = P ⊙ (dP − rowsum(dP ⊙ P)), times `scale` when given   (into `da`, over dA)
///
/// The first pass forms dP, A and the row sum; the second forms dP again (the same product) and
/// dS. `weights` is not written when f is nil (A = P then).
@inline(__always)
func softmaxDropoutBackward(p: UnsafePointer<Float>, da: UnsafeMutablePointer<Float>, factors: UnsafePointer<Float>?,
                            weights: UnsafeMutablePointer<Float>, scale: Float?, rows: Int, cols: Int) {
    let w = VF.scalarCount
    let full = cols / w * w, tail = cols - full
    let sv = VF(repeating: scale ?? 1)
    for r in 0..<rows {
        let pr = p + r * cols, dr = da + r * cols
        let fr = factors.map { $0 + r * cols }, ar = weights + r * cols
        // P, dP = dA ⊙ f and f on lanes [j, j + n) (full vectors, or the zero-padded tail).
        @inline(__always) func gradient(_ j: Int, _ n: Int) -> (p: VF, dp: VF, f: VF) {
            let pv = n == w ? loadV(pr + j) : loadPartial(pr + j, n, fill: 0)
            let dv = n == w ? loadV(dr + j) : loadPartial(dr + j, n, fill: 0)
            guard let fr else { return (pv, dv, VF()) }
            let fv = n == w ? loadV(fr + j) : loadPartial(fr + j, n, fill: 0)
            return (pv, dv * fv, fv)
        }
        var dot = VF()
        var j = 0
        while j < full {
            let (pv, dp, fv) = gradient(j, w)
            dot = madd(dot, pv, dp)
            if factors != nil { storeV(pv * fv, ar + j) }
            j += w
        }
        if tail > 0 {
            let (pv, dp, fv) = gradient(full, tail)
            dot = madd(dot, pv, dp)
            if factors != nil { storePartial(pv * fv, ar + full, tail) }
        }
        let dotV = VF(repeating: dot.sum())
        j = 0
        while j < full {
            let (pv, dp, _) = gradient(j, w)
            let ds = pv * (dp - dotV)
            storeV(scale == nil ? ds : ds * sv, dr + j)
            j += w
        }
        if tail > 0 {
            let (pv, dp, _) = gradient(full, tail)
            let ds = pv * (dp - dotV)
            storePartial(scale == nil ? ds : ds * sv, dr + full, tail)
        }
    }
}
