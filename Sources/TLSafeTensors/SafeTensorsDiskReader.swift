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
        try open(url, checkSize: checkSize, openFailure: .wholeFile)
    }

    /// How the error of a file that cannot be opened is worded, as the two readers always did.
    enum OpenFailureWording {
        /// "cannot open: No such file or directory" (`SafeTensorsHeader.read`).
        case header
        /// "cannot read: no such file" (`SafeTensorsFile.read`, checkpoint loads).
        case wholeFile

        func problem(errno code: Int32) -> String {
            switch self {
            case .header: return "cannot open: \(String(cString: strerror(code)))"
            case .wholeFile:
                switch code {
                case ENOENT: return "cannot read: no such file"
                case EACCES: return "cannot read: permission denied"
                default: return "cannot read: \(String(cString: strerror(code)))"
                }
            }
        }
    }

    static func open(_ url: URL, checkSize: Bool, openFailure: OpenFailureWording) throws -> SafeTensorsDiskReader {
        do {
            let path = url.path
            try requireRegularFile(url, checkSize: checkSize)
            let fd = systemOpen(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                throw SafeTensorsError(path: path, kind: .io, problem: openFailure.problem(errno: errno))
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
    /// read straight into the result; F16, BF16 and F64 converted through a small scratch
    /// buffer. Integer dtypes throw `.unsupportedConversion` (without the path, as
    /// `StoredTensor.floats()`). The tensor is read in chunks of `chunkElements`; `visit`, when
    /// given, sees each chunk right after it is read, while it is still in cache (a check over
    /// 90 MB of weights then costs a fraction of a second pass over memory).
    ///
    /// `split`, when given, hands the chunks out: it must call its body once for each range of
    /// a partition of `0..<chunkCount`, possibly concurrently (e.g. on the kernel threads, so
    /// page faults and copies of a large tensor run on every core); `visit` is then called
    /// concurrently too, for different chunks (F64 tensors are never split). The first failing
    /// chunk's error is thrown.
    public func floats(_ entry: SafeTensorsHeader.Entry,
                       split: ((_ chunkCount: Int, _ body: (Range<Int>) -> Void) -> Void)? = nil,
                       visit: ((_ offset: Int, _ chunk: UnsafeBufferPointer<Float>) -> Void)? = nil) throws -> [Float] {
        let n = entry.elementCount, width = entry.dtype.byteSize
        guard entry.dtype.isFloatingPoint else {
            throw SafeTensorsError(path: "", kind: .unsupportedConversion,
                                   problem: "\(entry.dtype.rawValue) values are not floating point; read them with int64s() or skip them")
        }
        let chunk = Self.chunkElements, chunkCount = (n + chunk - 1) / chunk
        var failures = [(any Error)?](repeating: nil, count: chunkCount)
        let values = [Float](unsafeUninitializedCapacity: n) { buffer, initialized in
            failures.withUnsafeMutableBufferPointer { slots in
                let out = buffer, failed = slots   // shared by the chunks, each writing its own part
                let run = { (range: Range<Int>) in
                    let scratch: UnsafeMutableRawBufferPointer? = entry.dtype == .f32
                        ? nil : .allocate(byteCount: chunk * width, alignment: 16)
                    defer { scratch?.deallocate() }
                    for c in range {
                        let done = c * chunk, m = Swift.min(chunk, n - done)
                        let offset = entry.dataRange.lowerBound + done * width
                        prefault(UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(out)[(4 * done)..<(4 * (done + m))]))
                        do {
                            if let scratch {
                                let raw = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<(m * width)])
                                try self.readRange(offset, into: raw, name: entry.name)
                                Self.convert(raw, dtype: entry.dtype, into: out.baseAddress! + done, count: m)
                            } else {
                                let target = UnsafeMutableBufferPointer(rebasing: out[done..<(done + m)])
                                try self.readRange(offset, into: UnsafeMutableRawBufferPointer(target), name: entry.name)
                                #if !_endian(little)
                                for i in target.indices { target[i] = Float(bitPattern: UInt32(littleEndian: target[i].bitPattern)) }
                                #endif
                            }
                        } catch {
                            failed[c] = error
                            return
                        }
                        visit?(done, UnsafeBufferPointer(rebasing: out[done..<(done + m)]))
                    }
                }
                // F64 stays on the calling thread: its rounding to Float could meet a thread's
                // flush-to-zero mode (kernel threads set it); F32 is copied and F16/BF16 are
                // widened with integer operations only, the same on every thread.
                if let split, entry.dtype != .f64 { split(chunkCount, run) } else { run(0..<chunkCount) }
            }
            // Every element is written unless a chunk failed, and then the array is dropped.
            initialized = n
        }
        if let failure = failures.first(where: { $0 != nil }) { throw failure! }
        return values
    }

    /// Elements per read (256 KiB of F32: fits the L2 cache with room to spare).
    public static let chunkElements = 65_536

    /// Little-endian F16 / BF16 / F64 values to `Float`, as `StoredTensor.floats()` converts them.
    private static func convert(_ raw: UnsafeMutableRawBufferPointer, dtype: SafeTensorsDType,
                                into out: UnsafeMutablePointer<Float>, count m: Int) {
        switch dtype {
        case .f16:
            for i in 0..<m { out[i] = floatFromHalfBits(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
        case .bf16:
            for i in 0..<m { out[i] = floatFromBFloat16Bits(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
        default:
            for i in 0..<m { out[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))) }
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

/// Maps the whole pages inside a fresh buffer in one call (MADV_POPULATE_WRITE, Linux 5.14+)
/// before `pread` fills it: one system call instead of a page-fault exception per 4 KiB page,
/// which under virtualisation costs more than zeroing the page. Only a hint: kernels without
/// it refuse it and the read faults the pages in as before.
private func prefault(_ buffer: UnsafeMutableRawBufferPointer) {
    #if os(Linux)
    let page = 4096
    guard let base = buffer.baseAddress, buffer.count >= 4 * page else { return }
    let start = (Int(bitPattern: base) + page - 1) & ~(page - 1)
    let end = (Int(bitPattern: base) + buffer.count) & ~(page - 1)
    guard end > start, let pointer = UnsafeMutableRawPointer(bitPattern: start) else { return }
    _ = madvise(pointer, end - start, 23)   // MADV_POPULATE_WRITE
    #endif
}
