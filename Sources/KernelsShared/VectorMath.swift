// Vectorised exp and erf on VF (shared by every backend; madd is an FMA where available).

/// e^x, lane-wise, relative error ≤ ~2 ulp for x in [-87.3, 88.7]; 0 below -87.3 (where
/// e^x would be denormal), +inf above 88.72.
@inline(__always)
func expV(_ x: VF) -> VF {
    let result = expClampedV(vMin(vMax(x, VF(repeating: -87.33)), VF(repeating: 88.72)))
    let low = select(x .< VF(repeating: -87.33), VF(), result)
    return select(x .> VF(repeating: 88.72), VF(repeating: .infinity), low)
}

/// e^x for x ≤ 0 (erf's e^(−x²)): `expV`'s polynomial and rounding, with only the lower clamp —
/// below −87.33 it returns e^(−87.33) ≈ 1.2e-38 instead of 0 and skips the three compare-and-
/// selects a general argument needs (each a multiply-based select, see `select`).
@inline(__always)
func expNonPositiveV(_ x: VF) -> VF { expClampedV(vMax(x, VF(repeating: -87.33))) }

/// e^x for x ≤ 0 (softmax's max-subtracted scores, −∞ included), with no compare or select:
/// x is clamped at −88.3, where n = round(x·log2 e) = −127 and the 2^n assembled in the
/// exponent field is +0, so every x below about −87.68 gives exactly 0 by itself. Between that and
/// −87.33 it gives e^x as a subnormal (0 where subnormals are flushed, as on tl's kernel
/// threads, FloatEnvironment.swift) where `expV` gives 0; elsewhere `expV`'s value. On Zen 1
/// (one core, L1-resident input) 1.0 ns per element against 1.6–1.9 for `expV`: the difference
/// is `expV`'s upper clamp and its two compare-and-selects.
@inline(__always)
func expNonPositiveUnderflowV(_ x: VF) -> VF { expClampedV(vMax(x, VF(repeating: -88.3))) }

/// e^xc for xc already in [-88.3, 88.72], shared by `expV` and `expNonPositiveV`.
/// Range reduction xc = n·ln2 + r, |r| ≤ ln2/2, with ln2 split in a part exact in float
/// (0.693359375) and a small correction so n·ln2 adds no rounding error; e^r from the
/// Cephes degree-6 minimax polynomial; 2^n assembled in the exponent bits.
@inline(__always)
func expClampedV(_ xc: VF) -> VF {
    // Round xc·log2(e) to nearest: adding 1.5·2^23 pushes the fraction out of the mantissa.
    let magic = VF(repeating: 12_582_912)
    let t = madd(magic, xc, VF(repeating: 1.442_695_04))
    let n = t - magic
    var r = madd(xc, n, VF(repeating: -0.693_359_375))
    r = madd(r, n, VF(repeating: 2.121_944_4e-4))
    var p = VF(repeating: 1.987_569_15e-4)
    p = madd(VF(repeating: 1.398_199_95e-3), p, r)
    p = madd(VF(repeating: 8.333_451_9e-3), p, r)
    p = madd(VF(repeating: 4.166_579_59e-2), p, r)
    p = madd(VF(repeating: 1.666_666_55e-1), p, r)
    p = madd(VF(repeating: 5.000_000_12e-1), p, r)
    let er = madd(r + VF(repeating: 1), p, r * r)
    // t's low mantissa bits hold n (two's complement); (n + 127) << 23 is 2^n.
    let bits = unsafeBitCast(t, to: VI.self)
    return er * unsafeBitCast((bits &+ VI(repeating: 127)) &<< 23, to: VF.self)
}

/// erf(x), lane-wise, absolute error ≤ ~2e-7 (Abramowitz & Stegun 7.1.26 has 1.5e-7, plus
/// float rounding): erf|x| = 1 − (a1·t + … + a5·t⁵)·e^(−x²), t = 1/(1 + p·|x|); sign restored.
@inline(__always)
func erfV(_ x: VF) -> VF { erfAndGaussianV(x).erf }

/// erf(x) as `erfV` and the e^(−x²) it computes on the way (GELU's backward pass needs both:
/// with x = v/√2, e^(−x²) = e^(−v²/2) is the normal density up to 1/√(2π)), one exp for two.
@inline(__always)
func erfAndGaussianV(_ x: VF) -> (erf: VF, gaussian: VF) {
    let ax = absV(x)
    let t = VF(repeating: 1) / madd(VF(repeating: 1), ax, VF(repeating: 0.327_591_1))
    var y = VF(repeating: 1.061_405_429)
    y = madd(VF(repeating: -1.453_152_027), y, t)
    y = madd(VF(repeating: 1.421_413_741), y, t)
    y = madd(VF(repeating: -0.284_496_736), y, t)
    y = madd(VF(repeating: 0.254_829_592), y, t)
    y = y * t
    let e = expNonPositiveV(-(ax * ax))
    let r = VF(repeating: 1) - y * e
    return (select(x .< VF(), VF() - r, r), e)
}

// Lane-wise max/min via compare + select (the stdlib's generic pointwiseMax/Min are not
// inlined for SIMD16 and run as scalar loops).
// Only +, -, * and comparisons of SIMD vectors lower to single vector instructions inside the
// kernels; the stdlib implements &, |, ~ and `replacing(with:where:)` as generic lane loops
// that LLVM vectorises poorly there (measured: softmax 5x slower; again with Swift 6.3 on the
// AVX2 backend, Zen 1: (t & m) | (f & ~m) took softmax-4096x384 from 3.2 to 8.9 ms and
// gelu-4096x384 from 4.2 to 11.2, although a standalone function of it compiles to three
// vector instructions). So selection uses wrapping integer arithmetic on the comparison's
// 0 / -1 lanes: f + (t - f)·(-m) is t where m = -1, f where 0. A single & with a constant
// (`absV`) and &<< by a constant did lower to one instruction each.
@inline(__always) func select(_ mask: SIMDMask<VI>, _ ifTrue: VF, _ ifFalse: VF) -> VF {
    let m = unsafeBitCast(mask, to: VI.self)
    let t = unsafeBitCast(ifTrue, to: VI.self), f = unsafeBitCast(ifFalse, to: VI.self)
    return unsafeBitCast(f &+ (t &- f) &* (VI() &- m), to: VF.self)
}
/// |x| lane-wise: the sign bit cleared.
@inline(__always) func absV(_ x: VF) -> VF {
    unsafeBitCast(unsafeBitCast(x, to: VI.self) & VI(repeating: 0x7fff_ffff), to: VF.self)
}
@inline(__always) func vMax(_ a: VF, _ b: VF) -> VF { select(a .< b, b, a) }
@inline(__always) func vMin(_ a: VF, _ b: VF) -> VF { select(b .< a, b, a) }

@inline(__always) func horizontalSum(_ v: VF) -> Float { v.sum() }
/// The largest lane, as a tree of `vMax` folding the upper half onto the lower: the stdlib's
/// `max()` compiles to a scalar loop that spills the vector to the stack on every step (softmax
/// was 40% of MiniLM's attention forward pass; this tree took that pass from 4.1–4.4 to
/// 3.6 ms, issue 14). Same value for inputs without NaN.
@inline(__always) func horizontalMax(_ v: VF) -> Float {
    var u = v
    var half = VF.scalarCount / 2
    while half >= 1 {
        var upper = VF()
        for i in 0..<half { upper[i] = u[i + half] }
        u = vMax(u, upper)
        half /= 2
    }
    return u[0]
}
