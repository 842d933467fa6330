import Foundation
@testable import TLTransfer

/// A fresh empty folder under the system temp directory, unique per call.
func makeTempFolder(_ label: String = "tl-test") throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("\(label)-\(getpid())-\(UInt64.random(in: 0...UInt64.max))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Bytes of a safetensors file with the given literal JSON header and data buffer
/// (no padding added), for building malformed files by hand.
func rawSafeTensors(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> Data {
    let json = Array(header.utf8)
    var out = Data()
    withUnsafeBytes(of: (declaredLength ?? UInt64(json.count)).littleEndian) { out.append(contentsOf: $0) }
    out.append(contentsOf: json)
    out.append(contentsOf: data)
    return out
}

/// The result of running an external program.
struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `executable` with `arguments` and waits; nil if it cannot be launched.
func runProcess(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) -> ProcessResult? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    do { try process.run() } catch { return nil }
    // Read both pipes before waiting so a chatty child cannot block on a full pipe.
    let group = DispatchGroup()
    nonisolated(unsafe) var errData = Data()
    DispatchQueue.global().async(group: group) { errData = err.fileHandleForReading.readDataToEndOfFile() }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}

/// Locates `python3` on PATH (or common places).
let python3Path: String? = {
    let candidates = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        .split(separator: ":").map { "\($0)/python3" } + ["/usr/bin/python3", "/usr/local/bin/python3"]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
}()

/// Runs a python3 script (passed with -c) with arguments.
func runPython(_ script: String, _ arguments: [String] = []) -> ProcessResult? {
    guard let python3Path else { return nil }
    return runProcess(python3Path, ["-c", script] + arguments)
}

/// True when python3 can import the `safetensors` package and numpy.
let pythonHasSafetensors: Bool = {
    runPython("import safetensors, safetensors.numpy, numpy")?.status == 0
}()
