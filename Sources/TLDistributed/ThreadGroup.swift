import Foundation

/// N ranks as threads of one process (for tests and for checking the trainer without MPI):
/// `ThreadGroup(size: 2).communicators[r]` is rank r. Reductions run in rank order, so every
/// rank gets bit-identical results. `fail(rank:)` marks a rank as dead: collectives that are
/// waiting or start later throw `DistributedError.peerFailed` instead of hanging.
public final class ThreadGroup: @unchecked Sendable {
    public let size: Int
    public private(set) var communicators: [ThreadCommunicator] = []
    let condition = NSCondition()
    var slots: [UnsafeMutableBufferPointer<Float>?]
    var arrived = 0, departed = 0, generation = 0
    var failedRank: Int? = nil
    let timeout: Double

    public init(size: Int, timeout: Double = distributedTimeoutSeconds) {
        precondition(size >= 1)
        self.size = size
        self.timeout = timeout
        slots = Array(repeating: nil, count: size)
        communicators = (0..<size).map { ThreadCommunicator(group: self, rank: $0) }
    }

    /// Runs `body(rank)` for every rank at once, each on its own thread (a thread pool such as
    /// `concurrentPerform` may run fewer at a time than there are ranks, and then the
    /// collectives would wait forever), and returns each rank's result or error.
    public func run<T>(_ body: @escaping (_ rank: Int) throws -> T) -> [Result<T, any Error>] {
        let work = UncheckedBox(body)
        let results = UncheckedBox([Result<T, any Error>?](repeating: nil, count: size))
        let lock = NSLock(), finished = DispatchSemaphore(value: 0)
        for r in 0..<size {
            let thread = Thread {
                let result = Result { try work.value(r) }
                lock.withLock { results.value[r] = result }
                finished.signal()
            }
            thread.stackSize = 16 << 20
            thread.start()
        }
        for _ in 0..<size { finished.wait() }
        return lock.withLock { results.value.map { $0! } }
    }

    /// Marks `rank` as failed and wakes every waiting rank.
    public func fail(rank: Int) {
        condition.lock()
        failedRank = failedRank ?? rank
        condition.broadcast()
        condition.unlock()
    }

    func allreduce(rank: Int, _ buffer: UnsafeMutableBufferPointer<Float>, _ operation: ReduceOperation) throws {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        // Phase 1: every rank publishes its buffer.
        let myGeneration = generation
        slots[rank] = buffer
        arrived += 1
        if arrived == size { condition.broadcast() }
        while arrived < size && generation == myGeneration {
            if let failed = failedRank { throw DistributedError.peerFailed(rank: failed) }
            if !condition.wait(until: deadline) { throw DistributedError.timeout(operation: "allreduce", seconds: timeout) }
        }
        if let failed = failedRank { throw DistributedError.peerFailed(rank: failed) }
        // Every rank reduces into a private copy in rank order; nobody writes a slot until all read.
        let n = buffer.count
        var result = [Float](UnsafeBufferPointer(slots[0]!))
        for r in 1..<size {
            guard let other = slots[r], other.count == n else { continue }
            for i in 0..<n {
                switch operation {
                case .sum: result[i] += other[i]
                case .max: result[i] = Swift.max(result[i], other[i])
                case .min: result[i] = Swift.min(result[i], other[i])
                }
            }
        }
        // Phase 2: wait until every rank has read, then write back and reset for the next call.
        departed += 1
        if departed == size {
            arrived = 0; departed = 0; generation += 1
            slots = Array(repeating: nil, count: size)
            condition.broadcast()
        }
        while generation == myGeneration {
            if let failed = failedRank { throw DistributedError.peerFailed(rank: failed) }
            if !condition.wait(until: deadline) { throw DistributedError.timeout(operation: "allreduce", seconds: timeout) }
        }
        _ = result.withUnsafeBufferPointer { buffer.update(from: $0) }
    }
}

/// One rank of a `ThreadGroup`.
public final class ThreadCommunicator: Communicator, @unchecked Sendable {
    unowned let group: ThreadGroup
    public let rank: Int
    public var size: Int { group.size }
    public var name: String { "\(group.size) threads" }

    init(group: ThreadGroup, rank: Int) {
        self.group = group
        self.rank = rank
    }

    public func allreduce(_ buffer: UnsafeMutableBufferPointer<Float>, _ operation: ReduceOperation) throws {
        try group.allreduce(rank: rank, buffer, operation)
    }
}

/// A value handed to rank threads; each rank touches only its own part, or under a lock.
final class UncheckedBox<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}
