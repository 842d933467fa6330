// 16-bit floating-point formats widened to Float with integer operations only, so the result
// does not depend on the thread's floating-point environment: Swift's own `Float(Float16)`
// (libswiftCore's __extendhfsf2) computes subnormal halves with float arithmetic and returns 0
// for them when denormals-are-zero is set, which tl's kernels set on every thread they run on
// (TLKernels/FloatEnvironment.swift). Used by safetensors, PyTorch and NPY readers.

/// Converts IEEE 754 binary16 bits to `Float`, exactly (every half value is representable).
///
/// Layout: 1 sign bit, 5 exponent bits (bias 15), 10 fraction bits.
/// - exponent 0, fraction 0: signed zero.
/// - exponent 0, fraction f: subnormal, value = f · 2⁻²⁴; we renormalise it into a float
///   by shifting the fraction left until its leading 1 reaches the implicit-bit position.
/// - exponent 31: infinity (fraction 0) or NaN (payload kept in the high fraction bits).
/// - otherwise: rebias the exponent from 15 to 127 and widen the fraction from 10 to 23 bits.
@inline(__always)
public func floatFromHalfBits(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    var exponent = UInt32(h >> 10) & 0x1F
    var fraction = UInt32(h & 0x03FF)
    if exponent == 0 {
        if fraction == 0 { return Float(bitPattern: sign) }
        // Subnormal: normalise. Each left shift halves the value's exponent contribution.
        exponent = 127 - 15 + 1
        while fraction & 0x0400 == 0 {
            fraction <<= 1
            exponent -= 1
        }
        fraction &= 0x03FF
        return Float(bitPattern: sign | (exponent << 23) | (fraction << 13))
    }
    if exponent == 0x1F {
        return Float(bitPattern: sign | 0x7F80_0000 | (fraction << 13))
    }
    return Float(bitPattern: sign | ((exponent + 127 - 15) << 23) | (fraction << 13))
}

/// Converts bfloat16 bits to `Float`: bf16 is exactly the top 16 bits of a binary32.
@inline(__always)
public func floatFromBFloat16Bits(_ b: UInt16) -> Float {
    Float(bitPattern: UInt32(b) << 16)
}
