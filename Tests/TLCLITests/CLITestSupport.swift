import Foundation
@testable import TLCLI
@_exported import TLTestSupport

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
    guard let result = runProcess(tlExecutablePath!, arguments) else {
        throw CocoaError(.executableLoad, userInfo: [NSFilePathErrorKey: tlExecutablePath!])
    }
    return (result.status, result.stdout, result.stderr)
}

/// The real `tl` binary running in the background, its stdout and stderr collected as they
/// arrive, so a test can wait for a line and then press Ctrl-C.
final class BackgroundTL: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var out = Data(), err = Data()
    private let group = DispatchGroup()

    init(_ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: tlExecutablePath!)
        process.arguments = arguments
        let outPipe = Pipe(), errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        try process.run()
        for (pipe, isError) in [(outPipe, false), (errPipe, true)] {
            DispatchQueue.global().async(group: group) { [self] in
                while true {
                    let chunk = pipe.fileHandleForReading.availableData
                    if chunk.isEmpty { break }
                    lock.withLock { if isError { err += chunk } else { out += chunk } }
                }
            }
        }
    }

    var stdout: String { lock.withLock { String(decoding: out, as: UTF8.self) } }
    var stderr: String { lock.withLock { String(decoding: err, as: UTF8.self) } }

    /// Waits until stderr contains `text`; false if the process ended or time ran out first.
    func waitForError(containing text: String, timeout: TimeInterval = 120) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if stderr.contains(text) { return true }
            if !process.isRunning { return stderr.contains(text) }
            usleep(2_000)
        }
        return false
    }

    /// Presses Ctrl-C (when still running) and waits for the exit status, with all output read.
    func interruptAndWait() -> Int32 {
        if process.isRunning { process.interrupt() }
        process.waitUntilExit()
        group.wait()
        return process.terminationStatus
    }
}
