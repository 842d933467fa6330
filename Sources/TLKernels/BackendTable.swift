import TLKernelTable
import TLKernelsAVX2
import TLKernelsAVX512
import TLKernelsPortable

extension KernelBackend {
    /// Kernel table of this backend (call only for a backend the CPU supports). This is the
    /// one place a backend is chosen; every kernel entry point goes through its table.
    var kernels: KernelTable {
        switch self {
        case .avx512: TLKernelsAVX512.kernelTable
        case .avx2: TLKernelsAVX2.kernelTable
        case .portable: TLKernelsPortable.kernelTable
        }
    }
}

/// Runs `body(rowRange)` over `rows` rows, split across threads when rows·cols·costPerElement
/// is worth it (memory-bound kernels: ~100 µs of work before a second thread pays).
@inline(__always)
func parallelRows(_ ctx: KernelContext, rows: Int, cols: Int, costPerElement: Int, _ body: (Range<Int>) -> Void) {
    let threads = ctx.threadsFor(work: rows * cols * costPerElement, maxChunks: rows)
    parallelFor(threads) { t in
        let r = chunkRange(t, parts: threads, units: rows)
        if !r.isEmpty { body(r) }
    }
}
