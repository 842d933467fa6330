import Foundation
import TLIO

/// An error raised while reading or transforming data.
///
/// The `description` is one line naming the file (when there is one), the record or line
/// (when known) and the reason, e.g.
/// `train.csv: line 12: expected 785 columns, found 784`.
public struct DataError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file involved, or "" when the error is not tied to a file.
    public var file: String
    /// Where in the file: "line 12", "record 3", "byte 1024", or "".
    public var location: String
    /// What was wrong and what was expected.
    public var reason: String

    public init(file: String = "", location: String = "", reason: String) {
        self.file = file
        self.location = location
        self.reason = reason
    }

    public var description: String {
        var parts: [String] = []
        if !file.isEmpty { parts.append(file) }
        if !location.isEmpty { parts.append(location) }
        parts.append(reason)
        return parts.joined(separator: ": ").replacingOccurrences(of: "\n", with: " ")
    }

    /// A copy naming `file` (used when a decoder that only sees bytes is called for a file).
    func inFile(_ name: String) -> DataError {
        var e = self
        if e.file.isEmpty { e.file = name } else if e.file != name { e.file = name + " (" + e.file + ")" }
        return e
    }
}

/// Re-throws any `DataError` from `body` attributed to `file`.
func attributing<T>(to file: String, _ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as DataError { throw e.inFile(file) }
}

/// Reads a whole regular file within the allocation budget, turning failures (a FIFO, a
/// device, a folder, a file larger than the budget) into a `DataError` naming it.
func readFileBytes(_ path: String) throws -> [UInt8] {
    do { return [UInt8](try RegularFile.read(path)) } catch let e as FileAccessError { throw DataError(file: path, reason: e.problem) }
}

/// Reads a file and transparently gunzips it when it starts with the gzip magic bytes.
func readMaybeGzipped(_ path: String) throws -> [UInt8] {
    let bytes = try readFileBytes(path)
    if bytes.count >= 2, bytes[0] == 0x1f, bytes[1] == 0x8b {
        return try attributing(to: path) { try Gzip.decompress(bytes) }
    }
    return bytes
}
