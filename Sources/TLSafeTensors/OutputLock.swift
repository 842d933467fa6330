import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A lock on an output file for the length of a run, so two runs writing the same file (and
/// the same resume file next to it) cannot interleave: `<out>.lock`, created with `O_EXCL`,
/// holding the owner's pid. A lock whose pid no longer exists (the owner was killed) is taken
/// over. The lock is released (removed) by `release()` or when the process exits normally.
public final class OutputLock: @unchecked Sendable {
    /// The file the lock protects, and the lock file itself.
    public let destination: URL
    public let lockURL: URL
    private var held = true

    /// Takes the lock for `destination`, or throws naming the run that holds it.
    public init(destination: URL) throws {
        self.destination = destination
        lockURL = destination.appendingPathExtension("lock")
        for _ in 0..<2 {
            let fd = open(lockURL.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 {
                let text = "\(getpid())\n"
                _ = text.withCString { write(fd, $0, strlen($0)) }
                close(fd)
                return
            }
            guard errno == EEXIST else {
                throw AtomicWriteError(path: destination.path, problem: "cannot create lock file \(lockURL.lastPathComponent): \(String(cString: strerror(errno)))")
            }
            let owner = (try? String(contentsOf: lockURL, encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            if let owner, owner > 0, Self.isRunning(owner, patience: 2) {
                throw AtomicWriteError(path: destination.path, problem: "another tl run (pid \(owner)) is writing this file; wait for it, or remove \(lockURL.path) if that process is not tl")
            }
            // The owner is gone (killed): take the lock over.
            unlink(lockURL.path)
        }
        throw AtomicWriteError(path: destination.path, problem: "cannot take the lock \(lockURL.path)")
    }

    /// Whether process `pid` exists and is not a zombie, waiting up to `patience` seconds for one
    /// that is exiting (a killed run's process can outlive its parent's exit by a moment).
    static func isRunning(_ pid: pid_t, patience: Double) -> Bool {
        let deadline = Date().addingTimeInterval(patience)
        while true {
            let exists = kill(pid, 0) == 0 || errno != ESRCH
            if !exists { return false }
            // /proc/PID/stat: "pid (name) S …"; state Z is a zombie (dead, not yet reaped).
            if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
               let close = stat.lastIndex(of: ")"), stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z") {
                return false
            }
            if Date() >= deadline { return true }
            usleep(50_000)
        }
    }

    /// Removes the lock file (idempotent).
    public func release() {
        guard held else { return }
        held = false
        unlink(lockURL.path)
    }

    deinit { release() }
}
