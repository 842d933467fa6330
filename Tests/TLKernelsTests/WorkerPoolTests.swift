import Foundation
import Synchronization
import Testing
@testable import TLKernels

/// The spin-then-park pool: every index of every region runs exactly once, on the pool's own
/// path, when regions follow each other back to back, after the workers parked, when a region
/// is started from inside another (nested: falls back) and when several threads start regions
/// at once (busy: falls back).
@Suite(.serialized) struct WorkerPoolTests {
    /// Runs `regions` regions of `count` indices each through `pool`, counting every index.
    func runRegions(_ pool: WorkerPool, regions: Int, count: Int, pause: Duration = .zero) -> (ranOnPool: Int, hits: [Int]) {
        let hits = Mutex([Int](repeating: 0, count: count))
        var ranOnPool = 0
        for _ in 0..<regions {
            let ran = pool.run(count) { i in hits.withLock { $0[i] += 1 } }
            if ran { ranOnPool += 1 } else { hits.withLock { for i in 0..<count { $0[i] += 1 } } }
            if pause > .zero { Thread.sleep(forTimeInterval: Double(pause.components.attoseconds) / 1e18) }
        }
        return (ranOnPool, hits.withLock { $0 })
    }

    @Test(arguments: [1, 2, 3, 7, 64])
    func everyIndexRunsOnceBackToBack(count: Int) {
        let pool = WorkerPool(workers: 2)
        let (ran, hits) = runRegions(pool, regions: 500, count: count)
        #expect(ran == 500)
        #expect(hits == [Int](repeating: 500, count: count))
    }

    @Test func workersWakeAfterParking() {
        let pool = WorkerPool(workers: 1)
        // Pauses longer than the spin window: the worker parks between regions.
        let (ran, hits) = runRegions(pool, regions: 20, count: 4, pause: .milliseconds(2))
        #expect(ran == 20 && hits == [20, 20, 20, 20])
        // Both threads take part once awake: a region of 2 long indices has the worker run one.
        let threadsSeen = Mutex<Set<String>>([])
        _ = pool.run(2) { _ in
            Thread.sleep(forTimeInterval: 0.02)
            let name = Thread.isMainThread ? "main" : "\(Unmanaged.passUnretained(Thread.current).toOpaque())"
            threadsSeen.withLock { _ = $0.insert(name) }
        }
        #expect(threadsSeen.withLock { $0.count } == 2)
    }

    @Test func nestedAndConcurrentRegionsFallBack() {
        let pool = WorkerPool(workers: 1)
        let inner = Atomic<Int>(0), fallbacks = Atomic<Int>(0)
        let outer = pool.run(2) { _ in
            if !pool.run(3, { _ in inner.add(1, ordering: .relaxed) }) {
                fallbacks.add(1, ordering: .relaxed)
            }
        }
        #expect(outer)
        #expect(fallbacks.load(ordering: .relaxed) == 2 && inner.load(ordering: .relaxed) == 0)
        // Four threads at once: each region runs exactly once, on the pool or not.
        let total = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for _ in 0..<500 {
                if !pool.run(5, { _ in total.add(1, ordering: .relaxed) }) {
                    for _ in 0..<5 { total.add(1, ordering: .relaxed) }
                }
            }
        }
        #expect(total.load(ordering: .relaxed) == 4 * 500 * 5)
    }

    @Test func parallelForUsesThePoolAndStaysExact() {
        // The shared pool behind parallelFor: a sum split across threads many times over.
        let values = (0..<10_000).map { Float($0 % 7) }
        let expected = values.reduce(0, +)
        for _ in 0..<200 {
            var partial = [Float](repeating: 0, count: 3)
            partial.withUnsafeMutableBufferPointer { p in
                values.withUnsafeBufferPointer { v in
                    parallelFor(3) { t in
                        let r = chunkRange(t, parts: 3, units: v.count)
                        var s: Float = 0
                        for i in r { s += v[i] }
                        p[t] = s
                    }
                }
            }
            #expect(partial.reduce(0, +) == expected)
        }
    }
}
