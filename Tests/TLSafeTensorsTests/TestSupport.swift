import Foundation
@testable import TLSafeTensors
@_exported import TLTestSupport

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
