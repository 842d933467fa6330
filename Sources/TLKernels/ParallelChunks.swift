// A public fork/join entry point for loops that live outside TLKernels (e.g. TLTensor's pooling
// loops): the same thread count and work threshold as the kernels themselves use.

/// Splits `units` (e.g. images of a batch) into contiguous chunks, one per kernel thread, and
/// runs `body` on each chunk; runs inline on the calling thread when `work` (element
/// operations) is below the kernels' parallel threshold or only one thread is configured.
/// `body` must only write disjoint, chunk-owned parts of its buffers. Chunks depend only on
/// `units` and the thread count, so results are deterministic for a thread count.
public func parallelChunks(units: Int, work: Int, _ body: (Range<Int>) -> Void) {
    guard units > 0 else { return }
    let threads = KernelContext.current.threadsFor(work: work, maxChunks: units)
    parallelFor(threads) { t in
        let r = chunkRange(t, parts: threads, units: units)
        if !r.isEmpty { body(r) }
    }
}
