import Foundation

/// Element-wise reductions a communicator applies across ranks.
public enum ReduceOperation: Sendable {
    case sum, max, min
}

/// A group of processes (or threads) that train one model together, data-parallel: every
/// rank holds the same weights, computes gradients on its own shard of each batch, and the
/// ranks combine them with `allreduce` before every optimizer step.
///
/// Three implementations: `SingleProcessCommunicator` (size 1; every collective is the
/// identity), `ThreadGroup` (N ranks as threads of one process, for tests) and
/// `MPICommunicator` (processes started by `mpirun`, MPI loaded at run time by `dlopen`).
/// A collective blocks until every rank called it; all ranks must call the same collectives
/// in the same order with the same sizes.
public protocol Communicator: AnyObject {
    /// This rank, 0 ..< size. Rank 0 alone writes files.
    var rank: Int { get }
    /// Number of ranks.
    var size: Int { get }
    /// Replaces `buffer` on every rank by the element-wise reduction over ranks, in place.
    /// Throws `DistributedError` when a peer failed or the collective timed out.
    func allreduce(_ buffer: UnsafeMutableBufferPointer<Float>, _ operation: ReduceOperation) throws
    /// A human-readable name ("MPI (Open MPI, libmpi.so.40)", "2 threads", "single process").
    var name: String { get }
}

extension Communicator {
    /// `allreduce` on an array.
    public func allreduce(_ values: inout [Float], _ operation: ReduceOperation) throws {
        try values.withUnsafeMutableBufferPointer { try allreduce($0, operation) }
    }

    /// Allreduce of a long flat buffer in buckets of at most `bucketElements` floats (what
    /// gradient averaging uses: bounded message sizes; `MPICommunicator` keeps several buckets
    /// in flight at once).
    public func allreduceBucketed(_ buffer: UnsafeMutableBufferPointer<Float>, bucketElements: Int) throws {
        if let bucketed = self as? BucketedAllreduce { return try bucketed.allreduceSumBuckets(buffer, bucketElements: bucketElements) }
        var start = 0
        while start < buffer.count {
            let end = Swift.min(start + Swift.max(bucketElements, 1), buffer.count)
            try allreduce(UnsafeMutableBufferPointer(rebasing: buffer[start..<end]), .sum)
            start = end
        }
    }

    /// Checks that every rank passed the same `values` (e.g. hashes of spec, data and settings):
    /// returns the indices where ranks differ. Each UInt64 is compared as four 16-bit parts,
    /// which Float represents exactly, by an allreduce of minima and maxima.
    public func disagreements(_ values: [UInt64]) throws -> [Int] {
        var parts: [Float] = []
        for v in values { for k in 0..<4 { parts.append(Float((v >> (16 * UInt64(k))) & 0xFFFF)) } }
        var lo = parts, hi = parts
        try allreduce(&lo, .min)
        try allreduce(&hi, .max)
        return values.indices.filter { i in (0..<4).contains { lo[4 * i + $0] != hi[4 * i + $0] } }
    }
}

/// Communicators that pipeline several buckets (MPI's non-blocking allreduce).
protocol BucketedAllreduce {
    func allreduceSumBuckets(_ buffer: UnsafeMutableBufferPointer<Float>, bucketElements: Int) throws
}

/// One process: every collective leaves its buffer as it is.
public final class SingleProcessCommunicator: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public var name: String { "single process" }
    public func allreduce(_ buffer: UnsafeMutableBufferPointer<Float>, _ operation: ReduceOperation) throws {}
}

/// Why distributed training could not start or continue; each message is one line.
public enum DistributedError: Error, CustomStringConvertible, Equatable {
    /// A launcher was detected (or MPI requested) but no MPI library could be loaded.
    case libraryNotFound(tried: [String], launcher: String?)
    /// The library loaded but lacks a function `tl` needs.
    case missingSymbol(library: String, symbol: String)
    /// An MPI call returned an error code.
    case mpiCall(function: String, code: Int32, message: String)
    /// A collective did not complete within the timeout (a peer died or hangs).
    case timeout(operation: String, seconds: Double)
    /// Another rank failed (in-process groups), so this collective can never complete.
    case peerFailed(rank: Int)
    /// Ranks were started with different spec, data or settings.
    case ranksDisagree(on: [String])

    public var description: String {
        switch self {
        case .libraryNotFound(let tried, let launcher):
            let who = launcher.map { "started by an MPI launcher (\($0)) but " } ?? ""
            return "\(who)no MPI library could be loaded (tried \(tried.joined(separator: ", "))); install Open MPI (apt-get install openmpi-bin) or MPICH, or set TL_MPI_LIBRARY to the path of libmpi.so"
        case .missingSymbol(let library, let symbol):
            return "\(library) is not a usable MPI library: it has no \(symbol)"
        case .mpiCall(let function, let code, let message):
            return "\(function) failed (MPI error \(code)): \(message)"
        case .timeout(let operation, let seconds):
            return "\(operation) did not complete within \(Int(seconds)) s: another rank died or hangs (TL_DISTRIBUTED_TIMEOUT sets the limit)"
        case .peerFailed(let rank):
            return "rank \(rank) failed, so the other ranks stop"
        case .ranksDisagree(let what):
            return "the ranks were started with different \(what.joined(separator: ", ")); start every rank with the same command line and files"
        }
    }
}

/// Seconds a collective may wait for its peers before giving up (`TL_DISTRIBUTED_TIMEOUT`,
/// default 120): long enough for rank 0 to write a checkpoint while the others wait.
public var distributedTimeoutSeconds: Double {
    if let text = ProcessInfo.processInfo.environment["TL_DISTRIBUTED_TIMEOUT"], let s = Double(text), s > 0 { return s }
    return 120
}

/// 64-bit FNV-1a over bytes, for the start-up agreement check (not cryptographic).
public struct AgreementHash {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325
    public init() {}
    public mutating func add(_ bytes: UnsafeRawBufferPointer) {
        var h = value
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        value = h
    }
    public mutating func add(_ text: String) { var t = text; t.withUTF8 { add(UnsafeRawBufferPointer($0)) } }
    public mutating func add<T>(_ values: [T]) { values.withUnsafeBytes { add($0) } }
}
