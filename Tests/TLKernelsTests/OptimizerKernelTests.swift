import Testing
@testable import TLKernels

/// The Adam update kernel against its scalar twin: bit-identical on every tail length, with
/// and without weight decay, on one thread and split across threads.
@Suite struct OptimizerKernelTests {
    func values(_ n: Int, seed: UInt32, low: Float, high: Float) -> [Float] {
        var state = seed &* 2_654_435_761 | 1
        return (0..<n).map { _ in
            state ^= state << 13; state ^= state >> 17; state ^= state << 5
            return low + (high - low) * Float(state % 100_000) / 100_000
        }
    }

    static let cases: [(n: Int, l2: Float, decoupled: Float)] = [
        (0, 0, 1), (1, 0, 1), (15, 0, 1), (16, 0, 1), (17, 0.01, 1), (100, 0, 0.999), (1000, 0.05, 1), (70_001, 0, 0.9999),
    ]

    @Test(arguments: cases.indices)
    func adamMatchesScalarTwin(caseIndex: Int) {
        let (n, l2, decoupled) = Self.cases[caseIndex]
        let g = values(n, seed: 3, low: -2, high: 2)
        let s = AdamStepScalars(keep1Weight: 0.1, beta2: 0.999, keep2Weight: 0.001, bc2Sqrt: 0.0447, epsilon: 1e-8,
                                stepScale: -0.003, l2Decay: l2, decoupledDecay: decoupled)
        for threads in [1, 2, 3] {
            var (w1, m1, v1) = (values(n, seed: 1, low: -1, high: 1), values(n, seed: 5, low: -0.1, high: 0.1), values(n, seed: 7, low: 0, high: 0.01))
            var (w2, m2, v2) = (w1, m1, v1)
            guard n > 0 else { continue }
            g.withUnsafeBufferPointer { gp in
                w1.withUnsafeMutableBufferPointer { w in m1.withUnsafeMutableBufferPointer { m in v1.withUnsafeMutableBufferPointer { v in
                    let context = KernelContext(backend: currentKernelBackend, threads: threads, minParallelWork: 0)
                    adamUpdate(context: context, weights: w.baseAddress!, gradient: gp.baseAddress!, firstMoment: m.baseAddress!,
                               secondMoment: v.baseAddress!, count: n, s)
                } } }
                w2.withUnsafeMutableBufferPointer { w in m2.withUnsafeMutableBufferPointer { m in v2.withUnsafeMutableBufferPointer { v in
                    adamUpdateReference(weights: w.baseAddress!, gradient: gp.baseAddress!, firstMoment: m.baseAddress!,
                                        secondMoment: v.baseAddress!, count: n, s)
                } } }
            }
            #expect(w1 == w2 && m1 == m2 && v1 == v2, "n=\(n) threads=\(threads)")
            #expect(w1 != values(n, seed: 1, low: -1, high: 1), "the update changed nothing (n=\(n))")
        }
    }
}
