import Foundation
import Testing
@testable import TLData

/// Helpers shared by the TLData tests: temp folders, external tools, error expectations.
enum Support {
    /// A fresh empty temporary directory.
    static func tempDir(_ tag: String = "tl") throws -> String {
        let dir = NSTemporaryDirectory() + "/\(tag)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func write(_ bytes: [UInt8], _ path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    static func write(_ text: String, _ path: String) throws {
        try write(Array(text.utf8), path)
    }

    /// The full path of an executable on PATH, or nil.
    static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let p = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    /// Runs a program; returns its exit status and standard output.
    @discardableResult
    static func run(_ exe: String, _ args: [String], cwd: String? = nil) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// python3 with numpy, or nil (tests needing it then skip with a message).
    static let pythonWithNumpy: String? = {
        guard let py = which("python3"), let r = try? run(py, ["-c", "import numpy"]), r.status == 0 else { return nil }
        return py
    }()

    /// Runs a Python script (with numpy available) in `dir`; false when python3 is missing.
    static func python(_ script: String, in dir: String) throws -> Bool {
        guard let py = pythonWithNumpy else {
            print("note: python3 with numpy not found; skipping the python-made reference files")
            return false
        }
        let path = dir + "/make.py"
        try write(script, path)
        let r = try run(py, [path], cwd: dir)
        #expect(r.status == 0, "python script failed")
        return r.status == 0
    }

    /// The repository root (…/Tests/TLDataTests/ → …).
    static let repoRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
}

/// Expects `body` to throw a one-line error whose message contains every string in `fragments`.
func expectError(_ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Any) {
    do {
        let value = try body()
        Issue.record("expected an error mentioning \(fragments), got \(type(of: value))", sourceLocation: sourceLocation)
    } catch {
        let message = "\(error)"
        #expect(error is DataError, "unexpected error type: \(error)", sourceLocation: sourceLocation)
        #expect(!message.contains("\n"), "message is not one line: \(message)", sourceLocation: sourceLocation)
        for f in fragments {
            #expect(message.contains(f), "error \"\(message)\" does not mention \"\(f)\"", sourceLocation: sourceLocation)
        }
    }
}

/// LSB-first bit writer for hand-made DEFLATE streams.
struct BitWriter {
    var bytes: [UInt8] = []
    var bitCount = 0
    mutating func bits(_ value: Int, _ n: Int) {
        for i in 0..<n {
            if bitCount % 8 == 0 { bytes.append(0) }
            if (value >> i) & 1 != 0 { bytes[bytes.count - 1] |= UInt8(1 << (bitCount % 8)) }
            bitCount += 1
        }
    }
    /// A Huffman code, written most-significant bit first as DEFLATE requires.
    mutating func code(_ value: Int, _ n: Int) {
        for i in stride(from: n - 1, through: 0, by: -1) { bits((value >> i) & 1, 1) }
    }
}
