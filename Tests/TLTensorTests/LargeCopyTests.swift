import Testing
@testable import TLTensor

/// Concat and slice along the first axis copy whole runs split across the kernel threads above
/// ~125k elements (the packed QKV weight and its gradient): values against an element-by-element
/// construction, and the slice gradient of a concat gives every part back.
@Suite struct LargeCopyTests {
    @Test(arguments: [[5, 3], [384, 384], [700, 401]])
    func firstAxisConcatAndSliceCopyEveryElement(_ shape: [Int]) throws {
        var rng = SeededGenerator(seed: UInt64(shape[0]))
        let parts = (0..<3).map { _ in Tensor.normal(shape, std: 1, using: &rng) }
        let joined = try Tensor.concat(parts, axis: 0)
        #expect(joined.shape == [3 * shape[0], shape[1]])
        #expect(joined.scalars == parts.flatMap(\.scalars))
        for (k, part) in parts.enumerated() {
            let s = try joined.sliced(axis: 0, (k * shape[0])..<((k + 1) * shape[0]))
            #expect(s.scalars == part.scalars)
        }
        // Backward of concat = slices of the upstream gradient.
        let inputs = parts.map { $0.requiringGrad() }
        let upstream = Tensor.normal(joined.shape, std: 1, using: &rng)
        try Tensor.concat(inputs, axis: 0).backward(seed: upstream)
        let n = parts[0].count
        for (k, x) in inputs.enumerated() {
            #expect(x.grad?.scalars == Array(upstream.scalars[(k * n)..<((k + 1) * n)]))
        }
    }
}
