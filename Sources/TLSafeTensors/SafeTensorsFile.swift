import Foundation
import TLIO

/// A problem with a safetensors file. `description` is one line: "<path>: <problem>".
public struct SafeTensorsError: Error, CustomStringConvertible, LocalizedError, Sendable, Equatable {
    /// Broad categories, so callers and tests can tell failures apart without parsing text.
    public enum Kind: Sendable, Equatable {
        /// The file could not be opened or read (missing, permission, I/O error).
        case io
        /// The file ends before its header or data does.
        case truncated
        /// The 8-byte header length is absurd (over `SafeTensorsFile.maxHeaderBytes`).
        case headerTooLarge
        /// The header is not valid UTF-8 JSON (including duplicate keys).
        case invalidJSON
        /// The JSON is valid but an entry is not a well-formed tensor description.
        case invalidEntry
        /// A dtype string outside the spec's list.
        case unknownDType
        /// A shape with negative, non-integer or overflowing dimensions.
        case invalidShape
        /// Offsets that overlap, leave holes, run past the data, or disagree with shape × dtype.
        case invalidOffsets
        /// The same tensor name appears twice.
        case duplicateName
        /// `__metadata__` is not a string → string map.
        case invalidMetadata
        /// A tensor that was asked for by name is absent.
        case missingTensor
        /// A tensor's dtype cannot be converted the way it was asked for (e.g. `floats()` of I64).
        case unsupportedConversion
        /// A tensor built in memory is inconsistent (byte count vs shape), or a reserved name is used.
        case invalidTensor
        /// The path is recognisably another kind of file (or a folder), named by `FileKind`.
        case wrongFileKind(FileKind)
    }

    /// The file the problem is in (empty for in-memory tensors).
    public let path: String
    public let kind: Kind
    /// What is wrong, without the path; never contains a line break.
    public let problem: String

    public init(path: String, kind: Kind, problem: String) {
        self.path = path
        self.kind = kind
        self.problem = problem.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    public var description: String { path.isEmpty ? problem : "\(path): \(problem)" }
    public var errorDescription: String? { description }
}

/// One tensor as stored in a safetensors file: dtype, shape and the raw little-endian bytes.
/// It does not depend on tl's `Tensor`; `floats()` gives the `[Float]` view used for weights.
public struct StoredTensor: Sendable, Equatable {
    public let dtype: SafeTensorsDType
    /// Row-major ("C" order) dimensions; `[]` is a scalar.
    public let shape: [Int]
    /// Exactly `elementCount * dtype.byteSize` little-endian bytes.
    public let bytes: [UInt8]

    /// Wraps raw bytes; throws `.invalidShape` / `.invalidTensor` if they disagree with the shape.
    public init(dtype: SafeTensorsDType, shape: [Int], bytes: [UInt8]) throws {
        let count = try checkedElementCount(shape, path: "", name: "tensor")
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow, byteCount == bytes.count else {
            throw SafeTensorsError(path: "", kind: .invalidTensor,
                                   problem: "shape \(shape) of \(dtype.rawValue) needs \(overflow ? "too many" : String(byteCount)) bytes, got \(bytes.count)")
        }
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// An F32 tensor from `floats` (row-major); throws if the count disagrees with `shape`.
    public init(shape: [Int], floats: [Float]) throws {
        #if _endian(little)
        let bytes = floats.withUnsafeBytes { Array($0) }  // host order is the file's order
        #else
        let bytes = floats.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
        #endif
        try self.init(dtype: .f32, shape: shape, bytes: bytes)
    }

    /// An I64 tensor (e.g. step counters) from `values`; throws if the count disagrees with `shape`.
    public init(shape: [Int], int64s values: [Int64]) throws {
        var bytes = [UInt8](repeating: 0, count: values.count * 8)
        for (i, value) in values.enumerated() {
            withUnsafeBytes(of: value.littleEndian) { raw in
                for k in 0..<8 { bytes[8 * i + k] = raw[k] }
            }
        }
        try self.init(dtype: .i64, shape: shape, bytes: bytes)
    }

    /// Number of elements (product of `shape`; 1 for a scalar).
    public var elementCount: Int { bytes.count / dtype.byteSize }

    /// The values as `Float`, converting F16, BF16 and F64 (F64 rounds to nearest).
    /// Integer dtypes throw `.unsupportedConversion`: use `int64s()` or skip them.
    public func floats() throws -> [Float] {
        let n = elementCount
        switch dtype {
        case .f32:
            #if _endian(little)
            return [Float](unsafeUninitializedCapacity: n) { buffer, initialized in
                bytes.withUnsafeBytes { raw in
                    UnsafeMutableRawBufferPointer(buffer).copyMemory(from: raw)
                }
                initialized = n
            }
            #else
            return bytes.withUnsafeBytes { raw in
                (0..<n).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
            }
            #endif
        case .f16:
            return bytes.withUnsafeBytes { raw in
                (0..<n).map { floatFromHalfBits(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) }
            }
        case .bf16:
            return bytes.withUnsafeBytes { raw in
                (0..<n).map { floatFromBFloat16Bits(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) }
            }
        case .f64:
            return bytes.withUnsafeBytes { raw in
                (0..<n).map { Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self)))) }
            }
        default:
            throw SafeTensorsError(path: "", kind: .unsupportedConversion,
                                   problem: "\(dtype.rawValue) values are not floating point; read them with int64s() or skip them")
        }
    }

    /// The values as `Int64`, for I64, I32, I16, I8, U32, U16, U8 and BOOL tensors.
    /// U64 throws (values above `Int64.max` would not fit) as do floating-point dtypes.
    public func int64s() throws -> [Int64] {
        let n = elementCount
        return try bytes.withUnsafeBytes { raw -> [Int64] in
            switch dtype {
            case .i64: return (0..<n).map { Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) }
            case .i32: return (0..<n).map { Int64(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self))) }
            case .u32: return (0..<n).map { Int64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
            case .i16: return (0..<n).map { Int64(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: Int16.self))) }
            case .u16: return (0..<n).map { Int64(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) }
            case .i8: return (0..<n).map { Int64(Int8(bitPattern: raw[$0])) }
            case .u8, .bool: return (0..<n).map { Int64(raw[$0]) }
            default:
                throw SafeTensorsError(path: "", kind: .unsupportedConversion,
                                       problem: "\(dtype.rawValue) values cannot be read as Int64")
            }
        }
    }
}

/// A whole safetensors file in memory: named tensors plus the optional string metadata.
///
/// Format (see the safetensors spec): 8-byte little-endian header length N, N bytes of UTF-8 JSON
/// `{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {string: string}}`
/// (space-padded), then the data buffer; offsets are relative to the buffer and the tensors
/// tile it exactly, without holes or overlaps.
public struct SafeTensorsFile: Sendable, Equatable {
    /// Headers above this many bytes are refused (the reference implementation's limit).
    public static let maxHeaderBytes = 100_000_000
    /// The reserved header key for metadata; no tensor may use it as a name.
    public static let metadataKey = "__metadata__"

    public var tensors: [String: StoredTensor]
    public var metadata: [String: String]

    public init(tensors: [String: StoredTensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The tensor called `name`, or a `.missingTensor` error listing how many exist.
    public func tensor(_ name: String) throws -> StoredTensor {
        guard let tensor = tensors[name] else {
            throw SafeTensorsError(path: "", kind: .missingTensor,
                                   problem: "no tensor named '\(name)' (the file has \(tensors.count))")
        }
        return tensor
    }

    /// The values of tensor `name` as `Float` (F32, F16, BF16 or F64 stored).
    public func floats(_ name: String) throws -> [Float] {
        do { return try tensor(name).floats() } catch let error as SafeTensorsError {
            throw SafeTensorsError(path: error.path, kind: error.kind, problem: "tensor '\(name)': \(error.problem)")
        }
    }

    /// The values of integer tensor `name` as `Int64`.
    public func int64s(_ name: String) throws -> [Int64] {
        do { return try tensor(name).int64s() } catch let error as SafeTensorsError {
            throw SafeTensorsError(path: error.path, kind: error.kind, problem: "tensor '\(name)': \(error.problem)")
        }
    }

    /// Stores `values` as an F32 tensor called `name`, replacing any previous one.
    public mutating func setFloats(_ name: String, _ values: [Float], shape: [Int]) throws {
        tensors[name] = try StoredTensor(shape: shape, floats: values)
    }

    /// Sum of all tensors' element counts.
    public var parameterCount: Int { tensors.values.reduce(0) { $0 + $1.elementCount } }
}

/// Product of `shape`, refusing negative dimensions and overflow.
func checkedElementCount(_ shape: [Int], path: String, name: String) throws(SafeTensorsError) -> Int {
    var count = 1
    for dim in shape {
        guard dim >= 0 else {
            throw SafeTensorsError(path: path, kind: .invalidShape, problem: "\(name) has negative dimension \(dim) in shape \(shape)")
        }
        let (product, overflow) = count.multipliedReportingOverflow(by: dim)
        guard !overflow else {
            throw SafeTensorsError(path: path, kind: .invalidShape, problem: "\(name) shape \(shape) has too many elements")
        }
        count = product
    }
    return count
}
