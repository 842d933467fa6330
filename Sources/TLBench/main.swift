// tl-bench: throughput of the TLKernels hot paths (GFLOPS, or GB/s for memory-bound ones).
//
//   tl-bench [--json] [--gemm-only] [--shapes a,b,...] [--reps N] [--threads N] [--list]
//            [--cold-sets N]              GEMMs rotate N operand sets (out of cache, as in a step)
//   tl-bench --encoder [--threads 2]     transformer encoder (MiniLM-L6 shape) inference,
//                                        fine-tuning step and per-op breakdown of one layer
//   tl-bench --efficientnet [--threads 2] EfficientNet-Lite0 224×224 batch-32 inference (images/s),
//                                        STREAM copy/triad, depthwise kernels on its shapes (GB/s and
//                                        fraction of STREAM), peak memory
//   tl-bench --train WORKLOAD [--threads N] [--seconds S] [--json]
//                                        one training step (forward, loss, backward, Adam) of a
//                                        workload, steady state: samples/s, CPU/step, peak RSS
//                                        (TrainBenches.swift; PyTorch twins in Scripts/torch_twins.py)
//   tl-bench --jpeg DIR                  JPEG decode + resize to 224x224 on one thread, and the
//                                        decoder against PIL's pixels (JPEGBenches.swift)
//
// Each benchmark is timed as `reps` samples (median reported); one sample repeats the kernel
// until it lasts ≥ 20 ms, so small shapes are not dominated by timer resolution.
import Dispatch
import Foundation
import TLKernels
import TLTensor

struct Options {
    var json = false
    var gemmOnly = false
    var shapes: [String]? = nil
    var reps = 5
    var threads: Int? = nil
    var list = false
    /// Run the encoder benchmarks (EncoderBenches.swift) instead of the kernel ones.
    var encoder = false
    /// Run the EfficientNet-Lite0 benchmarks (EfficientNetBenches.swift).
    var efficientnet = false
    /// Time with the calling thread's CPU clock instead of the wall clock (with --threads 1:
    /// immune to time-slicing by other processes on a busy machine; for A/B comparisons).
    var cpuTime = false
    /// A folder of JPEGs for the decode + resize benchmark.
    var jpegDir: String? = nil
    /// A training-step workload (TrainBenches.swift) and how long to time it.
    var train: String? = nil
    var seconds = 2.0
    /// GEMM benchmarks rotate this many independent operand sets (A, B, C), one per call, so
    /// a call finds its operands out of cache as a training step does (1: the same set, hot).
    var coldSets = 1
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("tl-bench: \(message)\n".utf8))
    exit(2)
}

func parseOptions(_ args: [String]) -> Options {
    var o = Options()
    var i = 0
    func value(_ flag: String) -> String {
        i += 1
        guard i < args.count else { fail("\(flag) needs a value") }
        return args[i]
    }
    while i < args.count {
        switch args[i] {
        case "--json": o.json = true
        case "--gemm-only": o.gemmOnly = true
        case "--encoder": o.encoder = true
        case "--efficientnet": o.efficientnet = true
        case "--list": o.list = true
        case "--cpu-time": o.cpuTime = true
        case "--jpeg": o.jpegDir = value("--jpeg")
        case "--train": o.train = value("--train")
        case "--seconds":
            let v = value("--seconds")
            guard let s = Double(v), s > 0, s <= 600 else { fail("--seconds: expected a number of seconds in (0, 600], got '\(v)'") }
            o.seconds = s
        case "--shapes": o.shapes = value("--shapes").split(separator: ",").map(String.init)
        case "--cold-sets":
            let v = value("--cold-sets")
            guard let n = Int(v), (1...64).contains(n) else { fail("--cold-sets: expected 1...64, got '\(v)'") }
            o.coldSets = n
        case "--reps":
            let v = value("--reps")
            guard let n = Int(v), (1...1000).contains(n) else { fail("--reps: expected 1...1000, got '\(v)'") }
            o.reps = n
        case "--threads":
            do { o.threads = try parseThreadCount(value("--threads"), source: "--threads") } catch { fail("\(error)") }
        case "-h", "--help":
            print("usage: tl-bench [--json] [--gemm-only] [--shapes name,...] [--reps N] [--threads N] [--cpu-time] [--cold-sets N] [--list] [--encoder] [--efficientnet] [--train WORKLOAD [--seconds S]]")
            exit(0)
        default: fail("unknown option '\(args[i])' (try --help)")
        }
        i += 1
    }
    return o
}

/// One benchmark: `work` is FLOPs (unit GFLOPS) or bytes moved (unit GB/s) per call.
struct Bench {
    let name: String
    let group: String
    let unit: String
    let work: Double
    let setup: () -> (() -> Void)
}

nonisolated(unsafe) var useThreadCPUClock = false

func now() -> UInt64 {
    if useThreadCPUClock {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
    return DispatchTime.now().uptimeNanoseconds
}

/// Median seconds per call over `reps` samples of ≥ 20 ms each.
func measure(_ body: () -> Void, reps: Int) -> Double {
    body()  // warm-up (page faults, first-touch)
    var inner = 1
    while true {
        let t0 = now()
        for _ in 0..<inner { body() }
        let dt = Double(now() - t0) * 1e-9
        if dt >= 0.02 || inner >= 1 << 20 { break }
        inner = max(inner * 2, Int(Double(inner) * 0.025 / max(dt, 1e-9)))
    }
    var samples: [Double] = []
    for _ in 0..<reps {
        let t0 = now()
        for _ in 0..<inner { body() }
        samples.append(Double(now() - t0) * 1e-9 / Double(inner))
    }
    samples.sort()
    return samples[samples.count / 2]
}

let options = parseOptions(Array(CommandLine.arguments.dropFirst()))
// As `tl` does (TLCLI.runCommandLine): reuse freed tensor buffers instead of re-faulting pages.
tuneAllocatorForLargeTemporaries()
if let t = options.threads { try! setKernelThreadCount(t) }
if options.cpuTime {
    guard kernelThreadCount == 1 else { fail("--cpu-time needs --threads 1 (it reads the calling thread's CPU clock)") }
    useThreadCPUClock = true
}
if let workload = options.train {
    do { try runTrainBench(workload, seconds: options.seconds, json: options.json) } catch { fail("--train \(workload): \(error)") }
    exit(0)
}
if let dir = options.jpegDir { runJPEGBench(dir: dir, reps: options.reps, json: options.json); exit(0) }
var benches = options.efficientnet ? efficientNetBenches() : options.encoder ? encoderBenches() : gemmBenches(coldSets: options.coldSets)
if !options.gemmOnly && !options.encoder && !options.efficientnet { benches += convBenches() + attentionBenches() + rowBenches() }
if options.list { for b in benches { print(b.name) }; exit(0) }
if let wanted = options.shapes {
    for w in wanted where !benches.contains(where: { $0.name == w }) { fail("--shapes: unknown benchmark '\(w)' (see --list)") }
    benches = benches.filter { wanted.contains($0.name) }
}

var results: [(Bench, Double, Double)] = []
/// STREAM copy and triad GB/s measured earlier in this run (BandwidthBenches.swift).
var bandwidthReference: [String: Double] = [:]
if !options.json {
    print("tl-bench: backend \(kernelBackendName), threads \(kernelThreadCount), reps \(options.reps)")
}
for b in benches {
    let body = b.setup()
    let sec = measure(body, reps: options.reps)
    let rate = b.work / sec / 1e9
    results.append((b, sec, rate))
    if b.group == "bandwidth" { bandwidthReference[b.name.hasPrefix("stream copy") ? "copy" : "triad"] = rate }
    if !options.json {
        let pad = b.name.padding(toLength: 38, withPad: " ", startingAt: 0)
        var line = "\(pad) \(String(format: "%9.3f", sec * 1e3)) ms  \(String(format: "%8.1f", rate)) \(b.unit)"
        // Memory-bound kernels: their rate as a fraction of the same run's STREAM rows.
        if b.group == "depthwise", let triad = bandwidthReference["triad"], let copy = bandwidthReference["copy"] {
            line += String(format: "  %.2f of triad, %.2f of copy", rate / triad, rate / copy)
        }
        print(line)
    }
    if b.group.hasPrefix("efficientnet") {
        // Peak resident memory of the process after the network (or a fine-tuning step) runs,
        // before the kernel benches allocate.
        let peak = Double(peakResidentBytes()) / Double(1 << 30)
        results.append((Bench(name: "peak resident memory", group: "memory", unit: "GiB", work: 0) { {} }, 0, peak))
        if !options.json { print("peak resident memory so far: \(String(format: "%.2f", peak)) GiB") }
    }
}
if options.json {
    var items: [String] = []
    for (b, sec, rate) in results {
        items.append("{\"name\":\"\(b.name)\",\"group\":\"\(b.group)\",\"unit\":\"\(b.unit)\",\"seconds\":\(sec),\"rate\":\(rate)}")
    }
    print("{\"backend\":\"\(kernelBackendName)\",\"threads\":\(kernelThreadCount),\"reps\":\(options.reps),\"results\":[\n" + items.joined(separator: ",\n") + "\n]}")
}
