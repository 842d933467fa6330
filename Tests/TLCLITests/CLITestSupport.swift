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
