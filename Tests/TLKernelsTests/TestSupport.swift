@testable import TLKernels

/// Deterministic values in [-1, 1) (xorshift; tests need no statistical quality).
func randomArray(_ count: Int, seed: UInt64) -> [Float] {
    var s = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    return (0..<count).map { _ in
        s ^= s << 13; s ^= s >> 7; s ^= s << 17
        return Float(Int(s % 2_000_001) - 1_000_000) / 1_000_000
    }
}

/// Every backend this CPU can run (the portable one always).
var testBackends: [KernelBackend] {
    KernelBackend.allCases.filter { b in
        switch (b, supportedKernelBackend) {
        case (.portable, _): return true
        case (.avx2, .avx2), (.avx2, .avx512): return true
        case (.avx512, .avx512): return true
        default: return false
        }
    }
}

/// Contexts to test: each backend single-threaded, and 2 and 3 threads with forced splitting.
var testContexts: [KernelContext] {
    testBackends.flatMap { b in
        [KernelContext(backend: b, threads: 1),
         KernelContext(backend: b, threads: 2, minParallelWork: 0),
         KernelContext(backend: b, threads: 3, minParallelWork: 0)]
    }
}

/// Float32 rounding unit (2^-24).
let unitRoundoff: Float = 5.960_464_5e-8

/// Largest |x - y| / (scale[i]) over the arrays, for element-wise error bounds.
func maxScaledError(_ x: [Float], _ y: [Float], scale: [Float]) -> Float {
    var worst: Float = 0
    for i in x.indices { worst = max(worst, abs(x[i] - y[i]) / max(scale[i], 1e-30)) }
    return worst
}

/// Owns the raw buffers a test hands to kernels (copies of arrays), freed by `free()`.
/// (Pointers escaped from `Array.withUnsafeBufferPointer` would be invalid: the optimiser
/// may end an array's lifetime at its last use, before the kernel runs.)
final class BufferPool {
    private var blocks: [UnsafeMutableRawPointer] = []

    func copy(_ a: [Float]) -> UnsafeMutableBufferPointer<Float> {
        let p = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(a.count, 1))
        _ = p.initialize(from: a)
        blocks.append(UnsafeMutableRawPointer(p.baseAddress!))
        return UnsafeMutableBufferPointer(start: p.baseAddress, count: a.count)
    }

    func ro(_ a: [Float]) -> UnsafeBufferPointer<Float> { UnsafeBufferPointer(copy(a)) }

    func filled(_ count: Int, _ value: Float = .nan) -> UnsafeMutableBufferPointer<Float> {
        copy([Float](repeating: value, count: count))
    }

    func int32(_ count: Int) -> UnsafeMutableBufferPointer<Int32> {
        let p = UnsafeMutableBufferPointer<Int32>.allocate(capacity: max(count, 1))
        p.initialize(repeating: -7)
        blocks.append(UnsafeMutableRawPointer(p.baseAddress!))
        return UnsafeMutableBufferPointer(start: p.baseAddress, count: count)
    }

    func free() {
        for b in blocks { b.deallocate() }
        blocks = []
    }
}
