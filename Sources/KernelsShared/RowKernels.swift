// Row-wise and element-wise kernels (softmax, LayerNorm, GELU) on raw pointers, one backend.
// Single-threaded over the given rows / range; TLKernels splits rows across threads.
// Tails (cols not a multiple of the vector width) go through partial vectors padded with a
// neutral value, so every element takes the same vector code path.

@inline(__always)
func loadPartial(_ p: UnsafePointer<Float>, _ count: Int, fill: Float) -> VF {
    var v = VF(repeating: fill)
    for i in 0..<count { v[i] = p[i] }
    return v
}

@inline(__always)
func storePartial(_ v: VF, _ p: UnsafeMutablePointer<Float>, _ count: Int) {
    for i in 0..<count { p[i] = v[i] }
}

// MARK: Softmax over the last axis

/// y[r, :] = softmax(x[r, :]) for r in 0..<rows; x, y: [rows, cols] (may alias).
/// Numerically stable: subtracts the row max first, so exp never overflows (inputs of 1e4
/// are fine) and the largest term is exactly 1, keeping the sum ≥ 1.
/// A row's tail (cols not a multiple of the vector width: attention over a batch's token count)
/// is read once, as one full vector whenever that stays inside the [rows, cols] buffer, its
/// extra lanes (the next rows' first elements) masked to −inf; only the last row or two take
/// the lane-by-lane partial load. The tail is stored once (lane by lane). Same values as
/// reading and writing it lane by lane in every pass. Rows without a tail go two at a time
/// (`softmaxFullRows`, AttentionRows.swift: the same values).
public func softmaxRows(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
    let w = VF.scalarCount
    let full = cols / w * w, tail = cols - full
    if tail == 0 { softmaxFullRows(x: x, y: y, rows: rows, cols: cols); return }
    var lane = VI()
    for i in 0..<w { lane[i] = Int32(i) }
    let inTail = lane .< VI(repeating: Int32(tail))
    let negInf = VF(repeating: -.infinity)
    for r in 0..<rows {
        let xr = x + r * cols, yr = y + r * cols
        let spill = tail > 0 && r * cols + full + w <= rows * cols
        var mv = negInf
        var j = 0
        while j < full { mv = vMax(mv, loadV(xr + j)); j += w }
        var tv = negInf
        if tail > 0 {
            tv = spill ? select(inTail, loadV(xr + full), negInf) : loadPartial(xr + full, tail, fill: -.infinity)
            mv = vMax(mv, tv)
        }
        let m = VF(repeating: horizontalMax(mv))
        var sv = VF()
        j = 0
        while j < full {
            let e = expNonPositiveUnderflowV(loadV(xr + j) - m)
            storeV(e, yr + j)
            sv += e
            j += w
        }
        var te = VF()
        if tail > 0 {
            // Padding lanes are -inf: exp gives 0 and adds nothing to the sum.
            te = expNonPositiveUnderflowV(tv - m)
            sv += te
        }
        let inv = VF(repeating: 1 / sv.sum())
        j = 0
        while j < full { storeV(loadV(yr + j) * inv, yr + j); j += w }
        if tail > 0 {
            // (e·inv directly: the same product as storing e and scaling it in a second pass.)
            // Lane by lane, not a full vector blended with the next row's head: softmax runs in
            // place in attention, and the next row's first load would overlap that store (a
            // failed store-to-load forward per row, which cost more than these stores).
            storePartial(te * inv, yr + full, tail)
        }
    }
}

/// dx = y ⊙ (dy − ⟨dy, y⟩) per row (the softmax Jacobian-vector product); [rows, cols].
public func softmaxBackwardRows(y: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                dx: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
    let w = VF.scalarCount
    let full = cols / w * w, tail = cols - full
    for r in 0..<rows {
        let yr = y + r * cols, gr = dy + r * cols, dr = dx + r * cols
        var dv = VF()
        var j = 0
        while j < full { dv = madd(dv, loadV(yr + j), loadV(gr + j)); j += w }
        if tail > 0 { dv = madd(dv, loadPartial(yr + full, tail, fill: 0), loadPartial(gr + full, tail, fill: 0)) }
        let dot = VF(repeating: dv.sum())
        j = 0
        while j < full { storeV(loadV(yr + j) * (loadV(gr + j) - dot), dr + j); j += w }
        if tail > 0 {
            let v = loadPartial(yr + full, tail, fill: 0) * (loadPartial(gr + full, tail, fill: 0) - dot)
            storePartial(v, dr + full, tail)
        }
    }
}

// MARK: LayerNorm over the last axis

/// y = (x − mean)·rstd·gamma + beta per row, rstd = 1/sqrt(var + eps) (biased variance).
/// x, y: [rows, cols] (may alias: each row is read in full before it is written); gamma, beta:
/// [cols]; mean, rstd: [rows] (saved for backward).
/// Two passes over the row (mean, then squared deviations): no cancellation as in E[x²]−E[x]².
public func layerNormRows(x: UnsafePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                          y: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
                          rstd: UnsafeMutablePointer<Float>, rows: Int, cols: Int, eps: Float) {
    let w = VF.scalarCount
    let full = cols / w * w, tail = cols - full
    let invN = 1 / Float(cols)
    for r in 0..<rows {
        let xr = x + r * cols, yr = y + r * cols
        var sv = VF()
        var j = 0
        while j < full { sv += loadV(xr + j); j += w }
        if tail > 0 { sv += loadPartial(xr + full, tail, fill: 0) }
        let mu = sv.sum() * invN
        let muV = VF(repeating: mu)
        var qv = VF()
        j = 0
        while j < full { let d = loadV(xr + j) - muV; qv = madd(qv, d, d); j += w }
        var tailD = VF()
        if tail > 0 {
            tailD = loadPartial(xr + full, tail, fill: mu) - muV  // padding lanes: d = 0
            qv = madd(qv, tailD, tailD)
        }
        let rs = 1 / (qv.sum() * invN + eps).squareRoot()
        mean[r] = mu
        rstd[r] = rs
        let rsV = VF(repeating: rs)
        j = 0
        while j < full {
            let xh = (loadV(xr + j) - muV) * rsV
            storeV(madd(loadV(beta + j), xh, loadV(gamma + j)), yr + j)
            j += w
        }
        if tail > 0 {
            let xh = tailD * rsV
            let v = madd(loadPartial(beta + full, tail, fill: 0), xh, loadPartial(gamma + full, tail, fill: 0))
            storePartial(v, yr + full, tail)
        }
    }
}

/// z = x + r ⊙ f (f = dropout factors, or nil for x + r) for rows × cols, then y = LayerNorm(z)
/// as `layerNormRows` (z may be y: inference keeps no sum). The sum is one multiply and one add
/// per element (no FMA), as the scalar loop it replaces: bit-identical. Callers pass blocks of
/// a few rows, so z is still in L1 for the LayerNorm.
public func addLayerNormRows(x: UnsafePointer<Float>, residual r: UnsafePointer<Float>, dropout f: UnsafePointer<Float>?,
                             gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, z: UnsafeMutablePointer<Float>,
                             y: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
                             rows: Int, cols: Int, eps: Float) {
    let w = VF.scalarCount
    let n = rows * cols, full = n / w * w
    var i = 0
    if let f {
        while i < full { storeV(loadV(x + i) + loadV(r + i) * loadV(f + i), z + i); i += w }
        while i < n { z[i] = x[i] + r[i] * f[i]; i += 1 }
    } else {
        while i < full { storeV(loadV(x + i) + loadV(r + i), z + i); i += w }
        while i < n { z[i] = x[i] + r[i]; i += 1 }
    }
    layerNormRows(x: UnsafePointer(z), gamma: gamma, beta: beta, y: y, mean: mean, rstd: rstd, rows: rows, cols: cols, eps: eps)
}

/// LayerNorm backward for rows; with x̂ = (x − mean)·rstd and g = dy·gamma:
///   dx = rstd·(g − mean(g) − x̂·mean(g·x̂)),  dgamma += Σ_rows dy·x̂,  dbeta += Σ_rows dy.
/// dgamma/dbeta ([cols]) are accumulated into (callers zero them or pass per-thread partials).
public func layerNormBackwardRows(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, gamma: UnsafePointer<Float>,
                                  mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                                  dx: UnsafeMutablePointer<Float>, dgamma: UnsafeMutablePointer<Float>,
                                  dbeta: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
    let w = VF.scalarCount
    let full = cols / w * w, tail = cols - full
    let invN = 1 / Float(cols)
    for r in 0..<rows {
        let xr = x + r * cols, gr = dy + r * cols, dr = dx + r * cols
        let muV = VF(repeating: mean[r]), rsV = VF(repeating: rstd[r])
        var sg = VF(), sgx = VF()
        var j = 0
        while j < full {
            let xh = (loadV(xr + j) - muV) * rsV
            let d = loadV(gr + j)
            let g = d * loadV(gamma + j)
            sg += g
            sgx = madd(sgx, g, xh)
            storeV(madd(loadV(dgamma + j), d, xh), dgamma + j)
            storeV(loadV(dbeta + j) + d, dbeta + j)
            j += w
        }
        if tail > 0 {
            let xh = (loadPartial(xr + full, tail, fill: mean[r]) - muV) * rsV
            let d = loadPartial(gr + full, tail, fill: 0)
            let g = d * loadPartial(gamma + full, tail, fill: 0)
            sg += g
            sgx = madd(sgx, g, xh)
            storePartial(madd(loadPartial(dgamma + full, tail, fill: 0), d, xh), dgamma + full, tail)
            storePartial(loadPartial(dbeta + full, tail, fill: 0) + d, dbeta + full, tail)
        }
        let a = VF(repeating: sg.sum() * invN), b = VF(repeating: sgx.sum() * invN)
        j = 0
        while j < full {
            let xh = (loadV(xr + j) - muV) * rsV
            let g = loadV(gr + j) * loadV(gamma + j)
            storeV(rsV * (g - a - xh * b), dr + j)
            j += w
        }
        if tail > 0 {
            let xh = (loadPartial(xr + full, tail, fill: mean[r]) - muV) * rsV
            let g = loadPartial(gr + full, tail, fill: 0) * loadPartial(gamma + full, tail, fill: 0)
            storePartial(rsV * (g - a - xh * b), dr + full, tail)
        }
    }
}

// MARK: GELU (erf form, as in BERT)

/// 0.5·v·(1 + erf(v/√2)) lane-wise: the one GELU lane function (`gelu` and the GEMM's
/// bias + GELU epilogue both use it, so the two paths agree bit for bit).
@inline(__always)
func geluV(_ v: VF) -> VF {
    VF(repeating: 0.5) * v * (VF(repeating: 1) + erfV(v * VF(repeating: 0.707_106_77)))
}

/// y = 0.5·x·(1 + erf(x/√2)) for count elements (x, y may alias).
public func gelu(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, count: Int) {
    let w = VF.scalarCount
    let full = count / w * w
    var i = 0
    while i < full {
        storeV(geluV(loadV(x + i)), y + i)
        i += w
    }
    if count > full {
        storePartial(geluV(loadPartial(x + full, count - full, fill: 0)), y + full, count - full)
    }
}

/// GELU′(v) = Φ(v) + v·φ(v) lane-wise (`geluBackward`'s factor); one exp: erf's e^(−(v/√2)²)
/// is the density's e^(−v²/2).
@inline(__always)
func geluDerivativeV(_ v: VF) -> VF { geluAndDerivativeV(v).derivative }

/// GELU(v) and GELU′(v) from one erf evaluation: the same expressions as `geluV` and
/// `geluDerivativeV`, so each is bit-identical to its own function (the GEMM epilogue keeps the
/// derivative for the backward pass while it computes the output).
@inline(__always)
func geluAndDerivativeV(_ v: VF) -> (gelu: VF, derivative: VF) {
    let (erf, gaussian) = erfAndGaussianV(v * VF(repeating: 0.707_106_77))
    let gelu = VF(repeating: 0.5) * v * (VF(repeating: 1) + erf)
    let cdf = VF(repeating: 0.5) * (VF(repeating: 1) + erf)
    return (gelu, madd(cdf, v, gaussian * VF(repeating: 0.398_942_28)))
}

/// dx = dy·(Φ(x) + x·φ(x)), Φ(x) = 0.5·(1 + erf(x/√2)), φ(x) = e^(−x²/2)/√(2π).
public func geluBackward(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
                         count: Int) {
    let w = VF.scalarCount
    let full = count / w * w
    @inline(__always) func deriv(_ v: VF) -> VF { geluDerivativeV(v) }
    var i = 0
    while i < full {
        storeV(loadV(dy + i) * deriv(loadV(x + i)), dx + i)
        i += w
    }
    if count > full {
        let n = count - full
        storePartial(loadPartial(dy + full, n, fill: 0) * deriv(loadPartial(x + full, n, fill: 0)), dx + full, n)
    }
}
