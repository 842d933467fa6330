import Dispatch
import TLKernels

// Same-run memory-bandwidth reference for the memory-bound kernels (`tl-bench --efficientnet`):
// STREAM-style copy (c = a) and triad (a = b + s·c) over arrays of 128 MB each, split across
// the kernel threads. Bytes counted as STREAM does: each array element read or written once
// (copy 256 MB, triad 384 MB per call), write-allocate traffic not counted; the depthwise
// rows count their bytes the same way, so their ratio to these rows is a fraction of the
// bandwidth this machine gives right now.

/// Elements per array (128 MB of floats).
let streamCount = 32 << 20

/// Splits 0..<count over the kernel threads and runs `body` on each part.
func streamParallel(_ count: Int, _ body: @Sendable (Range<Int>) -> Void) {
    let parts = kernelThreadCount
    DispatchQueue.concurrentPerform(iterations: parts) { t in
        body((count * t / parts)..<(count * (t + 1) / parts))
    }
}

/// Three arrays, first touched by the threads that use them.
func streamArrays() -> (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) {
    let a = UnsafeMutablePointer<Float>.allocate(capacity: streamCount)
    let b = UnsafeMutablePointer<Float>.allocate(capacity: streamCount)
    let c = UnsafeMutablePointer<Float>.allocate(capacity: streamCount)
    nonisolated(unsafe) let (pa, pb, pc) = (a, b, c)
    streamParallel(streamCount) { r in
        for i in r { pa[i] = 1; pb[i] = 2; pc[i] = 0.5 }
    }
    return (a, b, c)
}

func bandwidthBenches() -> [Bench] {
    let bytes = Double(streamCount * 4)
    return [
        Bench(name: "stream copy 2×128 MB", group: "bandwidth", unit: "GB/s", work: 2 * bytes) {
            nonisolated(unsafe) let (a, _, c) = streamArrays()
            return { streamParallel(streamCount) { r in for i in r { c[i] = a[i] } } }
        },
        Bench(name: "stream triad 3×128 MB", group: "bandwidth", unit: "GB/s", work: 3 * bytes) {
            nonisolated(unsafe) let (a, b, c) = streamArrays()
            return { streamParallel(streamCount) { r in for i in r { a[i] = b[i] + 3 * c[i] } } }
        },
    ]
}
