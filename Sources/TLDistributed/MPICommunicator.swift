import Foundation

/// The ranks of `mpirun -np N`, through an MPI library loaded at run time (`MPILibrary`).
///
/// Errors return instead of aborting (`MPI_ERRORS_RETURN` on `MPI_COMM_WORLD`), and every
/// collective is non-blocking (`MPI_Iallreduce`) and polled with a deadline
/// (`TL_DISTRIBUTED_TIMEOUT`, default 120 s), so a rank whose peer died gets an error instead
/// of hanging even if the launcher does not kill it (Open MPI's `mpirun` does, within a
/// second or two of a rank's death).
public final class MPICommunicator: Communicator, BucketedAllreduce {
    let library: MPILibrary
    public let rank: Int
    public let size: Int
    public var name: String { "MPI (\(library.flavor.rawValue), \(library.path))" }
    let timeout: Double

    /// Loads MPI, initialises it and reads this process's rank. `launcher` names the launcher
    /// detected (for the error when no library loads).
    public init(launcher: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        library = try MPILibrary.load(launcher: launcher, environment: environment)
        timeout = distributedTimeoutSeconds
        var flag: Int32 = 0
        try library.check(library.initialized(&flag), "MPI_Initialized")
        if flag == 0 { try library.check(library.initialize(nil, nil), "MPI_Init") }
        try library.check(library.setErrhandler(library.commWorld, library.errorsReturn), "MPI_Comm_set_errhandler")
        var r: Int32 = 0, s: Int32 = 0
        try library.check(library.commRank(library.commWorld, &r), "MPI_Comm_rank")
        try library.check(library.commSize(library.commWorld, &s), "MPI_Comm_size")
        rank = Int(r)
        size = Int(s)
    }

    /// Ends MPI (call once, after the last collective, on success).
    public func finalize() {
        var done: Int32 = 0
        _ = library.finalized(&done)
        if done == 0 { _ = library.finalize() }
    }

    /// Kills every rank of the job (after an error on this rank that the others cannot see).
    public func abort(code: Int32) { _ = library.abort(library.commWorld, code) }

    func op(_ operation: ReduceOperation) -> MPILibrary.Handle {
        switch operation {
        case .sum: return library.sum
        case .max: return library.max
        case .min: return library.min
        }
    }

    public func allreduce(_ buffer: UnsafeMutableBufferPointer<Float>, _ operation: ReduceOperation) throws {
        try allreduce(buffer, operation, buckets: [0..<buffer.count])
    }

    func allreduceSumBuckets(_ buffer: UnsafeMutableBufferPointer<Float>, bucketElements: Int) throws {
        var ranges: [Range<Int>] = []
        var start = 0
        while start < buffer.count {
            let end = Swift.min(start + Swift.max(bucketElements, 1), buffer.count)
            ranges.append(start..<end)
            start = end
        }
        try allreduce(buffer, .sum, buckets: ranges)
    }

    /// Starts one `MPI_Iallreduce` per bucket (in place), then polls them all until done or
    /// the deadline passes.
    func allreduce(_ buffer: UnsafeMutableBufferPointer<Float>, _ operation: ReduceOperation, buckets: [Range<Int>]) throws {
        guard size > 1, let base = buffer.baseAddress else { return }
        // MPI_IN_PLACE: Open MPI `(void *) 1`, MPICH `(void *) -1`.
        let inPlace = UnsafeRawPointer(bitPattern: library.flavor == .openMPI ? 1 : -1)
        var requests = [MPILibrary.Handle](repeating: 0, count: buckets.count)
        for (i, range) in buckets.enumerated() where !range.isEmpty {
            try library.check(library.iallreduce(inPlace, base + range.lowerBound, Int32(range.count), library.float, op(operation),
                                                 library.commWorld, &requests[i]), "MPI_Iallreduce")
        }
        var pending = Set(buckets.indices.filter { !buckets[$0].isEmpty })
        let deadline = Date().addingTimeInterval(timeout)
        var status = [UInt8](repeating: 0, count: 256)   // larger than either library's MPI_Status
        var spins = 0
        while !pending.isEmpty {
            for i in pending {
                var done: Int32 = 0
                try library.check(library.test(&requests[i], &done, &status), "MPI_Test")
                if done != 0 { pending.remove(i) }
            }
            guard !pending.isEmpty else { break }
            spins += 1
            if spins > 200 {
                if Date() > deadline { throw DistributedError.timeout(operation: "allreduce", seconds: timeout) }
                usleep(50)
            }
        }
    }
}
