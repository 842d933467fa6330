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

/// The batched Adam step (all parameters of an optimizer step in one call; small ones dealt to
/// threads whole) is bit-identical to the scalar twin on each parameter, for 1–3 threads.
@Suite struct BatchedAdamKernelTests {
    @Test func batchMatchesScalarTwinPerParameter() {
        let sizes = [0, 1, 17, 384, 1536, 16_384, 65_536, 70_001, 3, 128]
        let s = AdamStepScalars(keep1Weight: 0.1, beta2: 0.999, keep2Weight: 0.001, bc2Sqrt: 0.0447, epsilon: 1e-8,
                                stepScale: -0.003, l2Decay: 0.01, decoupledDecay: 1)
        for threads in [1, 2, 3] {
            var w = sizes.enumerated().map { randomArray($0.element, seed: UInt64(10 + $0.offset)) }
            let g = sizes.enumerated().map { randomArray($0.element, seed: UInt64(30 + $0.offset)) }
            var m = sizes.enumerated().map { randomArray($0.element, seed: UInt64(50 + $0.offset)).map { $0 * 0.1 } }
            var v = sizes.enumerated().map { randomArray($0.element, seed: UInt64(70 + $0.offset)).map { $0 * $0 * 0.01 } }
            var (w2, m2, v2) = (w, m, v)
            let wp = w.map { p -> UnsafeMutablePointer<Float> in let q = UnsafeMutablePointer<Float>.allocate(capacity: max(1, p.count)); q.initialize(from: p, count: p.count); return q }
            let gp = g.map { p -> UnsafeMutablePointer<Float> in let q = UnsafeMutablePointer<Float>.allocate(capacity: max(1, p.count)); q.initialize(from: p, count: p.count); return q }
            let mp = m.map { p -> UnsafeMutablePointer<Float> in let q = UnsafeMutablePointer<Float>.allocate(capacity: max(1, p.count)); q.initialize(from: p, count: p.count); return q }
            let vp = v.map { p -> UnsafeMutablePointer<Float> in let q = UnsafeMutablePointer<Float>.allocate(capacity: max(1, p.count)); q.initialize(from: p, count: p.count); return q }
            defer { for p in wp + gp + mp + vp { p.deallocate() } }
            let items = sizes.indices.map { AdamUpdateItem(weights: wp[$0], gradient: gp[$0], firstMoment: mp[$0], secondMoment: vp[$0], count: sizes[$0], scalars: s) }
            adamUpdate(context: KernelContext(backend: currentKernelBackend, threads: threads, minParallelWork: 0), items)
            for i in sizes.indices {
                w[i] = Array(UnsafeBufferPointer(start: wp[i], count: sizes[i]))
                m[i] = Array(UnsafeBufferPointer(start: mp[i], count: sizes[i]))
                v[i] = Array(UnsafeBufferPointer(start: vp[i], count: sizes[i]))
                guard sizes[i] > 0 else { continue }
                let before = w2[i]
                g[i].withUnsafeBufferPointer { gb in
                    w2[i].withUnsafeMutableBufferPointer { wb in m2[i].withUnsafeMutableBufferPointer { mb in v2[i].withUnsafeMutableBufferPointer { vb in
                        adamUpdateReference(weights: wb.baseAddress!, gradient: gb.baseAddress!, firstMoment: mb.baseAddress!,
                                            secondMoment: vb.baseAddress!, count: sizes[i], s)
                    } } }
                }
                #expect(w[i] == w2[i] && m[i] == m2[i] && v[i] == v2[i], "size \(sizes[i]) threads \(threads)")
                #expect(w[i] != before, "the update changed nothing (size \(sizes[i]))")
            }
        }
    }
}
