import Testing
import TLKernelTable
@testable import TLKernels

/// Depthwise problems: odd channel counts (vector tails), strides, per-side "SAME" padding
/// (the asymmetric stride-2 case: extra row and column at the bottom and right).
let depthwiseCases: [DepthwiseGeometry] = [
    // 3×3 stride 1, symmetric padding 1, C = 32 (two AVX-512 vectors)
    DepthwiseGeometry(batch: 2, height: 7, width: 6, channels: 32, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padTop: 1, padLeft: 1, outH: 7, outW: 6),
    // 3×3 stride 2 on an even size: TF SAME pads 0 before, 1 after
    DepthwiseGeometry(batch: 2, height: 8, width: 8, channels: 19, kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, padTop: 0, padLeft: 0, outH: 4, outW: 4),
    // 5×5 stride 2 on an even size: TF SAME pads 1 before, 2 after
    DepthwiseGeometry(batch: 1, height: 10, width: 12, channels: 40, kernelH: 5, kernelW: 5, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, outH: 5, outW: 6),
    // 5×5 stride 1 "SAME" (2 each side), channels smaller than one vector
    DepthwiseGeometry(batch: 3, height: 5, width: 4, channels: 5, kernelH: 5, kernelW: 5, strideH: 1, strideW: 1, padTop: 2, padLeft: 2, outH: 5, outW: 4),
    // no padding, rectangular kernel and strides
    DepthwiseGeometry(batch: 2, height: 9, width: 7, channels: 24, kernelH: 3, kernelW: 2, strideH: 2, strideW: 1, padTop: 0, padLeft: 0, outH: 4, outW: 6),
    // Rows wide enough for the eight-pixel register blocks of the interior (forward along the
    // output row, input gradient along each stride phase of the input row) next to the borders:
    // 3×3 stride 1 (block 0 of EfficientNet), 3×3 stride 2 on an even width (its block 1),
    // 5×5 stride 2 on an odd width with a channel tail, 5×5 stride 1 with C = one AVX-512 vector.
    DepthwiseGeometry(batch: 2, height: 5, width: 21, channels: 32, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padTop: 1, padLeft: 1, outH: 5, outW: 21),
    DepthwiseGeometry(batch: 1, height: 6, width: 40, channels: 48, kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, padTop: 0, padLeft: 0, outH: 3, outW: 20),
    DepthwiseGeometry(batch: 1, height: 7, width: 37, channels: 17, kernelH: 5, kernelW: 5, strideH: 2, strideW: 2, padTop: 2, padLeft: 2, outH: 4, outW: 19),
    DepthwiseGeometry(batch: 3, height: 4, width: 30, channels: 16, kernelH: 5, kernelW: 5, strideH: 1, strideW: 1, padTop: 2, padLeft: 2, outH: 4, outW: 30),
]

@Suite struct DepthwiseTests {
    @Test(arguments: 0..<depthwiseCases.count)
    func fastMatchesReference(_ index: Int) throws {
        let g = depthwiseCases[index]
        try g.validate()
        let xCount = g.batch * g.height * g.width * g.channels, yCount = g.batch * g.outH * g.outW * g.channels
        let taps = g.kernelH * g.kernelW * g.channels
        let x = randomArray(xCount, seed: 1), w = randomArray(taps, seed: 2), b = randomArray(g.channels, seed: 3)
        let dy = randomArray(yCount, seed: 4)
        let pool = BufferPool()
        defer { pool.free() }
        let px = pool.copy(x), pw = pool.copy(w), pb = pool.copy(b), pdy = pool.copy(dy)
        let ref = pool.filled(yCount, 0), refDx = pool.filled(xCount, 0), refDw = pool.filled(taps, 0)
        depthwiseForwardReference(input: UnsafeBufferPointer(px), weight: UnsafeBufferPointer(pw), bias: UnsafeBufferPointer(pb),
                                  geometry: g, output: ref)
        depthwiseBackwardReference(input: UnsafeBufferPointer(px), weight: UnsafeBufferPointer(pw), outputGradient: UnsafeBufferPointer(pdy),
                                   geometry: g, inputGradient: refDx, weightGradient: refDw)
        // Error bound of a length-(taps+1) sum of products of values in [-1, 1].
        let tol = 2 * Float(g.kernelH * g.kernelW + 4) * unitRoundoff * Float(g.kernelH * g.kernelW + 1)
        let dwTol = 2 * Float(g.batch * g.outH * g.outW + 4) * unitRoundoff * Float(g.batch * g.outH * g.outW)
        for ctx in testContexts {
            let out = pool.filled(yCount, 0), dx = pool.filled(xCount, 0), dw = pool.filled(taps, 0)
            depthwiseForward(ctx, input: UnsafeBufferPointer(px), weight: UnsafeBufferPointer(pw), bias: UnsafeBufferPointer(pb),
                             geometry: g, lower: -.infinity, upper: .infinity, output: out)
            depthwiseBackwardInput(ctx, outputGradient: UnsafeBufferPointer(pdy), weight: UnsafeBufferPointer(pw), geometry: g, inputGradient: dx)
            depthwiseBackwardWeight(ctx, input: UnsafeBufferPointer(px), outputGradient: UnsafeBufferPointer(pdy), geometry: g, weightGradient: dw)
            let fe = zip(out, ref).map { abs($0 - $1) }.max() ?? 0
            let de = zip(dx, refDx).map { abs($0 - $1) }.max() ?? 0
            let we = zip(dw, refDw).map { abs($0 - $1) }.max() ?? 0
            #expect(fe <= tol, "forward \(ctx.backend) ×\(ctx.threads) \(g): \(fe)")
            #expect(de <= tol, "input gradient \(ctx.backend) ×\(ctx.threads): \(de)")
            #expect(we <= dwTol, "weight gradient \(ctx.backend) ×\(ctx.threads): \(we)")
            // The clamp is applied after the bias: ReLU6-style bounds give exactly clamp(ref).
            let clamped = pool.filled(yCount, 0)
            depthwiseForward(ctx, input: UnsafeBufferPointer(px), weight: UnsafeBufferPointer(pw), bias: UnsafeBufferPointer(pb),
                             geometry: g, lower: 0, upper: 0.5, output: clamped)
            #expect(zip(clamped, out).allSatisfy { $0 == min(max($1, 0), 0.5) }, "clamp \(ctx.backend)")
        }
    }

    /// Every output pixel of a strided "SAME" window must see the padding it should: with an
    /// all-ones input and weight, the output counts the in-bounds taps.
    @Test func asymmetricSamePaddingCountsTaps() throws {
        // 4×4 input, 3×3 kernel, stride 2, TF SAME: pad top/left 0, bottom/right 1 → 2×2 output.
        let g = DepthwiseGeometry(batch: 1, height: 4, width: 4, channels: 1, kernelH: 3, kernelW: 3, strideH: 2, strideW: 2,
                                  padTop: 0, padLeft: 0, outH: 2, outW: 2)
        let pool = BufferPool()
        defer { pool.free() }
        let out = pool.filled(4, 0)
        depthwiseForward(input: UnsafeBufferPointer(pool.copy([Float](repeating: 1, count: 16))),
                         weight: UnsafeBufferPointer(pool.copy([Float](repeating: 1, count: 9))), bias: nil, geometry: g, output: out)
        // Windows start at rows/cols 0 and 2; the second window hangs one row/col over the bottom/right.
        #expect(Array(out) == [9, 6, 6, 4])
    }
}

@Suite struct ChannelAffineTests {
    /// The vector kernel against its naive twin, with and without residual, with a clamp, and
    /// with a column count that leaves a vector tail.
    @Test(arguments: [(5, 37), (3, 32), (4, 7)])
    func fastMatchesReference(_ rows: Int, _ cols: Int) {
        let pool = BufferPool()
        defer { pool.free() }
        let x = pool.copy(randomArray(rows * cols, seed: 1).map { $0 * 8 }), r = pool.copy(randomArray(rows * cols, seed: 2))
        let s = pool.copy(randomArray(cols, seed: 3)), b = pool.copy(randomArray(cols, seed: 4))
        for residual in [nil, UnsafePointer(r.baseAddress!)] {
            for (lo, hi) in [(-Float.infinity, Float.infinity), (0, 6)] {
                let fast = pool.filled(rows * cols, .nan), ref = pool.filled(rows * cols, .nan)
                channelAffineClamp(x: x.baseAddress!, scale: s.baseAddress!, shift: b.baseAddress!, residual: residual, lower: lo, upper: hi,
                                   rows: rows, cols: cols, out: fast.baseAddress!)
                channelAffineClampReference(x: x.baseAddress!, scale: s.baseAddress!, shift: b.baseAddress!, residual: residual, lower: lo,
                                            upper: hi, rows: rows, cols: cols, out: ref.baseAddress!)
                // One fused multiply-add plus one addition: at most 2 roundings of values below 16.
                let err = zip(fast, ref).map { abs($0 - $1) }.max() ?? .nan
                #expect(err <= 4 * 16 * unitRoundoff, "rows \(rows) cols \(cols) residual \(residual != nil) clamp \(hi): \(err)")
                #expect(fast.allSatisfy { $0 >= lo && $0 <= hi })
            }
        }
    }
}
