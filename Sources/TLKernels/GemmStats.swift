import Foundation
import Synchronization

// In-situ GEMM statistics (issue 14): with TL_GEMM_STATS=1 every `sgemm` call is timed on the
// calling thread's wall clock and summed per call kind (transposes, m, n, k, beta, threads);
// the table is written to stderr when the process exits, slowest kinds first, with GFLOPS.
// It shows what the products inside a training step achieve next to the same shapes in the
// standalone harness (Scripts/gemm-harness.sh), where operands stay hot in cache. Off by
// default: the check is one load of a lazily initialised Bool per call.

/// One kind of `sgemm` call.
struct GemmCallKind: Hashable {
    let transA: Bool, transB: Bool, m: Int, n: Int, k: Int, beta: Float, threads: Int
}

/// Per-kind totals, written out by `atexit`.
final class GemmStats: Sendable {
    static let shared: GemmStats? = ProcessInfo.processInfo.environment["TL_GEMM_STATS"] == "1" ? GemmStats() : nil

    private let table = Mutex<[GemmCallKind: (calls: Int, seconds: Double)]>([:])

    private init() {
        atexit { GemmStats.shared?.report() }
    }

    func record(_ kind: GemmCallKind, seconds: Double) {
        table.withLock { t in
            let old = t[kind] ?? (0, 0)
            t[kind] = (old.calls + 1, old.seconds + seconds)
        }
    }

    /// Runs `body` and records its wall time under `kind`.
    @inline(__always)
    func timed(_ kind: GemmCallKind, _ body: () -> Void) {
        let t0 = DispatchTime.now().uptimeNanoseconds
        body()
        record(kind, seconds: Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9)
    }

    private func report() {
        let rows = table.withLock { $0 }.sorted { $0.value.seconds > $1.value.seconds }
        let total = rows.reduce(0) { $0 + $1.value.seconds }
        var text = String(format: "gemm stats: %.3f s in %d kinds\n", total, rows.count)
        for (k, v) in rows {
            let flops = 2 * Double(k.m) * Double(k.n) * Double(k.k) * Double(v.calls)
            text += String(format: "  %@%@ m=%d n=%d k=%d beta=%g threads=%d: %d calls %.3f s %.1f GFLOPS\n",
                           k.transA ? "At" : "A", k.transB ? "Bt" : "B", k.m, k.n, k.k, k.beta, k.threads,
                           v.calls, v.seconds, flops / max(v.seconds, 1e-12) / 1e9)
        }
        FileHandle.standardError.write(text.data(using: .utf8) ?? Data())
    }
}
