// libFuzzer harness for every input parser of tl (built by Scripts/fuzz-build.sh with
// `swiftc -sanitize=fuzzer,address`, run by Scripts/fuzz.sh). One binary, one target per parser,
// chosen with TL_FUZZ_TARGET (see `FuzzTargets.all`). A target feeds the bytes to the parser
// exactly as the reader of a file does; a thrown error is the expected outcome for bad input,
// anything else (a trap, an allocation over -malloc_limit_mb, a hang) is a finding.
import Foundation
import TLIO

#if canImport(Glibc)
import Glibc
#endif

nonisolated(unsafe) var selectedTarget: FuzzTarget?

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>) -> CInt {
    // Small budget, so that an unchecked size shows up as an allocation beyond -malloc_limit_mb
    // while a checked one is a thrown error. Set before AllocationBudget is first read.
    setenv("TL_MEMORY_LIMIT_MB", "256", 1)
    let name = ProcessInfo.processInfo.environment["TL_FUZZ_TARGET"] ?? ""
    if name == "list" {   // Scripts/fuzz.sh asks for the names
        print(FuzzTargets.all.map(\.name).joined(separator: "\n"))
        exit(0)
    }
    guard let target = FuzzTargets.all.first(where: { $0.name == name }) else {
        let names = FuzzTargets.all.map(\.name).joined(separator: " ")
        FileHandle.standardError.write(Data("set TL_FUZZ_TARGET to one of: \(names)\n".utf8))
        exit(2)
    }
    _ = AllocationBudget.bytes
    selectedTarget = target
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let target = selectedTarget else { return 0 }
    let bytes = size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : []
    do { try target.run(bytes) } catch {
        // Every error must render to one line (what the CLI prints).
        let line = "\(error)"
        if line.isEmpty { fatalError("empty error message for \(type(of: error))") }
    }
    return 0
}

/// One parser under test.
struct FuzzTarget: Sendable {
    let name: String
    let run: @Sendable ([UInt8]) throws -> Void
}
