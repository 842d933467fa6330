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

// floatFromHalfBits and floatFromBFloat16Bits live in TLIO (HalfPrecision.swift): NPY files
// need them too, and TLData does not depend on this module.
