import Foundation
import TLIO
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A safetensors file opened for reading tensor by tensor: the header is read and validated
/// on `open` (exactly as `SafeTensorsFile.read` validates it), and each tensor's bytes are then
/// read with `pread(2)` straight into the array that keeps them — one copy from the page cache,
/// no whole-file image in between. `floats(_:)` gives a weight's `[Float]` in that one copy
/// (F32), or converts F16 / BF16 / F64 through a small scratch buffer in the same pass.
///
/// The file stays open until the reader is released. A file that shrinks while being read is a
/// `.truncated` error naming it, never a crash (no memory mapping: a truncated mapping would
/// fault).
public final class SafeTensorsDiskReader {
    /// The file, for error messages.
    public let path: String
    /// The validated header (entries in data order).
    public let header: SafeTensorsHeader
    private let descriptor: Int32
    /// File offset of the data buffer (8 + header length).
    private let dataStart: Int

    /// Opens `url` and validates its header. A file that is recognisably something else is a
    /// `.wrongFileKind` error; a regular file over the memory budget is refused unless
    /// `checkSize` is false (header-only readers need not fit it in memory).
    public static func open(_ url: URL, checkSize: Bool = true) throws -> SafeTensorsDiskReader {
        try open(url, checkSize: checkSize, openFailure: "cannot open")
    }

    /// `openFailure` words the error of a file that cannot be opened ("cannot open", or
    /// "cannot read" as `SafeTensorsFile.read` always said).
    static func open(_ url: URL, checkSize: Bool, openFailure: String) throws -> SafeTensorsDiskReader {
        do {
            let path = url.path
            try requireRegularFile(url, checkSize: checkSize)
            let fd = systemOpen(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                throw SafeTensorsError(path: path, kind: .io, problem: "\(openFailure): \(String(cString: strerror(errno)))")
            }
            do {
                var info = stat()
                guard fstat(fd, &info) == 0 else {
                    throw SafeTensorsError(path: path, kind: .io, problem: "cannot read: \(String(cString: strerror(errno)))")
                }
                guard info.st_mode & S_IFMT == S_IFREG else {
                    throw SafeTensorsError(path: path, kind: .io, problem: "is not a regular file")
                }
                let fileSize = Int(info.st_size)
                var prefix = [UInt8](repeating: 0, count: 8)
                let got = try prefix.withUnsafeMutableBytes { try readFully(fd, into: $0, at: 0, path: path) }
                let n = try SafeTensorsHeader.headerLength(prefix: Array(prefix.prefix(got)), fileSize: UInt64(fileSize), path: path)
                var headerBytes = [UInt8](repeating: 0, count: n)
                let headerGot = try headerBytes.withUnsafeMutableBytes { try readFully(fd, into: $0, at: 8, path: path) }
                guard headerGot == n else {
                    throw SafeTensorsError(path: path, kind: .truncated, problem: "file shrank while reading the header")
                }
                let header = try SafeTensorsHeader.parse(headerBytes: headerBytes, dataByteCount: fileSize - 8 - n, path: path)
                return SafeTensorsDiskReader(path: path, header: header, descriptor: fd, dataStart: 8 + n)
            } catch {
                close(fd)
                throw error
            }
        } catch let error as SafeTensorsError {
            throw error.recognisingFileKind(at: url)
        }
    }

    private init(path: String, header: SafeTensorsHeader, descriptor: Int32, dataStart: Int) {
        self.path = path
        self.header = header
        self.descriptor = descriptor
        self.dataStart = dataStart
    }

    deinit { close(descriptor) }

    /// The `__metadata__` map.
    public var metadata: [String: String] { header.metadata }

    /// Reads `entry`'s bytes into `buffer` (exactly `entry.dataRange.count` bytes).
    public func readBytes(of entry: SafeTensorsHeader.Entry, into buffer: UnsafeMutableRawBufferPointer) throws {
        precondition(buffer.count == entry.dataRange.count, "buffer size must match the tensor's byte count")
        try readRange(entry.dataRange.lowerBound, into: buffer, name: entry.name)
    }

    /// `entry` as a `StoredTensor` (its bytes read once, into the tensor's own array).
    public func storedTensor(_ entry: SafeTensorsHeader.Entry) throws -> StoredTensor {
        let count = entry.dataRange.count
        let bytes = try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            try readBytes(of: entry, into: UnsafeMutableRawBufferPointer(buffer))
            initialized = count
        }
        return try StoredTensor(dtype: entry.dtype, shape: entry.shape, bytes: bytes)
    }

    /// Every tensor, as `SafeTensorsFile.read` returns them.
    public func readAll() throws -> SafeTensorsFile {
        var tensors: [String: StoredTensor] = [:]
        tensors.reserveCapacity(header.entries.count)
        for entry in header.entries { tensors[entry.name] = try storedTensor(entry) }
        return SafeTensorsFile(tensors: tensors, metadata: header.metadata)
    }

    /// `entry`'s values as `Float`, equal bit for bit to `storedTensor(entry).floats()`: F32
    /// read straight into the result; F16, BF16 and F64 converted chunk by chunk. Integer
    /// dtypes throw `.unsupportedConversion` (without the path, as `StoredTensor.floats()`).
    public func floats(_ entry: SafeTensorsHeader.Entry) throws -> [Float] {
        let n = entry.elementCount
        switch entry.dtype {
        case .f32:
            return try [Float](unsafeUninitializedCapacity: n) { buffer, initialized in
                try readBytes(of: entry, into: UnsafeMutableRawBufferPointer(buffer))
                #if !_endian(little)
                for i in 0..<n { buffer[i] = Float(bitPattern: UInt32(littleEndian: buffer[i].bitPattern)) }
                #endif
                initialized = n
            }
        case .f16, .bf16, .f64:
            return try convertedFloats(entry)
        default:
            throw SafeTensorsError(path: "", kind: .unsupportedConversion,
                                   problem: "\(entry.dtype.rawValue) values are not floating point; read them with int64s() or skip them")
        }
    }

    /// F16 / BF16 / F64 through a 64 KiB scratch buffer.
    private func convertedFloats(_ entry: SafeTensorsHeader.Entry) throws -> [Float] {
        let n = entry.elementCount, width = entry.dtype.byteSize
        let chunk = 65_536 / width
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk * width, alignment: 16)
        defer { scratch.deallocate() }
        return try [Float](unsafeUninitializedCapacity: n) { out, initialized in
            var done = 0
            while done < n {
                let m = Swift.min(chunk, n - done)
                let raw = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<(m * width)])
                try readRange(entry.dataRange.lowerBound + done * width, into: raw, name: entry.name)
                switch entry.dtype {
                case .f16:
                    for i in 0..<m { out[done + i] = floatFromHalfBits(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
                case .bf16:
                    for i in 0..<m { out[done + i] = floatFromBFloat16Bits(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
                default:
                    for i in 0..<m { out[done + i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))) }
                }
                done += m
                initialized = done
            }
        }
    }

    /// Reads `buffer.count` bytes from data-buffer offset `offset`; a short read means the
    /// file shrank after its size was checked.
    private func readRange(_ offset: Int, into buffer: UnsafeMutableRawBufferPointer, name: String) throws {
        let got = try Self.readFully(descriptor, into: buffer, at: dataStart + offset, path: path)
        guard got == buffer.count else {
            throw SafeTensorsError(path: path, kind: .truncated,
                                   problem: "tensor '\(name)': file shrank while reading it (\(got) of \(buffer.count) bytes); file truncated")
        }
    }

    /// `pread` until `buffer` is full or the file ends; returns the bytes read.
    static func readFully(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int, path: String) throws -> Int {
        var done = 0
        while done < buffer.count {
            let r = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if r == 0 { break }
            if r < 0 {
                if errno == EINTR { continue }
                throw SafeTensorsError(path: path, kind: .io, problem: "cannot read: \(String(cString: strerror(errno)))")
            }
            done += r
        }
        return done
    }
}

/// open(2), named apart from `SafeTensorsDiskReader.open`.
private func systemOpen(_ path: String, _ flags: Int32) -> Int32 {
    #if canImport(Glibc)
    Glibc.open(path, flags)
    #else
    Darwin.open(path, flags)
    #endif
}
