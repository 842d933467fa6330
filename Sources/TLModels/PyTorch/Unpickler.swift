/// A value produced by the restricted unpickler: only what a PyTorch state dict contains.
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    /// An allow-listed global (never called: the unpickler interprets it by name).
    case global(PickleGlobal)
    /// A storage reference from a persistent id.
    case storage(PyTorchStorageRef)
    /// A tensor rebuilt by `_rebuild_tensor_v2` / `_rebuild_parameter`.
    case tensor(PyTorchTensorRef)
}

/// A mutable list (shared through the pickle memo).
final class PickleList { var items: [PickleValue] = [] }

/// A mutable dict with string or integer keys, in insertion order.
final class PickleDict {
    var keys: [String] = []
    var values: [String: PickleValue] = [:]
    func set(_ key: String, _ value: PickleValue) {
        if values.updateValue(value, forKey: key) == nil { keys.append(key) }
    }
}

/// The globals a state dict may name; anything else is refused before it could be used.
enum PickleGlobal: Equatable {
    case orderedDict
    case rebuildTensorV2
    case rebuildParameter
    case storageType(PyTorchDType)

    /// The allow-list: module and name → meaning.
    static func allowed(module: String, name: String) -> PickleGlobal? {
        switch (module, name) {
        case ("collections", "OrderedDict"): return .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): return .rebuildTensorV2
        case ("torch._utils", "_rebuild_parameter"): return .rebuildParameter
        case ("torch", let storage): return PyTorchDType(storageName: storage).map { .storageType($0) }
        default: return nil
        }
    }
}

/// Why a pickle was refused (the reader adds the file name).
struct PickleError: Error {
    let message: String
}

/// A restricted interpreter for Python's pickle format (protocols 2–5): it understands only the
/// opcodes a `torch.save` state dict uses and only the allow-listed globals of `PickleGlobal`.
/// It never executes anything: a global outside the allow-list is an error naming it, and
/// `REDUCE` is interpreted for the three allowed callables only.
struct Unpickler {
    private let bytes: [UInt8]
    private(set) var position: Int
    private let persistentLoad: (PickleValue) throws -> PickleValue

    init(bytes: [UInt8], start: Int = 0, persistentLoad: @escaping (PickleValue) throws -> PickleValue) {
        self.bytes = bytes
        self.position = start
        self.persistentLoad = persistentLoad
    }

    private mutating func read(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= bytes.count - position else { throw PickleError(message: "truncated pickle at byte \(position) (needs \(n) more bytes)") }
        defer { position += n }
        return bytes[position..<(position + n)]
    }

    private mutating func uint(_ n: Int) throws -> Int {
        var v = 0
        for (i, b) in try read(n).enumerated() { v |= Int(b) << (8 * i) }
        return v
    }

    private mutating func line() throws -> String {
        guard let nl = bytes[position...].firstIndex(of: 10) else { throw PickleError(message: "truncated pickle at byte \(position) (unterminated line)") }
        defer { position = nl + 1 }
        return String(decoding: bytes[position..<nl], as: UTF8.self)
    }

    /// Reads one pickle (up to and including STOP) and returns its value.
    mutating func load() throws -> PickleValue {
        var stack: [PickleValue] = []
        var marks: [Int] = []
        var memo: [Int: PickleValue] = [:]
        func pop() throws -> PickleValue {
            guard let v = stack.popLast() else { throw PickleError(message: "malformed pickle: stack underflow") }
            return v
        }
        func popMark() throws -> [PickleValue] {
            guard let m = marks.popLast(), m <= stack.count else { throw PickleError(message: "malformed pickle: missing MARK") }
            defer { stack.removeSubrange(m...) }
            return Array(stack[m...])
        }
        func checked(_ v: PickleValue) throws -> PickleValue {
            try Self.checkDepth(v)
            return v
        }
        func top(_ what: String) throws -> PickleValue {
            guard let v = stack.last else { throw PickleError(message: "malformed pickle: \(what) on an empty stack") }
            return v
        }
        func key(_ v: PickleValue) throws -> String {
            switch v {
            case .string(let s): return s
            case .int(let i): return String(i)
            default: throw PickleError(message: "unsupported dict key \(v) (a state dict has string keys)")
            }
        }
        func setItems(_ pairs: [PickleValue], into target: PickleValue) throws {
            guard case .dict(let d) = target, pairs.count % 2 == 0 else { throw PickleError(message: "malformed pickle: SETITEMS on a non-dict") }
            for i in stride(from: 0, to: pairs.count, by: 2) {
                try Self.checkDepth(pairs[i + 1], 1)
                d.set(try key(pairs[i]), pairs[i + 1])
            }
        }
        while true {
            let at = position
            let op = try uint(1)
            switch op {
            case 0x80: _ = try uint(1)                                  // PROTO
            case 0x95: _ = try uint(8)                                  // FRAME
            case 0x2E: return try pop()                                 // STOP
            case 0x28: marks.append(stack.count)                        // MARK
            case 0x30: _ = try pop()                                    // POP
            case 0x31: _ = try popMark()                                // POP_MARK
            case 0x32: stack.append(try top("DUP"))
            case 0x4E: stack.append(.none)                              // NONE
            case 0x88: stack.append(.bool(true))                        // NEWTRUE
            case 0x89: stack.append(.bool(false))                       // NEWFALSE
            case 0x4A: stack.append(.int(Int(Int32(truncatingIfNeeded: try uint(4)))))   // BININT
            case 0x4B: stack.append(.int(try uint(1)))                  // BININT1
            case 0x4D: stack.append(.int(try uint(2)))                  // BININT2
            case 0x49:                                                  // INT (text)
                let s = try line()
                if s == "01" { stack.append(.bool(true)) } else if s == "00" { stack.append(.bool(false)) }
                else if let v = Int(s) { stack.append(.int(v)) } else { throw PickleError(message: "malformed INT '\(s)'") }
            case 0x8A:                                                  // LONG1
                let n = try uint(1)
                let digits = Array(try read(n))
                guard n <= 8 else { stack.append(.bytes(digits)); break }  // only the legacy magic number is this long
                var v: UInt64 = 0
                for (i, b) in digits.enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
                if n > 0, n < 8, digits[n - 1] & 0x80 != 0 { v |= ~0 << (8 * UInt64(n)) }
                stack.append(.int(Int(Int64(bitPattern: v))))
            case 0x47:                                                  // BINFLOAT (big-endian)
                var v: UInt64 = 0
                for b in try read(8) { v = v << 8 | UInt64(b) }
                stack.append(.float(Double(bitPattern: v)))
            case 0x58: stack.append(.string(String(decoding: try read(try uint(4)), as: UTF8.self)))   // BINUNICODE
            case 0x8C: stack.append(.string(String(decoding: try read(try uint(1)), as: UTF8.self)))   // SHORT_BINUNICODE
            case 0x8D: stack.append(.string(String(decoding: try read(try uint(8)), as: UTF8.self)))   // BINUNICODE8
            case 0x55: stack.append(.string(String(decoding: try read(try uint(1)), as: UTF8.self)))   // SHORT_BINSTRING
            case 0x54: stack.append(.string(String(decoding: try read(try uint(4)), as: UTF8.self)))   // BINSTRING
            case 0x43: stack.append(.bytes(Array(try read(try uint(1)))))                               // SHORT_BINBYTES
            case 0x42: stack.append(.bytes(Array(try read(try uint(4)))))                               // BINBYTES
            case 0x29: stack.append(.tuple([]))                         // EMPTY_TUPLE
            case 0x74: stack.append(try checked(.tuple(try popMark())))              // TUPLE
            case 0x85: stack.append(try checked(.tuple([try pop()])))                // TUPLE1
            case 0x86: let b = try pop(); let a = try pop(); stack.append(try checked(.tuple([a, b])))           // TUPLE2
            case 0x87: let c = try pop(); let b = try pop(); let a = try pop(); stack.append(try checked(.tuple([a, b, c])))   // TUPLE3
            case 0x5D: stack.append(.list(PickleList()))                // EMPTY_LIST
            case 0x6C: let l = PickleList(); l.items = try popMark(); stack.append(try checked(.list(l)))        // LIST
            case 0x61, 0x65:                                            // APPEND, APPENDS
                let items = op == 0x61 ? [try pop()] : try popMark()
                guard case .list(let l)? = stack.last else { throw PickleError(message: "malformed pickle: APPEND on a non-list") }
                for i in items { try Self.checkDepth(i, 1) }
                l.items += items
            case 0x7D: stack.append(.dict(PickleDict()))                // EMPTY_DICT
            case 0x64: let d = PickleValue.dict(PickleDict()); try setItems(try popMark(), into: d); stack.append(d)   // DICT
            case 0x73:                                                  // SETITEM
                let v = try pop(); let k = try pop()
                try setItems([k, v], into: stack.last ?? .none)
            case 0x75: let pairs = try popMark(); try setItems(pairs, into: stack.last ?? .none)    // SETITEMS
            case 0x71: memo[try uint(1)] = try top("PUT")
            case 0x72: memo[try uint(4)] = try top("PUT")
            case 0x94: memo[memo.count] = try top("MEMOIZE")
            case 0x68, 0x6A:                                            // BINGET, LONG_BINGET
                let i = try uint(op == 0x68 ? 1 : 4)
                guard let v = memo[i] else { throw PickleError(message: "malformed pickle: memo \(i) unset") }
                stack.append(v)
            case 0x63:                                                  // GLOBAL "module\nname\n"
                let module = try line(), name = try line()
                stack.append(.global(try Self.global(module: module, name: name)))
            case 0x93:                                                  // STACK_GLOBAL
                guard case .string(let name) = try pop(), case .string(let module) = try pop() else {
                    throw PickleError(message: "malformed pickle: STACK_GLOBAL needs two strings")
                }
                stack.append(.global(try Self.global(module: module, name: name)))
            case 0x51: stack.append(try persistentLoad(try pop()))      // BINPERSID
            case 0x52:                                                  // REDUCE
                let args = try pop(), callable = try pop()
                stack.append(try Self.reduce(callable, args))
            case 0x62: _ = try pop()                                    // BUILD: state of an OrderedDict (_metadata): ignored
            default:
                throw PickleError(message: "unsupported pickle opcode 0x\(String(op, radix: 16)) at byte \(at) (only the opcodes of a state dict are read)")
            }
        }
    }

    /// Containers may nest at most this deep: a state dict needs a handful of levels, and
    /// deeper values could recurse without bound (including cycles built through the memo).
    static let maxDepth = 48

    /// Throws when `v` nests deeper than `maxDepth` (checked as containers are filled).
    static func checkDepth(_ v: PickleValue, _ level: Int = 0) throws {
        guard level < maxDepth else { throw PickleError(message: "containers nested more than \(maxDepth) deep (not a state dict)") }
        switch v {
        case .tuple(let items): for i in items { try checkDepth(i, level + 1) }
        case .list(let l): for i in l.items { try checkDepth(i, level + 1) }
        case .dict(let d): for k in d.keys { try checkDepth(d.values[k] ?? .none, level + 1) }
        default: break
        }
    }

    static func global(module: String, name: String) throws -> PickleGlobal {
        guard let g = PickleGlobal.allowed(module: module, name: name) else {
            throw PickleError(message: "refused: the pickle references the global '\(module).\(name)', which is not on the allow-list "
                              + "(tl reads tensors and state dicts only and never runs code from a checkpoint)")
        }
        return g
    }

    /// Interprets a call of an allow-listed global; nothing is executed.
    static func reduce(_ callable: PickleValue, _ args: PickleValue) throws -> PickleValue {
        guard case .global(let g) = callable, case .tuple(let a) = args else { throw PickleError(message: "malformed pickle: REDUCE without a global") }
        switch g {
        case .orderedDict:
            return .dict(PickleDict())
        case .rebuildParameter:
            guard let data = a.first, case .tensor = data else { throw PickleError(message: "_rebuild_parameter without a tensor") }
            return data
        case .rebuildTensorV2:
            // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
            guard a.count >= 4, case .storage(let s) = a[0], case .int(let offset) = a[1],
                  case .tuple(let size) = a[2], case .tuple(let stride) = a[3] else {
                throw PickleError(message: "_rebuild_tensor_v2 with unexpected arguments")
            }
            func ints(_ t: [PickleValue]) throws -> [Int] {
                try t.map { if case .int(let v) = $0 { return v }; throw PickleError(message: "_rebuild_tensor_v2: non-integer size or stride") }
            }
            return .tensor(PyTorchTensorRef(storage: s, offset: offset, shape: try ints(size), stride: try ints(stride)))
        case .storageType:
            throw PickleError(message: "a storage type called as a function (not a state dict)")
        }
    }
}
