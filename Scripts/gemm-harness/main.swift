import Foundation
// Standalone harness for the GEMM driver of this CPU's backend (Scripts/gemm-harness.sh
// compiles it together with the backend's sources into one module, so blocking constants can be
// tried in seconds instead of a package build). One thread, thread CPU clock, median of 5 samples.
//   h peak            register-only FMA loop: the single-core FMA peak
//   h [substr,...]    GFLOPS of the shapes whose name contains one of the substrings
func cpuNow() -> Double { var ts = timespec(); clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9 }
func fill(_ n: Int, _ seed: UInt32) -> UnsafeMutablePointer<Float> {
    let p = UnsafeMutablePointer<Float>.allocate(capacity: n); var s = seed &* 2654435761 | 1
    for i in 0..<n { s ^= s << 13; s ^= s >> 17; s ^= s << 5; p[i] = Float(s % 2000) / 1000 - 1 }
    return p
}
@inline(never) func fmaPeak(_ iters: Int) -> Float {
    var a0 = VF(repeating: 1), a1 = VF(repeating: 1.1), a2 = VF(repeating: 1.2), a3 = VF(repeating: 1.3)
    var a4 = VF(repeating: 1), a5 = VF(repeating: 1.1), a6 = VF(repeating: 1.2), a7 = VF(repeating: 1.3)
    var a8 = VF(repeating: 1), a9 = VF(repeating: 1.1), a10 = VF(repeating: 1.2), a11 = VF(repeating: 1.3)
    let x = VF(repeating: 0.999999), y = VF(repeating: 1e-7)
    for _ in 0..<iters {
        a0 = madd(a0, x, y); a1 = madd(a1, x, y); a2 = madd(a2, x, y); a3 = madd(a3, x, y)
        a4 = madd(a4, x, y); a5 = madd(a5, x, y); a6 = madd(a6, x, y); a7 = madd(a7, x, y)
        a8 = madd(a8, x, y); a9 = madd(a9, x, y); a10 = madd(a10, x, y); a11 = madd(a11, x, y)
    }
    let s = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11
    return s.sum()
}
let args = CommandLine.arguments
if args.count > 1 && args[1] == "peak" {
    let it = 50_000_000
    var best = 0.0
    for _ in 0..<5 { let t0 = cpuNow(); let r = fmaPeak(it); let dt = cpuNow() - t0; if r == 42 { print(r) }
        best = max(best, Double(it) * 12 * Double(2 * VF.scalarCount) / dt / 1e9) }
    print(String(format: "fma peak %.1f GFLOPS (12 independent %d-lane FMA chains)", best, VF.scalarCount))
    exit(0)
}
if args.count > 1 && args[1] == "micro" {
    // Micro-kernels alone on L1-resident panels (kc = 256, C tile beta = 1): their ceiling.
    let kc = 256, a = fill(gemmMR * kc, 1), b = fill(kc * gemmNR, 2), c = fill(gemmMR * gemmNR, 3)
    let kernels: [(String, () -> Void)] = [
        ("interleaved A", { microKernel(kc, a, b, c, gemmNR, 1) }),
        ("row-panel A", { microKernelRows(kc, a, kc, b, c, gemmNR, 1) }),
    ]
    for (name, f) in kernels {
        var best = 0.0
        for _ in 0..<5 { let n = 200_000; let t0 = cpuNow(); for _ in 0..<n { f() }; let dt = cpuNow() - t0
            best = max(best, Double(n) * 2 * Double(gemmMR * gemmNR * kc) / dt / 1e9) }
        print(String(format: "micro-kernel %@ %.1f GFLOPS", name, best))
    }
    exit(0)
}
if args.count > 1 && args[1] == "inner" {
    // The packed driver's inner loops alone (packing excluded), kc = 256: rows outer (one A
    // micro-panel in L1 against NC/NR B micro-panels from L2) and Goto order (one B micro-panel
    // against MC/MR A micro-panels), C [mc, nc] with beta = 1.
    let kc = 256
    for (mc, nc) in [(144, 1024), (144, 512), (288, 512), (144, 256), (480, 256)] {
        let a = fill(mc * kc, 1), b = fill(kc * nc, 2), c = fill(mc * nc, 3)
        for order in ["rows-outer", "goto"] {
            var best = 0.0
            for _ in 0..<5 {
                let reps = max(1, 400_000_000 / (mc * nc * kc)); let t0 = cpuNow()
                for _ in 0..<reps {
                    if order == "rows-outer" {
                        for ir in stride(from: 0, to: mc, by: gemmMR) { for jr in stride(from: 0, to: nc, by: gemmNR) {
                            microKernelRows(kc, a + ir * kc, kc, b + jr * kc, c + ir * nc + jr, nc, 1) } }
                    } else {
                        for jr in stride(from: 0, to: nc, by: gemmNR) { for ir in stride(from: 0, to: mc, by: gemmMR) {
                            microKernelRows(kc, a + ir * kc, kc, b + jr * kc, c + ir * nc + jr, nc, 1) } }
                    }
                }
                let dt = cpuNow() - t0
                best = max(best, Double(reps) * 2 * Double(mc * nc * kc) / dt / 1e9)
            }
            print(String(format: "inner mc %d nc %d %@ %.1f GFLOPS", mc, nc, order, best))
        }
    }
    exit(0)
}
// shapes: name m k n variant
var shapes: [(String, Int, Int, Int, String)] = []
for s in [256, 512, 1024, 2048] { shapes.append(("gemm-\(s)", s, s, s, "AB")) }
for (m, k, n) in [(64, 784, 256), (64, 3136, 128), (2048, 128, 384), (2048, 128, 512), (2048, 512, 128), (2048, 384, 1536), (2048, 1536, 384)] {
    for v in ["AB", "ABt", "AtB"] { shapes.append(("gemm-\(m)x\(k)x\(n)-\(v)", m, k, n, v)) }
}
// In-situ linear-layer calls (Tensor+FusedLinear.swift), x [rows, in], W [out, in]:
// lin-IxO-fwd: C = x·Wᵀ + C (beta 1, C already holding the bias); -dx: g·W (beta 0); -dw: gᵀ·x
// (K = rows); -pre: bias rows copied into C, then fwd (the linear forward as it is now);
// -bias: gemmBias, the same result with the bias added on the tiles (no pass over C).
for (i, o) in [(128, 384), (128, 128), (128, 512), (512, 128), (384, 1152), (384, 384), (384, 1536), (1536, 384)] {
    for v in ["fwd", "dx", "dw", "pre", "bias"] { shapes.append(("lin-\(i)x\(o)-\(v)", 2048, i, o, v)) }
}
let filters = args.count > 1 ? args[1].split(separator: ",").map(String.init) : []
for (name, m, k, n, v) in shapes where filters.isEmpty || filters.contains(where: { name.contains($0) }) {
    let a = fill(m * k, 1), b = fill(k * n, 2), dc = fill(m * n, 3)
    let c = fill(max(m * n, max(m * k, k * n)), 4)
    let f: () -> Void
    switch v {
    case "AB": f = { gemm(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: n, beta: 0, c: c, ldc: n) }
    case "ABt": f = { gemm(transA: false, transB: true, m: m, n: k, k: n, alpha: 1, a: dc, lda: n, b: b, ldb: n, beta: 0, c: c, ldc: k) }
    case "fwd": f = { gemm(transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: k, beta: 1, c: c, ldc: n) }
    case "pre": let bias = fill(n, 5); f = {
        for r in 0..<m { (c + r * n).update(from: bias, count: n) }
        gemm(transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: k, beta: 1, c: c, ldc: n) }
    case "bias": let bias = fill(n, 5); f = {
        gemmBias(transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: k, bias: bias, c: c, ldc: n) }
    case "dx": f = { gemm(transA: false, transB: false, m: m, n: k, k: n, alpha: 1, a: dc, lda: n, b: b, ldb: k, beta: 0, c: c, ldc: k) }
    case "dw": f = { gemm(transA: true, transB: false, m: n, n: k, k: m, alpha: 1, a: dc, lda: n, b: a, ldb: k, beta: 0, c: c, ldc: k) }
    default: f = { gemm(transA: true, transB: false, m: k, n: n, k: m, alpha: 1, a: a, lda: k, b: dc, ldb: n, beta: 0, c: c, ldc: n) }
    }
    f()
    var inner = 1
    while true { let t0 = cpuNow(); for _ in 0..<inner { f() }; if cpuNow() - t0 > 0.03 { break }; inner *= 2 }
    var samples: [Double] = []
    for _ in 0..<5 { let t0 = cpuNow(); for _ in 0..<inner { f() }; samples.append((cpuNow() - t0) / Double(inner)) }
    samples.sort()
    print(String(format: "%@ %.1f", name, 2.0 * Double(m * n * k) / samples[2] / 1e9))
}
