import Foundation
@testable import TLCLI

/// Captures everything a `Console` writes, for in-process tests.
final class CapturedConsole: @unchecked Sendable {
    private let lock = NSLock()
    private var out = ""
    private var err = ""

    var console: Console {
        Console(writeOutput: { text in self.lock.withLock { self.out += text } },
                writeError: { text in self.lock.withLock { self.err += text } },
                errorIsTerminal: false)
    }
    var stdout: String { lock.withLock { out } }
    var stderr: String { lock.withLock { err } }
}

/// Runs `tool` in-process on `words` (without the program name).
func runTool(_ tool: CommandLineTool, _ words: [String]) -> (status: Int32, stdout: String, stderr: String) {
    let captured = CapturedConsole()
    let status = tool.run(["tl"] + words, console: captured.console)
    return (status, captured.stdout, captured.stderr)
}

/// A fresh empty folder under the system temp directory.
func makeTempFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("tl-cli-test-\(getpid())-\(UInt64.random(in: 0...UInt64.max))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// The built `tl` executable: next to the test bundle in the build products folder
/// (`swift test` builds the executable products too), or under `.build/{release,debug}`.
let tlExecutablePath: String? = {
    var candidates: [URL] = []
    let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    // .build/<triple>/<config>/tlPackageTests.xctest (a file on Linux, a bundle folder on macOS).
    var folder = testBinary.deletingLastPathComponent()
    for _ in 0..<4 {
        candidates.append(folder.appendingPathComponent("tl"))
        folder = folder.deletingLastPathComponent()
    }
    candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("tl"))
    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    for config in ["release", "debug"] {
        candidates.append(packageRoot.appendingPathComponent(".build/\(config)/tl"))
    }
    return candidates.map(\.path).first { path in
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && !isFolder.boolValue
            && FileManager.default.isExecutableFile(atPath: path)
    }
}()

/// Runs the real `tl` binary and waits for it.
func runTL(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tlExecutablePath!)
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let group = DispatchGroup()
    nonisolated(unsafe) var errData = Data()
    DispatchQueue.global().async(group: group) { errData = err.fileHandleForReading.readDataToEndOfFile() }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}
