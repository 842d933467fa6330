import Foundation
import TLIO
import TLData
import TLSafeTensors
import TLTensor

/// Element types of PyTorch storages that `tl` reads.
public enum PyTorchDType: String, Sendable, Equatable {
    case float32, float16, bfloat16, int64

    /// From a storage class name (`FloatStorage`, `HalfStorage`, `BFloat16Storage`, `LongStorage`).
    init?(storageName: String) {
        switch storageName {
        case "FloatStorage": self = .float32
        case "HalfStorage": self = .float16
        case "BFloat16Storage": self = .bfloat16
        case "LongStorage": self = .int64
        default: return nil
        }
    }

    /// Bytes per element.
    public var byteSize: Int { switch self { case .float32: 4; case .float16, .bfloat16: 2; case .int64: 8 } }
}

/// A storage named by a persistent id: its key in the file, element type and element count.
struct PyTorchStorageRef {
    var key: String
    var dtype: PyTorchDType
    var count: Int
    /// Legacy views: elements skipped at the start of the root storage.
    var viewOffset: Int = 0
}

/// A tensor as the pickle describes it: a strided window on a storage.
struct PyTorchTensorRef {
    var storage: PyTorchStorageRef
    var offset: Int
    var shape: [Int]
    var stride: [Int]
}

/// A failure reading a PyTorch checkpoint, with the file it concerns.
public struct PyTorchCheckpointError: Error, CustomStringConvertible {
    public let file: String
    public let message: String
    public var description: String { "\(file): \(message)" }
    public init(file: String, message: String) {
        self.file = file
        self.message = message
    }
}

/// A PyTorch checkpoint (`torch.save` of a state dict) read in pure Swift, without running
/// any of its pickle: both the zip format of PyTorch ≥ 1.6 (`<name>/data.pkl` plus one
/// `<name>/data/<key>` entry per storage) and the legacy format (magic number, protocol
/// version, system info, the pickled object, the storage key list, then each storage as an
/// 8-byte element count and its raw little-endian bytes).
///
/// Every tensor's strided extent is checked against its storage, and every storage's size
/// against the bytes present, before any value is read.
public struct PyTorchCheckpoint {
    /// One tensor, converted to Float32 (int64 values too, for `num_batches_tracked`).
    public struct Entry {
        public let name: String
        public let dtype: PyTorchDType
        public let tensor: Tensor
    }

    /// The tensors in the order the state dict lists them, named by dotted path.
    public let entries: [Entry]
    /// "zip" or "legacy".
    public let format: String

    /// The tensor named `name`, if present.
    public subscript(name: String) -> Tensor? { entries.first { $0.name == name }?.tensor }

    /// The magic number that opens a legacy `torch.save` file (a pickled LONG1).
    static let legacyMagic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

    public static func read(from url: URL) throws -> PyTorchCheckpoint {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw PyTorchCheckpointError(file: url.path, message: "cannot read file (\(error.localizedDescription))")
        }
        return try decode([UInt8](data), file: url.path)
    }

    /// Reads a checkpoint from its bytes; `file` names it in errors.
    public static func decode(_ bytes: [UInt8], file: String) throws -> PyTorchCheckpoint {
        do {
            if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return try decodeZip(bytes, file: file) }
            if bytes.first == 0x80 { return try decodeLegacy(bytes, file: file) }
            throw PickleError(message: "not a PyTorch checkpoint (neither a zip archive nor a legacy torch.save pickle)")
        } catch let e as PickleError {
            throw PyTorchCheckpointError(file: file, message: e.message)
        } catch let e as DataError {
            throw PyTorchCheckpointError(file: file, message: e.location.isEmpty ? e.reason : "\(e.location): \(e.reason)")
        }
    }

    /// Reads a persistent id `('storage', type, key, location, count[, view])`.
    static func storageRef(_ pid: PickleValue) throws -> PickleValue {
        guard case .tuple(let t) = pid, t.count >= 5, case .string("storage") = t[0], case .global(.storageType(let dtype)) = t[1],
              case .string(let key) = t[2], case .int(let count) = t[4], count >= 0 else {
            throw PickleError(message: "unsupported persistent id (expected a storage reference)")
        }
        var ref = PyTorchStorageRef(key: key, dtype: dtype, count: count)
        if t.count >= 6, case .tuple(let view) = t[5], view.count == 3, case .string(let root) = view[0], case .int(let off) = view[1], off >= 0 {
            ref.key = root
            ref.viewOffset = off
        }
        return .storage(ref)
    }

    static func decodeZip(_ bytes: [UInt8], file: String) throws -> PyTorchCheckpoint {
        let entries = try ZipArchive.entries(bytes, file: file)
        guard let pkl = entries.first(where: { $0.name == "data.pkl" || $0.name.hasSuffix("/data.pkl") }) else {
            throw PickleError(message: "zip archive without data.pkl (not a torch.save checkpoint)")
        }
        let prefix = String(pkl.name.dropLast("data.pkl".count))
        var unpickler = Unpickler(bytes: try ZipArchive.extract(pkl, from: bytes, file: file), persistentLoad: storageRef)
        let root = try unpickler.load()
        let refs = try tensorRefs(root)
        var storages: [String: [UInt8]] = [:]
        for (_, ref) in refs where storages[ref.storage.key] == nil {
            let name = prefix + "data/" + ref.storage.key
            guard let entry = entries.first(where: { $0.name == name }) else {
                throw PickleError(message: "storage '\(ref.storage.key)' is missing (no \(name) in the archive)")
            }
            storages[ref.storage.key] = try ZipArchive.extract(entry, from: bytes, file: file)
        }
        return PyTorchCheckpoint(entries: try materialize(refs, storages: storages), format: "zip")
    }

    static func decodeLegacy(_ bytes: [UInt8], file: String) throws -> PyTorchCheckpoint {
        let none: (PickleValue) throws -> PickleValue = { _ in throw PickleError(message: "unexpected persistent id in the header") }
        var u = Unpickler(bytes: bytes, persistentLoad: none)
        guard case .bytes(let magic) = try u.load(), magic == legacyMagic else {
            throw PickleError(message: "not a legacy torch.save file (bad magic number)")
        }
        guard case .int(let proto) = try u.load(), proto == 1001 else { throw PickleError(message: "unsupported legacy protocol version") }
        if case .dict(let info) = try u.load(), case .bool(false)? = info.values["little_endian"] {
            throw PickleError(message: "big-endian checkpoints are not supported")
        }
        var main = Unpickler(bytes: bytes, start: u.position, persistentLoad: storageRef)
        let root = try main.load()
        var keysReader = Unpickler(bytes: bytes, start: main.position, persistentLoad: none)
        guard case .list(let keyList) = try keysReader.load() else { throw PickleError(message: "missing storage key list") }
        let refs = try tensorRefs(root)
        var dtypes: [String: PyTorchDType] = [:]
        for (_, r) in refs { dtypes[r.storage.key] = r.storage.dtype }
        var storages: [String: [UInt8]] = [:]
        var p = keysReader.position
        for item in keyList.items {
            guard case .string(let key) = item else { throw PickleError(message: "storage key list holds a non-string") }
            guard p + 8 <= bytes.count else { throw PickleError(message: "truncated: storage '\(key)' is missing (file ends at byte \(bytes.count))") }
            var count = 0
            for i in 0..<8 { count |= Int(bytes[p + i]) << (8 * i) }
            p += 8
            let size = dtypes[key]?.byteSize ?? 1
            guard count >= 0, count <= (bytes.count - p) / size else {
                throw PickleError(message: "truncated or lying storage '\(key)': it claims \(count) elements but only \(bytes.count - p) bytes remain")
            }
            storages[key] = Array(bytes[p..<(p + count * size)])
            p += count * size
        }
        return PyTorchCheckpoint(entries: try materialize(refs, storages: storages), format: "legacy")
    }

    /// The tensors of a state dict (nested dicts flattened with dotted names), in order.
    static func tensorRefs(_ root: PickleValue) throws -> [(String, PyTorchTensorRef)] {
        var out: [(String, PyTorchTensorRef)] = []
        // Dicts can refer to themselves through the memo: each is visited once, nesting is bounded.
        var visited = Set<ObjectIdentifier>()
        func walk(_ v: PickleValue, _ prefix: String, depth: Int) throws {
            switch v {
            case .tensor(let t): out.append((prefix, t))
            case .dict(let d):
                guard depth < 32 else { throw PickleError(message: "dicts nested more than 32 deep (not a state dict)") }
                guard visited.insert(ObjectIdentifier(d)).inserted else { throw PickleError(message: "a dict that contains itself (not a state dict)") }
                for k in d.keys { try walk(d.values[k] ?? .none, prefix.isEmpty ? k : prefix + "." + k, depth: depth + 1) }
            default: break
            }
        }
        try walk(root, "", depth: 0)
        guard !out.isEmpty else { throw PickleError(message: "no tensors found (expected a state dict)") }
        return out
    }

    /// Checks each tensor against its storage and converts it to Float32.
    static func materialize(_ refs: [(String, PyTorchTensorRef)], storages: [String: [UInt8]]) throws -> [Entry] {
        try refs.map { name, r in
            let s = r.storage
            guard let raw = storages[s.key] else { throw PickleError(message: "tensor '\(name)': storage '\(s.key)' is missing") }
            guard raw.count == s.count * s.dtype.byteSize || s.viewOffset > 0 else {
                throw PickleError(message: "tensor '\(name)': storage '\(s.key)' declares \(s.count) \(s.dtype.rawValue) elements "
                                  + "but holds \(raw.count) bytes")
            }
            let available = raw.count / s.dtype.byteSize
            guard r.shape.count == r.stride.count, r.shape.allSatisfy({ $0 >= 0 }), r.stride.allSatisfy({ $0 >= 0 }), r.offset >= 0 else {
                throw PickleError(message: "tensor '\(name)': invalid shape \(r.shape) / stride \(r.stride) / offset \(r.offset)")
            }
            let count = r.shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
            // The last element's index, saturating at Int.max (hostile sizes must not overflow).
            var last = s.viewOffset.addingReportingOverflow(r.offset).overflow ? Int.max : s.viewOffset + r.offset
            for (n, st) in zip(r.shape, r.stride) where n > 0 {
                let step = (n - 1).multipliedReportingOverflow(by: st)
                let sum = last.addingReportingOverflow(step.partialValue)
                last = step.overflow || sum.overflow ? Int.max : sum.partialValue
            }
            // Zero strides repeat storage elements: allow it, but not to conjure a huge tensor from a few bytes.
            guard count <= Swift.max(available, 1) * 16 else {
                throw PickleError(message: "tensor '\(name)': shape \(r.shape) holds \(count) elements, far more than its storage of \(available)")
            }
            guard count == 0 || (count < Int.max && last < available) else {
                throw PickleError(message: "tensor '\(name)': shape \(r.shape) with stride \(r.stride) and offset \(r.offset) "
                                  + "reaches element \(last), outside its storage of \(available) elements")
            }
            var values = [Float](repeating: 0, count: count)
            raw.withUnsafeBytes { src in
                var index = [Int](repeating: 0, count: r.shape.count)
                for i in 0..<count {
                    var e = s.viewOffset + r.offset
                    for d in 0..<index.count { e += index[d] * r.stride[d] }
                    values[i] = element(src, e, s.dtype)
                    var d = index.count - 1
                    while d >= 0 { index[d] += 1; if index[d] < r.shape[d] { break }; index[d] = 0; d -= 1 }
                }
            }
            return Entry(name: name, dtype: s.dtype, tensor: try Tensor(values, shape: r.shape))
        }
    }

    @inline(__always)
    static func element(_ p: UnsafeRawBufferPointer, _ i: Int, _ dtype: PyTorchDType) -> Float {
        switch dtype {
        case .float32: return Float(bitPattern: p.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self).littleEndian)
        case .float16: return floatFromHalfBits(p.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self).littleEndian)
        case .bfloat16: return floatFromBFloat16Bits(p.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self).littleEndian)
        case .int64: return Float(Int64(littleEndian: p.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)))
        }
    }
}
