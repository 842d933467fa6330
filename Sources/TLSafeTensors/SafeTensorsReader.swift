import Foundation
import TLIO

/// The parsed and validated header of a safetensors file, without the tensor data.
/// Reading only the header is cheap, so tools like `tl inspect` can describe large files.
public struct SafeTensorsHeader: Sendable, Equatable {
    /// One tensor's description.
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let dtype: SafeTensorsDType
        public let shape: [Int]
        /// Byte range inside the data buffer (which starts at file offset `8 + headerByteCount`).
        public let dataRange: Range<Int>
        public var elementCount: Int { dataRange.count / dtype.byteSize }
    }

    /// Entries in data order (ascending offsets).
    public let entries: [Entry]
    public let metadata: [String: String]
    /// N, the JSON header's length in bytes including padding.
    public let headerByteCount: Int
    /// Length of the data buffer; equals the end of the last tensor.
    public let dataByteCount: Int

    /// Sum of all tensors' element counts.
    public var parameterCount: Int { entries.reduce(0) { $0 + $1.elementCount } }

    /// Reads and validates only the header of the file at `url`. A file that is recognisably
    /// something else (a JSON spec, a PyTorch file, a folder, …) is a `.wrongFileKind` error.
    public static func read(from url: URL) throws -> SafeTensorsHeader {
        // Only the header is read: any size will do.
        try SafeTensorsDiskReader.open(url, checkSize: false, openFailure: .header).header
    }

    /// Validates the 8-byte length prefix against the file size and the sanity limit.
    static func headerLength(prefix: [UInt8], fileSize: UInt64, path: String) throws(SafeTensorsError) -> Int {
        guard prefix.count == 8, fileSize >= 8 else {
            throw SafeTensorsError(path: path, kind: .truncated,
                                   problem: "file is \(fileSize) bytes, too short for the 8-byte header length; not a safetensors file or truncated")
        }
        var raw: UInt64 = 0
        for k in 0..<8 { raw |= UInt64(prefix[k]) << (8 * UInt64(k)) }
        guard raw <= UInt64(SafeTensorsFile.maxHeaderBytes) else {
            throw SafeTensorsError(path: path, kind: .headerTooLarge,
                                   problem: "header length \(raw) exceeds the \(SafeTensorsFile.maxHeaderBytes)-byte limit; not a safetensors file or corrupt")
        }
        guard raw <= fileSize - 8 else {
            throw SafeTensorsError(path: path, kind: .truncated,
                                   problem: "header length \(raw) exceeds the \(fileSize - 8) bytes after the length field; file truncated or corrupt")
        }
        guard raw >= 2 else {
            throw SafeTensorsError(path: path, kind: .invalidJSON, problem: "header length \(raw) is too small to hold a JSON object")
        }
        return Int(raw)
    }

    /// Parses the JSON header and checks every entry against the spec and `dataByteCount`.
    static func parse(headerBytes: [UInt8], dataByteCount: Int, path: String) throws(SafeTensorsError) -> SafeTensorsHeader {
        guard headerBytes.first == UInt8(ascii: "{") else {
            throw SafeTensorsError(path: path, kind: .invalidJSON, problem: "header does not start with '{'")
        }
        let json: HeaderJSON
        do { json = try HeaderJSONParser.parse(headerBytes) } catch {
            let kind: SafeTensorsError.Kind = error.isTopLevelDuplicate ? .duplicateName : .invalidJSON
            let what = kind == .duplicateName ? "duplicate tensor name" : "invalid JSON header"
            throw SafeTensorsError(path: path, kind: kind, problem: "\(what) at byte \(error.offset): \(error.message)")
        }
        guard case .object(let members) = json else {
            throw SafeTensorsError(path: path, kind: .invalidJSON, problem: "header is \(json.kindName), expected an object")
        }
        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        for (name, value) in members {
            if name == SafeTensorsFile.metadataKey {
                metadata = try parseMetadata(value, path: path)
            } else {
                entries.append(try parseEntry(name: name, value, path: path))
            }
        }
        try checkLayout(&entries, dataByteCount: dataByteCount, path: path)
        return SafeTensorsHeader(entries: entries, metadata: metadata,
                                 headerByteCount: headerBytes.count, dataByteCount: dataByteCount)
    }

    private static func parseMetadata(_ value: HeaderJSON, path: String) throws(SafeTensorsError) -> [String: String] {
        if case .null = value { return [:] }
        guard case .object(let pairs) = value else {
            throw SafeTensorsError(path: path, kind: .invalidMetadata,
                                   problem: "__metadata__ is \(value.kindName), expected an object of strings")
        }
        var metadata: [String: String] = [:]
        for (key, item) in pairs {
            guard case .string(let text) = item else {
                throw SafeTensorsError(path: path, kind: .invalidMetadata,
                                       problem: "__metadata__ value for '\(key)' is \(item.kindName), expected a string")
            }
            metadata[key] = text
        }
        return metadata
    }

    private static func parseEntry(name: String, _ value: HeaderJSON, path: String) throws(SafeTensorsError) -> Entry {
        func fail(_ kind: SafeTensorsError.Kind, _ problem: String) -> SafeTensorsError {
            SafeTensorsError(path: path, kind: kind, problem: "tensor '\(name)': \(problem)")
        }
        guard case .object(let fields) = value else {
            throw fail(.invalidEntry, "entry is \(value.kindName), expected an object with dtype, shape and data_offsets")
        }
        func field(_ key: String) throws(SafeTensorsError) -> HeaderJSON {
            guard let found = fields.first(where: { $0.key == key }) else { throw fail(.invalidEntry, "missing \"\(key)\"") }
            return found.value
        }
        guard case .string(let dtypeName) = try field("dtype") else { throw fail(.invalidEntry, "\"dtype\" is not a string") }
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
            throw fail(.unknownDType, "unknown dtype '\(dtypeName)'")
        }
        guard case .array(let dims) = try field("shape") else { throw fail(.invalidEntry, "\"shape\" is not an array") }
        var shape: [Int] = []
        for dim in dims {
            shape.append(try integer(dim, what: "shape dimension", kind: .invalidShape, fail: fail))
        }
        let count = try checkedElementCount(shape, path: path, name: "tensor '\(name)'")
        guard case .array(let offsets) = try field("data_offsets"), offsets.count == 2 else {
            throw fail(.invalidEntry, "\"data_offsets\" is not an array of two integers")
        }
        let begin = try integer(offsets[0], what: "data offset", kind: .invalidOffsets, fail: fail)
        let end = try integer(offsets[1], what: "data offset", kind: .invalidOffsets, fail: fail)
        guard begin <= end else { throw fail(.invalidOffsets, "data_offsets [\(begin), \(end)] end before they begin") }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow, byteCount == end - begin else {
            throw fail(.invalidOffsets, "shape \(shape) of \(dtype.rawValue) needs \(overflow ? "too many" : String(byteCount)) bytes but data_offsets [\(begin), \(end)] span \(end - begin)")
        }
        return Entry(name: name, dtype: dtype, shape: shape, dataRange: begin..<end)
    }

    /// A non-negative integer that fits in `Int`, from the number's source text.
    private static func integer(_ value: HeaderJSON, what: String, kind: SafeTensorsError.Kind,
                                fail: (SafeTensorsError.Kind, String) -> SafeTensorsError) throws(SafeTensorsError) -> Int {
        guard case .number(let text) = value else { throw fail(kind, "\(what) is \(value.kindName), expected an integer") }
        if text.hasPrefix("-") {
            throw fail(kind, "\(what) \(text) is negative")
        }
        guard text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw fail(kind, "\(what) \(text) is not an integer")
        }
        guard let number = Int(text) else { throw fail(kind, "\(what) \(text) is too large") }
        return number
    }

    /// Tensors must tile the data buffer exactly: sorted by offset, each begins where the last ended,
    /// and the last ends at the buffer's end (as the reference implementation checks).
    private static func checkLayout(_ entries: inout [Entry], dataByteCount: Int, path: String) throws(SafeTensorsError) {
        entries.sort { ($0.dataRange.lowerBound, $0.dataRange.upperBound, $0.name) < ($1.dataRange.lowerBound, $1.dataRange.upperBound, $1.name) }
        var expected = 0
        for entry in entries {
            let range = entry.dataRange
            if range.upperBound > dataByteCount {
                throw SafeTensorsError(path: path, kind: range.lowerBound <= dataByteCount ? .truncated : .invalidOffsets,
                                       problem: "tensor '\(entry.name)' data_offsets [\(range.lowerBound), \(range.upperBound)] run past the end of the \(dataByteCount)-byte data buffer; file truncated or corrupt")
            }
            if range.lowerBound < expected {
                throw SafeTensorsError(path: path, kind: .invalidOffsets,
                                       problem: "tensor '\(entry.name)' data_offsets [\(range.lowerBound), \(range.upperBound)] overlap the previous tensor, which ends at \(expected)")
            }
            if range.lowerBound > expected {
                throw SafeTensorsError(path: path, kind: .invalidOffsets,
                                       problem: "tensor '\(entry.name)' begins at \(range.lowerBound), leaving a hole after byte \(expected) of the data buffer")
            }
            expected = range.upperBound
        }
        if expected != dataByteCount {
            throw SafeTensorsError(path: path, kind: .invalidOffsets,
                                   problem: "tensors cover \(expected) bytes but the data buffer has \(dataByteCount); trailing bytes are not allowed")
        }
    }
}

extension SafeTensorsFile {
    /// Reads and validates the whole file at `url`. Errors are `SafeTensorsError`s naming the
    /// file; one that is recognisably something else is a `.wrongFileKind` error.
    public static func read(from url: URL) throws -> SafeTensorsFile {
        // Each tensor's bytes are read once, straight into its own array (no whole-file image).
        try SafeTensorsDiskReader.open(url, checkSize: true, openFailure: .wholeFile).readAll()
    }

    /// Decodes a complete file image; `path` is only used in error messages.
    public static func decode(_ data: Data, path: String = "<memory>") throws -> SafeTensorsFile {
        let prefix = [UInt8](data.prefix(8))
        let n = try SafeTensorsHeader.headerLength(prefix: prefix, fileSize: UInt64(data.count), path: path)
        let start = data.startIndex
        let headerBytes = [UInt8](data[(start + 8)..<(start + 8 + n)])
        let dataStart = start + 8 + n
        let header = try SafeTensorsHeader.parse(headerBytes: headerBytes, dataByteCount: data.count - 8 - n, path: path)
        var tensors: [String: StoredTensor] = [:]
        tensors.reserveCapacity(header.entries.count)
        for entry in header.entries {
            let bytes = [UInt8](data[(dataStart + entry.dataRange.lowerBound)..<(dataStart + entry.dataRange.upperBound)])
            tensors[entry.name] = try StoredTensor(dtype: entry.dtype, shape: entry.shape, bytes: bytes)
        }
        return SafeTensorsFile(tensors: tensors, metadata: header.metadata)
    }
}

/// The operating system's reason for an I/O failure, as one short line.
func ioReason(_ error: any Error) -> String {
    let ns = error as NSError
    if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
       let code = POSIXErrorCode(rawValue: Int32(underlying.code)) {
        return String(cString: strerror(code.rawValue))
    }
    if ns.domain == NSCocoaErrorDomain {
        switch ns.code {
        case NSFileNoSuchFileError, NSFileReadNoSuchFileError: return "no such file"
        case NSFileReadNoPermissionError: return "permission denied"
        default: break
        }
    }
    return oneLine(error)
}

/// Throws unless `url` is a regular file within the memory budget: a FIFO would block the
/// read forever and a device never end. Missing files and folders pass through to the
/// readers, whose errors (and the file-kind check) name them.
func requireRegularFile(_ url: URL, checkSize: Bool = true) throws {
    let kind = RegularFile.kind(of: url.path)
    switch kind {
    case .regular:
        guard checkSize else { return }
        do { try RegularFile.check(url.path) } catch let e as FileAccessError {
            throw SafeTensorsError(path: url.path, kind: .io, problem: e.problem)
        }
    case .missing, .directory:
        break
    default:
        throw SafeTensorsError(path: url.path, kind: .io, problem: "is \(kind.noun), expected a regular file")
    }
}
