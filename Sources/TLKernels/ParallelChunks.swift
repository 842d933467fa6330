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

/// Weight of one element of a streaming (memory-bound) pass in the `work` units of
/// `parallelWorkThreshold` (FLOPs at GEMM speed): an element read or written from L3/DRAM
/// costs about as long as ~64 FLOPs of a GEMM, so passes of ≳ 125k elements (≈ 100 µs; a
/// ResNet activation is 0.2–0.8M) split across threads. The worker pool forks in a few µs, and
/// each core brings its own L1/L2 and load bandwidth to a pass that one core cannot saturate.
public let memoryBoundWeight = 64

/// Elements per chunk boundary of `parallelElements`: whole 64-byte lines and SIMD16 vectors,
/// so no two threads write one cache line and every chunk runs the same vector loop.
private let elementChunkAlignment = 16

/// Runs `body` over `0..<count` split into contiguous ranges, one per kernel thread, for an
/// elementwise pass that reads and writes `streams` arrays of `count` elements (e.g. 3 for
/// out = a + b); inline on the calling thread below the memory-bound threshold. Chunk bounds
/// are multiples of 16 elements. `body` must write only its own range; elementwise results do
/// not depend on the split at all.
public func parallelElements(count: Int, streams: Int = 2, _ body: (Range<Int>) -> Void) {
    parallelElements(.current, count: count, streams: streams, body)
}

func parallelElements(_ ctx: KernelContext, count: Int, streams: Int, _ body: (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let blocks = (count + elementChunkAlignment - 1) / elementChunkAlignment
    let threads = ctx.threadsFor(work: count * streams * memoryBoundWeight / 2, maxChunks: blocks)
    if threads <= 1 { body(0..<count); return }
    parallelFor(threads) { t in
        let r = chunkRange(t, parts: threads, units: blocks)
        let lower = r.lowerBound * elementChunkAlignment, upper = Swift.min(count, r.upperBound * elementChunkAlignment)
        if lower < upper { body(lower..<upper) }
    }
}
