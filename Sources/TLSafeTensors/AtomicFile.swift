import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failure to write a file atomically. Its description is one line naming the file.
public struct AtomicWriteError: Error, CustomStringConvertible, LocalizedError, Sendable {
    /// The destination that was being written.
    public let path: String
    /// What went wrong, e.g. "cannot create temporary file: Permission denied".
    public let problem: String

    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path): \(problem)" }
    public var errorDescription: String? { description }
}

/// Writes a file so that readers only ever see the old complete file or the new complete file.
///
/// The bytes go to a uniquely named temporary file in the destination's own folder (so the final
/// `rename(2)` stays inside one file system and is atomic), the file is flushed to disk with
/// `fsync`, and only then renamed over the destination. If anything fails, or the process is
/// killed part way, the destination is untouched; on a thrown failure the temporary file is removed.
/// A kill can leave a stray `.<name>.tmp-*` file behind, never a damaged destination.
public struct AtomicFileWriter: Sendable {
    /// The file that will exist after `commit`.
    public let destination: URL

    public init(destination: URL) {
        self.destination = destination
    }

    /// Streams the content through `body`, which receives the temporary file's handle, then
    /// syncs and renames it into place. Errors thrown by `body` abort the write and are rethrown.
    public func write(_ body: (FileHandle) throws -> Void) throws {
        let path = destination.path
        let folder = destination.deletingLastPathComponent()
        removeStaleTemporaries()
        let tempURL = folder.appendingPathComponent(
            ".\(destination.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        // O_EXCL: never reuse or follow an existing file at the temporary name.
        let fd = open(tempURL.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw AtomicWriteError(path: path, problem: "cannot create temporary file in \(folder.path): \(errnoText())")
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        var committed = false
        defer {
            if !committed { unlink(tempURL.path) }
        }
        do {
            try body(handle)
            try handle.synchronize()
            try handle.close()
        } catch let error as AtomicWriteError {
            try? handle.close()
            throw error
        } catch {
            try? handle.close()
            throw AtomicWriteError(path: path, problem: "write failed: \(oneLine(error))")
        }
        guard rename(tempURL.path, path) == 0 else {
            throw AtomicWriteError(path: path, problem: "cannot rename temporary file into place: \(errnoText())")
        }
        committed = true
        // Make the rename itself durable: sync the directory entry (best effort; some file
        // systems refuse fsync on directories, which is not a correctness problem for readers).
        let dirFD = open(folder.path, O_RDONLY | O_CLOEXEC)
        if dirFD >= 0 {
            _ = fsync(dirFD)
            close(dirFD)
        }
    }
}

extension AtomicFileWriter {
    /// The prefix of this destination's temporary files: `.<name>.tmp-`.
    var temporaryPrefix: String { ".\(destination.lastPathComponent).tmp-" }

    /// Removes temporary files of this destination left by processes that no longer exist (a
    /// `kill -9` during a write). The writer's pid is part of the name; a file whose pid is
    /// alive belongs to a write in progress and is left alone. Returns the names removed.
    @discardableResult
    public func removeStaleTemporaries() -> [String] {
        let folder = destination.deletingLastPathComponent()
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [] }
        var removed: [String] = []
        for name in names where name.hasPrefix(temporaryPrefix) {
            let rest = name.dropFirst(temporaryPrefix.count)
            guard let pidText = rest.split(separator: "-").first, let pid = pid_t(pidText), pid > 0 else { continue }
            if kill(pid, 0) == 0 || errno != ESRCH { continue }   // alive, or not ours to judge
            if unlink(folder.appendingPathComponent(name).path) == 0 { removed.append(name) }
        }
        return removed
    }
}

/// Replaces the file at `url` with `data` atomically (temporary file, fsync, rename).
/// The previous file, if any, survives intact when this throws or the process dies mid-write.
public func writeAtomically(_ data: Data, to url: URL) throws {
    try AtomicFileWriter(destination: url).write { handle in
        try handle.write(contentsOf: data)
    }
}

/// Replaces the file at `url` with the UTF-8 bytes of `text` atomically.
public func writeAtomically(_ text: String, to url: URL) throws {
    try writeAtomically(Data(text.utf8), to: url)
}

func errnoText() -> String {
    String(cString: strerror(errno))
}

/// A description of `error` with line breaks folded, for one-line messages.
func oneLine(_ error: any Error) -> String {
    let text = (error as? LocalizedError)?.errorDescription ?? String(describing: error)
    return text.split(whereSeparator: \.isNewline).joined(separator: " ")
}
