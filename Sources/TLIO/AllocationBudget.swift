import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The most memory `tl` lets one input-declared object take: a file read into memory, a tensor
/// whose shape comes from a file or a flag, a decompressed stream. Every size that comes from
/// input is checked against it *before* anything is allocated, with overflow-checked arithmetic,
/// so a hostile or mistaken header gives one clear error instead of a trap or an out-of-memory kill.
///
/// Default: half of physical memory or of the address-space limit (`ulimit -v`), whichever is
/// smaller, and at least 1 GiB. Override with `TL_MEMORY_LIMIT_MB`.
public enum AllocationBudget {
    /// The budget in bytes.
    public static let bytes: Int = {
        if let text = ProcessInfo.processInfo.environment["TL_MEMORY_LIMIT_MB"], let mb = Int(text), mb > 0,
           mb <= Int.max >> 20 {
            return mb << 20
        }
        let physical = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        return max(1 << 30, min(physical, addressSpaceLimit) / 2)
    }()

    /// The address-space limit (`ulimit -v`, RLIMIT_AS) in bytes, or Int.max when unlimited:
    /// under a 4 GB limit the default budget is 2 GB, so a checked size fails with a message
    /// before an allocation fails with a trap.
    static var addressSpaceLimit: Int {
        var limit = rlimit()
        #if canImport(Glibc)
        guard getrlimit(Int32(RLIMIT_AS.rawValue), &limit) == 0 else { return Int.max }
        #else
        guard getrlimit(RLIMIT_AS, &limit) == 0 else { return Int.max }
        #endif
        return limit.rlim_cur == rlim_t.max ? Int.max : Int(clamping: limit.rlim_cur)
    }

    /// The product of `factors` (element counts, sizes), or nil when it overflows or a factor is negative.
    public static func product(_ factors: [Int]) -> Int? {
        var total = 1
        for f in factors {
            guard f >= 0 else { return nil }
            let (p, overflow) = total.multipliedReportingOverflow(by: f)
            if overflow { return nil }
            total = p
        }
        return total
    }

    /// Checks that `count` elements of `bytesPerElement` bytes fit the budget; throws a
    /// `BudgetError` naming `what` otherwise.
    public static func check(elements factors: [Int], bytesPerElement: Int = 4, what: @autoclosure () -> String) throws {
        guard let count = product(factors), let bytes = product([count, bytesPerElement]) else {
            throw BudgetError(what: what(), bytes: nil)
        }
        guard bytes <= Self.bytes else { throw BudgetError(what: what(), bytes: bytes) }
    }
}

/// A size that does not fit the allocation budget (or overflows).
public struct BudgetError: Error, CustomStringConvertible, LocalizedError {
    public let what: String
    /// The bytes it would take; nil when the size overflows.
    public let bytes: Int?
    public init(what: String, bytes: Int?) { self.what = what; self.bytes = bytes }

    public var description: String {
        let size = bytes.map { "\(formatBytes($0))" } ?? "more than any machine's memory (the size overflows)"
        return "\(what) would need \(size), over the memory limit of \(formatBytes(AllocationBudget.bytes)) (TL_MEMORY_LIMIT_MB)"
    }
    public var errorDescription: String? { description }
}

/// "1.5 GiB", "512 MiB", "12 KiB", "100 bytes".
public func formatBytes(_ n: Int) -> String {
    let units = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
    for (size, name) in units where n >= size {
        let value = Double(n) / Double(size)
        return value >= 100 ? "\(Int(value.rounded())) \(name)" : String(format: "%.1f %@", value, name)
    }
    return "\(n) bytes"
}
