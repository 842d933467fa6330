import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading input files safely: only regular files (a FIFO would block forever, `/dev/zero`
/// never ends, a folder is not data), and never more than the allocation budget.
public enum RegularFile {
    /// What is at a path, for messages.
    public enum Kind: Equatable, Sendable {
        case regular(size: Int), directory, fifo, characterDevice, blockDevice, socket, missing, other
        public var noun: String {
            switch self {
            case .regular: "a file"
            case .directory: "a folder"
            case .fifo: "a FIFO (named pipe)"
            case .characterDevice: "a character device"
            case .blockDevice: "a block device"
            case .socket: "a socket"
            case .missing: "missing"
            case .other: "not a regular file"
            }
        }
    }

    /// The kind of file at `path`, following symlinks.
    public static func kind(of path: String) -> Kind {
        var info = stat()
        guard stat(path, &info) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .regular(size: Int(info.st_size))
        case S_IFDIR: return .directory
        case S_IFIFO: return .fifo
        case S_IFCHR: return .characterDevice
        case S_IFBLK: return .blockDevice
        case S_IFSOCK: return .socket
        default: return .other
        }
    }

    /// Throws unless `path` is a regular file no larger than `limit` bytes; returns its size.
    @discardableResult
    public static func check(_ path: String, limit: Int = AllocationBudget.bytes) throws -> Int {
        switch kind(of: path) {
        case .regular(let size):
            guard size <= limit else {
                throw FileAccessError(path: path, problem: "is \(formatBytes(size)), over the memory limit of \(formatBytes(limit)) (TL_MEMORY_LIMIT_MB)")
            }
            return size
        case .missing: throw FileAccessError(path: path, problem: "no such file")
        case let other: throw FileAccessError(path: path, problem: "is \(other.noun), expected a regular file")
        }
    }

    /// The whole file, after `check`. Reads at most the size `check` saw, so a file that grows
    /// while being read is never read without end.
    public static func read(_ path: String, limit: Int = AllocationBudget.bytes) throws -> Data {
        let size = try check(path, limit: limit)
        guard let handle = FileHandle(forReadingAtPath: path) else { throw FileAccessError(path: path, problem: "cannot open for reading") }
        defer { try? handle.close() }
        do {
            return try handle.read(upToCount: max(size, 1)) ?? Data()
        } catch let error as FileAccessError {
            throw error
        } catch {
            throw FileAccessError(path: path, problem: "read failed: \(error.localizedDescription)")
        }
    }
}

/// A file that cannot be read as input: one line naming it.
public struct FileAccessError: Error, CustomStringConvertible, LocalizedError {
    public let path: String
    public let problem: String
    public init(path: String, problem: String) { self.path = path; self.problem = problem }
    public var description: String { "\(path): \(problem)" }
    public var errorDescription: String? { description }
}
