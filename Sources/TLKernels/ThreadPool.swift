import Dispatch
import Foundation
import Synchronization

// Threading for the kernels: fork/join over Dispatch's worker pool.
// `DispatchQueue.concurrentPerform` runs the iterations on libdispatch workers plus the
// calling thread; idle workers park in the kernel (they do not spin forever), so another
// process on the other core does not make every parallel region collapse (see the facts
// file: a spin-forever OpenMP pool went from 0.8 µs to ~3 ms per region). Fork/join costs
// 1–2.6 µs, so work below `parallelWorkThreshold` runs on the calling thread only.

/// Work (in FLOPs, or element operations for memory-bound kernels) below which a kernel
/// stays single-threaded: ~8 MFLOP is ~60-80 µs at single-thread GEMM speed.
let parallelWorkThreshold = 8_000_000

private let threadCountStorage = Atomic<Int>(0)  // 0 = not yet initialised

/// Parses a thread count (1…1024), e.g. from `TL_NUM_THREADS` or a `--threads` option.
/// `source` names where the text came from, for the error message.
public func parseThreadCount(_ text: String, source: String) throws -> Int {
    guard let n = Int(text.trimmingCharacters(in: .whitespaces)), (1...1024).contains(n) else {
        throw KernelConfigurationError.invalidThreadCount(source: source, value: text)
    }
    return n
}

/// Number of threads the kernels use. Default: `TL_NUM_THREADS` when set and valid
/// (an invalid value is reported once on stderr and ignored), else all active cores.
public var kernelThreadCount: Int {
    let v = threadCountStorage.load(ordering: .relaxed)
    if v > 0 { return v }
    var n = max(1, ProcessInfo.processInfo.activeProcessorCount)
    if let env = ProcessInfo.processInfo.environment["TL_NUM_THREADS"] {
        do { n = try parseThreadCount(env, source: "TL_NUM_THREADS") } catch {
            FileHandle.standardError.write(Data("tl: ignoring \(error)\n".utf8))
        }
    }
    threadCountStorage.store(n, ordering: .relaxed)
    return n
}

/// Sets the number of kernel threads (what `--threads` calls). Throws for n outside 1…1024.
public func setKernelThreadCount(_ n: Int) throws {
    guard (1...1024).contains(n) else {
        throw KernelConfigurationError.invalidThreadCount(source: "thread count", value: String(n))
    }
    threadCountStorage.store(n, ordering: .relaxed)
}

/// Runs body(0..<count) concurrently (count == 1: inline on the calling thread).
@inline(__always)
func parallelFor(_ count: Int, _ body: (Int) -> Void) {
    flushSubnormalsToZeroOnThisThread()
    if count <= 1 { body(0); return }
    if let pool = sharedWorkerPool, pool.run(count, body) { return }
    // The body only touches disjoint slices of caller-owned buffers (raw pointers, not
    // Sendable); the box states that to the compiler. concurrentPerform returns only after
    // every iteration finished, so the non-escaping closure does not outlive this call.
    withoutActuallyEscaping(body) { escaping in
        let box = UncheckedSendableBox(escaping)
        DispatchQueue.concurrentPerform(iterations: count) {
            flushSubnormalsToZeroOnThisThread()  // per thread state; workers are Dispatch's (FloatEnvironment.swift)
            box.value($0)
        }
    }
}

/// The spin-then-park pool (WorkerPool.swift) with one worker per core beyond the caller, or
/// nil when `TL_THREAD_POOL=dispatch` asks for `concurrentPerform` alone (for A/B benchmarks).
let sharedWorkerPool: WorkerPool? = {
    if ProcessInfo.processInfo.environment["TL_THREAD_POOL"] == "dispatch" { return nil }
    let threads = max(ProcessInfo.processInfo.activeProcessorCount, kernelThreadCount)
    return threads > 1 ? WorkerPool(workers: threads - 1) : nil
}()

struct UncheckedSendableBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// Which backend and how many threads one kernel call uses. Public entry points use
/// `.current`; tests pass explicit contexts (every backend, forced threading on small sizes)
/// without touching global state, so they can run in parallel.
struct KernelContext: Sendable {
    var backend: KernelBackend
    var threads: Int
    /// Work below this stays on the calling thread (tests set 0 to exercise the split).
    var minParallelWork: Int = parallelWorkThreshold

    static var current: KernelContext {
        KernelContext(backend: currentKernelBackend, threads: kernelThreadCount)
    }

    /// Threads to use for `work` units of work split into at most `maxChunks` pieces.
    @inline(__always)
    func threadsFor(work: Int, maxChunks: Int) -> Int {
        if threads <= 1 || work < minParallelWork { return 1 }
        return max(1, min(threads, maxChunks))
    }
}

/// Even split of `units` into `parts`: the half-open range of part `i`.
@inline(__always)
func chunkRange(_ i: Int, parts: Int, units: Int) -> Range<Int> {
    let base = units / parts, extra = units % parts
    let start = i * base + min(i, extra)
    return start..<(start + base + (i < extra ? 1 : 0))
}
