import Foundation
import Synchronization

/// Instruction-set level of the fast kernels.
///
/// The hot loops live in three modules compiled from the same sources with different
/// `-target-cpu` flags (see README-kernels.md): `TLKernelsAVX512` (skylake-avx512, 12×32
/// GEMM tile of 512-bit vectors), `TLKernelsAVX2` (haswell, 6×16 tile of 256-bit vectors)
/// and `TLKernelsPortable` (default target, no FMA). TLKernels picks one at run time from
/// the CPU flags, so a machine without AVX-512 runs a working binary and never executes an
/// illegal instruction. No code of the AVX modules is inlined into callers (none of their
/// API is `@inlinable`), so nothing compiled for AVX runs before this check.
public enum KernelBackend: String, Sendable, CaseIterable {
    case portable
    case avx2
    case avx512
}

/// Parses the `flags` line of /proc/cpuinfo text into a set of flag names.
func cpuFlags(fromCPUInfo text: String) -> Set<String> {
    for line in text.split(separator: "\n") where line.hasPrefix("flags") {
        guard let colon = line.firstIndex(of: ":") else { continue }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }
    return []
}

/// The best backend whose every required flag is present (portable when unknown).
func bestBackend(flags: Set<String>) -> KernelBackend {
    // Features -target-cpu haswell may emit, and the extra ones of skylake-avx512.
    let haswell: Set<String> = ["avx", "avx2", "fma", "bmi1", "bmi2", "f16c", "movbe", "popcnt"]
    let skylakeX: Set<String> = ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]
    if haswell.isSubset(of: flags) && skylakeX.isSubset(of: flags) { return .avx512 }
    if haswell.isSubset(of: flags) { return .avx2 }
    return .portable
}

/// Highest backend this machine supports, read once from /proc/cpuinfo (Linux).
/// On other systems or when the file cannot be read, `.portable`.
public let supportedKernelBackend: KernelBackend = {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return .portable }
    return bestBackend(flags: cpuFlags(fromCPUInfo: text))
}()

private func rank(_ b: KernelBackend) -> Int {
    switch b { case .portable: 0; case .avx2: 1; case .avx512: 2 }
}

/// Errors from kernel configuration (thread count, backend choice).
public enum KernelConfigurationError: Error, CustomStringConvertible, Equatable {
    case invalidThreadCount(source: String, value: String)
    case unsupportedBackend(requested: String, supported: String)
    case unknownBackend(String)

    public var description: String {
        switch self {
        case let .invalidThreadCount(source, value):
            return "\(source): expected a whole number of threads from 1 to 1024, got '\(value)'"
        case let .unsupportedBackend(requested, supported):
            return "kernel backend '\(requested)' is not supported by this CPU (best: \(supported))"
        case let .unknownBackend(name):
            return "TL_KERNELS: expected one of portable, avx2, avx512, got '\(name)'"
        }
    }
}

// 0 = not yet chosen; otherwise rank + 1.
private let backendStorage = Atomic<Int>(0)

/// The backend every kernel call uses now. Defaults to `supportedKernelBackend`, or to the
/// lower level named by the environment variable `TL_KERNELS` (portable, avx2, avx512);
/// a level above what the CPU supports is never used.
public var currentKernelBackend: KernelBackend {
    let v = backendStorage.load(ordering: .relaxed)
    if v != 0 { return KernelBackend.allCases.first { rank($0) == v - 1 }! }
    var chosen = supportedKernelBackend
    if let env = ProcessInfo.processInfo.environment["TL_KERNELS"], !env.isEmpty {
        if let wanted = KernelBackend(rawValue: env.lowercased()), rank(wanted) <= rank(supportedKernelBackend) {
            chosen = wanted
        } else {
            FileHandle.standardError.write(Data("tl: ignoring TL_KERNELS='\(env)' (supported up to \(supportedKernelBackend.rawValue))\n".utf8))
        }
    }
    backendStorage.store(rank(chosen) + 1, ordering: .relaxed)
    return chosen
}

/// Selects the backend (tests use this to check every level). Throws when the CPU lacks it.
public func setKernelBackend(_ backend: KernelBackend) throws {
    guard rank(backend) <= rank(supportedKernelBackend) else {
        throw KernelConfigurationError.unsupportedBackend(requested: backend.rawValue,
                                                          supported: supportedKernelBackend.rawValue)
    }
    backendStorage.store(rank(backend) + 1, ordering: .relaxed)
}
