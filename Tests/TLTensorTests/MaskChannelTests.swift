import Testing
@testable import TLTensor

/// The mask-channel primitives against the generic slice and concat they replace (values and
/// gradients), and by finite differences.
@Suite struct MaskChannelTests {
    @Test(arguments: [[2, 3, 5], [1, 70, 129], [4, 2]])
    func matchCompositeSliceAndConcat(shape: [Int]) throws {
        let width = shape.last!, axis = shape.count - 1
        let x = sample(shape, seed: 21).requiringGrad()
        let w = sample(Array(shape.dropLast()) + [width - 1], seed: 22)
        let a = try x.droppingLastChannel(), b = try x.sliced(axis: axis, 0..<(width - 1))
        #expect(a.shape == b.shape && a.scalars == b.scalars)
        try (a * w).sum().backward()
        let fused = x.grad!.scalars
        x.zeroGrad()
        try (b * w).sum().backward()
        #expect(fused == x.grad!.scalars, "droppingLastChannel gradient")

        let h = sample(shape, seed: 23).requiringGrad()
        let rows = h.count / width
        let channel = (0..<rows).map { Float($0 % 3) }
        let c = try h.appendingChannel(channel)
        let d = try Tensor.concat([h, Tensor(channel, shape: Array(shape.dropLast()) + [1])], axis: axis)
        #expect(c.shape == d.shape && c.scalars == d.scalars)
        let v = sample(c.shape, seed: 24)
        try (c * v).sum().backward()
        let fusedH = h.grad!.scalars
        h.zeroGrad()
        try (d * v).sum().backward()
        #expect(fusedH == h.grad!.scalars, "appendingChannel gradient")
    }

    @Test func gradientsByFiniteDifferences() throws {
        var r = try GradientCheck.check([sample([2, 3, 4], seed: 25)]) { try $0[0].droppingLastChannel() }
        #expect(r.passed, "droppingLastChannel: \(r)")
        r = try GradientCheck.check([sample([2, 3, 4], seed: 26)]) { try $0[0].appendingChannel([1, 0, 1, 1, 0, 0]) }
        #expect(r.passed, "appendingChannel: \(r)")
    }

    @Test func rejectsBadShapes() {
        #expect(throws: TensorError.self) { try sample([3, 1], seed: 1).droppingLastChannel() }
        #expect(throws: TensorError.self) { try sample([3, 2], seed: 1).appendingChannel([1, 2]) }
    }
}
