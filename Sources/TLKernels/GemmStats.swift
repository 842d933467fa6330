import Foundation
import Synchronization

// In-situ GEMM statistics (issue 14): with TL_GEMM_STATS=1 every `sgemm` call is timed on the
// calling thread's CPU clock and on the wall clock, summed per call kind (transposes, m, n, k,
// beta, threads); the table is written to stderr when the process exits, slowest kinds first,
// with GFLOPS per CPU second (meaningful for threads=1: time on a shared machine's other
// processes is not counted) and per wall second. "slabs … GFLOPS/core" divides the FLOPs by the
// CPU time every thread spent in its slab (sgemmThreaded), the per-core speed of a threaded call
// that time-slicing does not dilute; "balance" is the mean slab's CPU time over the slowest's
// (summed over calls; 100% = even split); "slowest" is the slowest slab's CPU time over the wall
// time (what is left to 100% is fork/join and waiting for a preempted thread).
// It shows what the products inside a training step achieve next to the same shapes in the
// standalone harness (Scripts/gemm-harness.sh), where operands stay hot in cache. Off by
// default: the check is one load of a lazily initialised Bool per call.

/// One kind of `sgemm` call.
struct GemmCallKind: Hashable {
    let transA: Bool, transB: Bool, m: Int, n: Int, k: Int, beta: Float, threads: Int
    /// An `sgemmBias` call (bias rows added on the tiles; beta is 0).
    var bias = false
}

/// Per-kind totals, written out by `atexit`.
final class GemmStats: Sendable {
    static let shared: GemmStats? = ProcessInfo.processInfo.environment["TL_GEMM_STATS"] == "1" ? GemmStats() : nil

    private let table = Mutex<[GemmCallKind: (calls: Int, cpu: Double, wall: Double, slabSum: Double, slabMax: Double)]>([:])

    private init() {
        atexit { GemmStats.shared?.report() }
    }

    func record(_ kind: GemmCallKind, cpu: Double, wall: Double, slabSum: Double, slabMax: Double) {
        table.withLock { t in
            let old = t[kind] ?? (0, 0, 0, 0, 0)
            t[kind] = (old.calls + 1, old.cpu + cpu, old.wall + wall, old.slabSum + slabSum, old.slabMax + slabMax)
        }
    }

    /// Runs `body` and records its calling-thread CPU time and wall time under `kind`; `body`
    /// adds its slabs' CPU time (sum over threads, slowest slab) to the two Doubles it is given.
    @inline(__always)
    func timed(_ kind: GemmCallKind, _ body: (UnsafeMutablePointer<Double>) -> Void) {
        var slabs = (0.0, 0.0)
        let w0 = DispatchTime.now().uptimeNanoseconds, c0 = threadCPUSeconds()
        withUnsafeMutablePointer(to: &slabs) { p in
            p.withMemoryRebound(to: Double.self, capacity: 2) { body($0) }
        }
        record(kind, cpu: threadCPUSeconds() - c0,
               wall: Double(DispatchTime.now().uptimeNanoseconds - w0) * 1e-9, slabSum: slabs.0, slabMax: slabs.1)
    }

    private func report() {
        let rows = table.withLock { $0 }.sorted { $0.value.cpu > $1.value.cpu }
        let cpu = rows.reduce(0) { $0 + $1.value.cpu }, wall = rows.reduce(0) { $0 + $1.value.wall }
        var text = String(format: "gemm stats: %.3f s calling-thread CPU, %.3f s wall in %d kinds\n", cpu, wall, rows.count)
        for (k, v) in rows {
            let flops = 2 * Double(k.m) * Double(k.n) * Double(k.k) * Double(v.calls)
            text += String(format: "  %@%@ m=%d n=%d k=%d %@ threads=%d: %d calls, CPU %.3f s %.1f GFLOPS, wall %.3f s %.1f GFLOPS, slabs %.1f GFLOPS/core, balance %.1f%%, slowest %.1f%%\n",
                           k.transA ? "At" : "A", k.transB ? "Bt" : "B", k.m, k.n, k.k,
                           k.bias ? "+bias" : String(format: "beta=%g", k.beta), k.threads, v.calls,
                           v.cpu, flops / max(v.cpu, 1e-12) / 1e9, v.wall, flops / max(v.wall, 1e-12) / 1e9,
                           flops / max(v.slabSum, 1e-12) / 1e9, 100 * v.slabSum / max(Double(k.threads) * v.slabMax, 1e-12),
                           100 * v.slabMax / max(v.wall, 1e-12))
        }
        FileHandle.standardError.write(text.data(using: .utf8) ?? Data())
    }
}

/// CPU seconds consumed by the calling thread.
func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}
