import Testing
@testable import TLTensor

/// The fast max-pooling loops (Pool2DKernels+Max.swift) against their naive reference twins
/// (Tensor+Pool.swift): the same values bit for bit, NaN and ties included. The gradient by
/// finite differences is checked through `maxPool2d` in TLNNTests/ConvPoolTests.poolingGradients.
@Suite struct MaxPoolKernelTests {
    /// Small integers (many ties inside a window), with a NaN now and then when `nans`.
    func input(_ shape: [Int], seed: UInt64, nans: Bool) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        return (0..<shape.reduce(1, *)).map { _ in
            let u = rng.nextUniform()
            if nans && u < 0.02 { return .nan }
            return Float(Int(u * 7)) - 3
        }
    }

    func sameBits(_ a: [Float], _ b: [Float]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.isNaN ? $1.isNaN : $0 == $1 }
    }

    nonisolated(unsafe) static let cases: [([Int], Window2D)] = [
        ([4, 28, 28, 6], Window2D(kernel: (2, 2), stride: (2, 2))),            // LeNet pool 1
        ([3, 10, 10, 16], Window2D(kernel: (2, 2), stride: (2, 2))),           // LeNet pool 2
        ([2, 9, 7, 1], Window2D(kernel: (3, 3), stride: (2, 2), padding: (1, 1))),
        ([2, 8, 11, 17], Window2D(kernel: (3, 2), stride: (1, 2))),
        ([1, 5, 6, 3], Window2D(kernel: (2, 3), stride: (3, 1), padding: (1, 1))),
        ([2, 7, 7, 5], Window2D(kernel: (1, 1), stride: (2, 2))),
        ([2, 9, 7, 3], Window2D(kernel: (2, 2), stride: (2, 2))),            // tiled backward, odd edges left over
        ([1, 11, 9, 2], Window2D(kernel: (3, 3), stride: (3, 3))),
        // Disjoint windows (stride ≥ kernel): the SIMD write-only backward of
        // Pool2DKernels+MaxDisjoint.swift, every channel-group width and its overlapping tail.
        ([2, 6, 6, 16], Window2D(kernel: (2, 2), stride: (2, 2))),             // one full 16-lane group
        ([2, 7, 5, 17], Window2D(kernel: (2, 2), stride: (2, 2))),             // 16 + shifted tail; ragged right and bottom
        ([1, 9, 10, 33], Window2D(kernel: (3, 3), stride: (3, 3))),            // 2×16 + tail; ragged right
        ([2, 10, 11, 6], Window2D(kernel: (3, 3), stride: (3, 3))),            // two overlapping 4-lane groups; ragged edges
        ([1, 9, 9, 11], Window2D(kernel: (2, 2), stride: (3, 3))),             // 8-lane groups; gaps between windows
        ([2, 8, 7, 3], Window2D(kernel: (2, 3), stride: (3, 3), padding: (1, 1))),  // 2-lane groups; padding
        ([1, 9, 8, 1], Window2D(kernel: (2, 2), stride: (4, 3), padding: (1, 1))),  // scalar; padding and gaps
        ([2, 5, 5, 4], Window2D(kernel: (1, 1), stride: (3, 3))),              // exactly 4 lanes; 1×1 windows with gaps
        // Large enough that forward and backward split the images across threads (with 2+
        // kernel threads): LeNet's first pooling layer at batch 64, and an overlapping window.
        ([64, 24, 24, 6], Window2D(kernel: (2, 2), stride: (2, 2))),
        ([32, 20, 20, 8], Window2D(kernel: (3, 3), stride: (2, 2), padding: (1, 1))),
    ]

    @Test(arguments: 0..<18)
    func fastMatchesNaive(index: Int) throws {
        let (shape, window) = Self.cases[index]
        let (oh, ow) = try window.outputSize(height: shape[1], width: shape[2], operation: "test")
        for (seed, nans) in [(UInt64(1), false), (2, true)] {
            let x = input(shape, seed: seed, nans: nans)
            let fast = Pool2DKernels.maxForward(x, shape: shape, window, outHeight: oh, outWidth: ow)
            let naive = Pool2DKernels.naiveMaxForward(x, shape: shape, window, outHeight: oh, outWidth: ow)
            let forwardSame = sameBits(fast, naive)   // a Bool, so a failure does not print both arrays
            #expect(forwardSame, "forward \(shape) \(window) nans \(nans)")
            var rng = SeededGenerator(seed: seed + 10)
            let g = (0..<fast.count).map { _ in rng.nextUniform() - 0.5 }
            let dFast = Pool2DKernels.maxBackward(x, shape: shape, upstream: g, window, outHeight: oh, outWidth: ow)
            let dNaive = Pool2DKernels.naiveMaxBackward(x, shape: shape, upstream: g, window, outHeight: oh, outWidth: ow)
            let backwardSame = sameBits(dFast, dNaive)
            #expect(backwardSame, "backward \(shape) \(window) nans \(nans)")
            // Not vacuous: the gradient lands somewhere, and only on input cells.
            #expect(dFast.count == x.count && dFast.contains { $0 != 0 })
        }
    }
}
