/// The element types a safetensors header may name (the spec's fixed list of dtype strings).
///
/// All of them are accepted when reading, so any valid file can be opened and inspected; which
/// ones convert to `Float` or `Int64` is decided by `StoredTensor.floats()` / `int64s()`.
public enum SafeTensorsDType: String, Sendable, CaseIterable, Hashable {
    case bool = "BOOL"
    case u8 = "U8"
    case i8 = "I8"
    case f8e5m2 = "F8_E5M2"
    case f8e4m3 = "F8_E4M3"
    case i16 = "I16"
    case u16 = "U16"
    case f16 = "F16"
    case bf16 = "BF16"
    case i32 = "I32"
    case u32 = "U32"
    case f32 = "F32"
    case f64 = "F64"
    case i64 = "I64"
    case u64 = "U64"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3: return 1
        case .i16, .u16, .f16, .bf16: return 2
        case .i32, .u32, .f32: return 4
        case .f64, .i64, .u64: return 8
        }
    }

    /// True for the types `floats()` decodes as weights (F16, BF16, F32, F64).
    public var isFloatingPoint: Bool {
        switch self {
        case .f16, .bf16, .f32, .f64: return true
        default: return false
        }
    }

    /// Position in the spec's list, which is ordered by increasing alignment. The reference
    /// writer lays tensors out by decreasing rank (then name) so every tensor stays aligned.
    var alignmentRank: Int { Self.allCases.firstIndex(of: self)! }
}

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
