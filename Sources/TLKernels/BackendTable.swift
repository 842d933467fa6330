import TLKernelsAVX2
import TLKernelsAVX512
import TLKernelsPortable

/// The row/element kernels of one backend module, as function values, so each public entry
/// point dispatches with one table lookup instead of a three-way switch per kernel.
struct BackendKernels: Sendable {
    let softmaxRows: @Sendable (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Int) -> Void
    let softmaxBackwardRows: @Sendable (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Int) -> Void
    let layerNormRows: @Sendable (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>,
                                  UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Int, Int, Float) -> Void
    let layerNormBackwardRows: @Sendable (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
                                          UnsafePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>,
                                          UnsafeMutablePointer<Float>, Int, Int) -> Void
    let gelu: @Sendable (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void
    let geluBackward: @Sendable (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void
}

private let avx512Kernels = BackendKernels(
    softmaxRows: { TLKernelsAVX512.softmaxRows(x: $0, y: $1, rows: $2, cols: $3) },
    softmaxBackwardRows: { TLKernelsAVX512.softmaxBackwardRows(y: $0, dy: $1, dx: $2, rows: $3, cols: $4) },
    layerNormRows: { TLKernelsAVX512.layerNormRows(x: $0, gamma: $1, beta: $2, y: $3, mean: $4, rstd: $5, rows: $6, cols: $7, eps: $8) },
    layerNormBackwardRows: { TLKernelsAVX512.layerNormBackwardRows(x: $0, dy: $1, gamma: $2, mean: $3, rstd: $4, dx: $5,
                                                                   dgamma: $6, dbeta: $7, rows: $8, cols: $9) },
    gelu: { TLKernelsAVX512.gelu(x: $0, y: $1, count: $2) },
    geluBackward: { TLKernelsAVX512.geluBackward(x: $0, dy: $1, dx: $2, count: $3) })

private let avx2Kernels = BackendKernels(
    softmaxRows: { TLKernelsAVX2.softmaxRows(x: $0, y: $1, rows: $2, cols: $3) },
    softmaxBackwardRows: { TLKernelsAVX2.softmaxBackwardRows(y: $0, dy: $1, dx: $2, rows: $3, cols: $4) },
    layerNormRows: { TLKernelsAVX2.layerNormRows(x: $0, gamma: $1, beta: $2, y: $3, mean: $4, rstd: $5, rows: $6, cols: $7, eps: $8) },
    layerNormBackwardRows: { TLKernelsAVX2.layerNormBackwardRows(x: $0, dy: $1, gamma: $2, mean: $3, rstd: $4, dx: $5,
                                                                 dgamma: $6, dbeta: $7, rows: $8, cols: $9) },
    gelu: { TLKernelsAVX2.gelu(x: $0, y: $1, count: $2) },
    geluBackward: { TLKernelsAVX2.geluBackward(x: $0, dy: $1, dx: $2, count: $3) })

private let portableKernels = BackendKernels(
    softmaxRows: { TLKernelsPortable.softmaxRows(x: $0, y: $1, rows: $2, cols: $3) },
    softmaxBackwardRows: { TLKernelsPortable.softmaxBackwardRows(y: $0, dy: $1, dx: $2, rows: $3, cols: $4) },
    layerNormRows: { TLKernelsPortable.layerNormRows(x: $0, gamma: $1, beta: $2, y: $3, mean: $4, rstd: $5, rows: $6, cols: $7, eps: $8) },
    layerNormBackwardRows: { TLKernelsPortable.layerNormBackwardRows(x: $0, dy: $1, gamma: $2, mean: $3, rstd: $4, dx: $5,
                                                                     dgamma: $6, dbeta: $7, rows: $8, cols: $9) },
    gelu: { TLKernelsPortable.gelu(x: $0, y: $1, count: $2) },
    geluBackward: { TLKernelsPortable.geluBackward(x: $0, dy: $1, dx: $2, count: $3) })

extension KernelBackend {
    /// Kernel table of this backend (call only for a backend the CPU supports).
    var kernels: BackendKernels {
        switch self {
        case .avx512: avx512Kernels
        case .avx2: avx2Kernels
        case .portable: portableKernels
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
