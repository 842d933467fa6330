import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

// A fork/join pool whose workers spin briefly before they park (issue 14).
//
// A training step of a small net (LeNet, batch 64) runs ~20 parallel regions of 20–200 µs each,
// separated by short serial stretches. `DispatchQueue.concurrentPerform` parks its workers in
// the kernel between regions, so every region pays a futex wake-up and a reschedule before the
// second core starts — measured, LeNet ran no faster on 2 threads than on 1. Here each worker
// keeps polling for the next region for `spinWindow` after finishing one (OpenMP's default
// behaviour, but bounded), then parks on a condition variable, so an idle process or a loaded
// machine (see the facts file: a spin-forever pool collapsed there) does not lose a core to it.
//
// Claiming: one 64-bit word holds generation (bits 40–63), the region's index count (bits
// 20–39) and the next unclaimed index (bits 0–19). A thread reads the word, then the region's
// closure, then claims index i with a compare-and-swap from (g, n, i) to (g, n, i + 1); a
// successful swap proves the word never left generation g in between (generations and indices
// only grow), and the caller publishes the next region only after every index of g finished,
// so the closure read was g's. Only one region runs at a time; a caller that finds the pool busy
// (a nested call from inside a region, or another thread's region, e.g. tests running in
// parallel) or a region of 2²⁰ or more indices falls back to `concurrentPerform`.

final class WorkerPool: @unchecked Sendable {
    /// How long a worker polls for the next region before parking (a typical serial gap between
    /// two kernels of a small training step). The machines have one thread per core, so a
    /// polling worker takes no execution resources from the caller.
    static let spinWindow: Duration = .microseconds(100)
    /// How long the caller polls for workers' indices before it starts yielding its core.
    static let callerSpin: Duration = .microseconds(20)
    static let maxIndices = 1 << 20

    private let word = Atomic<UInt64>(0)
    private let finished = Atomic<Int>(0)         // indices of the current region completed
    private let busy = Atomic<Bool>(false)
    private let sleepers = Atomic<Int>(0)
    private let bodyAddress = Atomic<UInt>(0)     // the current region's closure box
    private let condition = NSCondition()
    let workers: Int

    init(workers: Int) {
        self.workers = workers
        for _ in 0..<workers {
            let thread = Thread { self.workerLoop() }   // workers keep the pool alive: it lives for the process
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    @inline(__always) private static func generation(_ w: UInt64) -> UInt64 { w >> 40 }
    @inline(__always) private static func count(_ w: UInt64) -> Int { Int((w >> 20) & 0xF_FFFF) }
    @inline(__always) private static func next(_ w: UInt64) -> Int { Int(w & 0xF_FFFF) }

    /// Runs body(0..<count) on the caller and the workers; false when the pool is busy or the
    /// region too large (the caller then runs it another way).
    func run(_ count: Int, _ body: (Int) -> Void) -> Bool {
        guard count < Self.maxIndices,
              busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        withoutActuallyEscaping(body) { escaping in
            var box = UncheckedSendableBox(escaping)
            withUnsafeMutablePointer(to: &box) { pointer in
                bodyAddress.store(UInt(bitPattern: pointer), ordering: .relaxed)
                finished.store(0, ordering: .relaxed)
                let generation = Self.generation(word.load(ordering: .relaxed)) &+ 1
                // Publishes the closure and the reset counter with the new generation.
                word.store(generation << 40 | UInt64(count) << 20, ordering: .sequentiallyConsistent)
                if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                    condition.lock(); condition.broadcast(); condition.unlock()
                }
                claimAndRun()
                waitUntilFinished(count)
            }
        }
        return true
    }

    /// Waits for indices that workers claimed: polls for `callerSpin`, then yields the core on
    /// every poll. On a loaded machine a worker can be preempted right after claiming; spinning
    /// on would burn the caller's whole time slice (the collapse the facts file describes), while
    /// a yield hands the core to the preempted worker when both share it.
    @inline(__always)
    private func waitUntilFinished(_ count: Int) {
        var polls = 0
        let clock = ContinuousClock()
        var deadline: ContinuousClock.Instant?
        while finished.load(ordering: .acquiring) < count {
            polls &+= 1
            guard polls & 63 == 0 else { continue }
            let now = clock.now
            if let d = deadline { if now > d { sched_yield() } } else { deadline = now + Self.callerSpin }
        }
    }

    /// Claims indices of the current region until none is left.
    @inline(__always)
    private func claimAndRun() {
        var current = word.load(ordering: .acquiring)
        while Self.next(current) < Self.count(current) {
            let address = bodyAddress.load(ordering: .acquiring)
            let (exchanged, now) = word.compareExchange(expected: current, desired: current &+ 1, ordering: .acquiringAndReleasing)
            if exchanged {
                let box = UnsafePointer<UncheckedSendableBox<(Int) -> Void>>(bitPattern: address)!
                box.pointee.value(Self.next(current))
                finished.add(1, ordering: .releasing)
                current = word.load(ordering: .acquiring)
            } else {
                current = now
            }
        }
    }

    private func workerLoop() {
        flushSubnormalsToZeroOnThisThread()
        var seen: UInt64 = 0
        let clock = ContinuousClock()
        while true {
            var deadline = clock.now + Self.spinWindow
            var polls = 0
            while Self.generation(word.load(ordering: .acquiring)) == seen {
                polls &+= 1
                guard polls & 255 == 0, clock.now > deadline else { continue }
                condition.lock()
                sleepers.add(1, ordering: .sequentiallyConsistent)
                while Self.generation(word.load(ordering: .sequentiallyConsistent)) == seen { condition.wait() }
                sleepers.subtract(1, ordering: .sequentiallyConsistent)
                condition.unlock()
                deadline = clock.now + Self.spinWindow
            }
            seen = Self.generation(word.load(ordering: .acquiring))
            claimAndRun()
        }
    }
}
