import Testing
@testable import TLTensor
@testable import TLNN

/// Direct 7-loop convolution in Double: the reference for the im2col + GEMM path.
func referenceConv(_ x: Tensor, _ w: Tensor, _ win: Window2D) -> [Float] {
    let (n, h, wd, cin) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let cout = w.shape[0]
    let oh = (h + win.padTop + win.padBottom - win.kernelHeight) / win.strideHeight + 1
    let ow = (wd + win.padLeft + win.padRight - win.kernelWidth) / win.strideWidth + 1
    var out = [Float](repeating: 0, count: n * oh * ow * cout)
    for b in 0..<n { for i in 0..<oh { for j in 0..<ow { for co in 0..<cout {
        var acc = 0.0
        for kh in 0..<win.kernelHeight { for kw in 0..<win.kernelWidth {
            let ih = i * win.strideHeight - win.padTop + kh, iw = j * win.strideWidth - win.padLeft + kw
            guard ih >= 0, ih < h, iw >= 0, iw < wd else { continue }
            for c in 0..<cin {
                acc += Double(x.scalars[((b * h + ih) * wd + iw) * cin + c]) *
                       Double(w.scalars[((co * win.kernelHeight + kh) * win.kernelWidth + kw) * cin + c])
            }
        } }
        out[((b * oh + i) * ow + j) * cout + co] = Float(acc)
    } } } }
    return out
}

@Suite struct ConvPoolTests {
    static let geometries: [(input: [Int], cout: Int, kernel: (Int, Int), stride: (Int, Int), pad: (Int, Int))] = [
        ([2, 5, 5, 3], 4, (3, 3), (1, 1), (1, 1)),
        ([1, 7, 6, 2], 3, (3, 2), (2, 2), (1, 0)),     // odd sizes, stride 2, asymmetric kernel
        ([2, 6, 5, 3], 2, (1, 1), (1, 1), (0, 0)),     // pointwise fast path
        ([1, 5, 7, 1], 2, (5, 5), (3, 2), (2, 2)),     // 1 channel, big kernel, stride 3×2
        ([3, 4, 4, 2], 5, (2, 2), (2, 2), (0, 0)),
    ]

    @Test func forwardMatchesDirectConvolution() throws {
        for (i, g) in Self.geometries.enumerated() {
            let x = sample(g.input, seed: UInt64(i))
            let w = sample([g.cout, g.kernel.0, g.kernel.1, g.input[3]], seed: UInt64(100 + i))
            let y = try Tensor.conv2d(input: x, weight: w, stride: g.stride, padding: g.pad)
            let win = Window2D(kernel: g.kernel, stride: g.stride, padding: g.pad)
            #expect(maxAbsDifference(y.scalars, referenceConv(x, w, win)) < 1e-5, "geometry \(i)")
        }
    }

    @Test func convolutionGradients() throws {
        for (i, g) in Self.geometries.enumerated() {
            let x = sample(g.input, seed: UInt64(10 + i))
            let w = sample([g.cout, g.kernel.0, g.kernel.1, g.input[3]], seed: UInt64(200 + i))
            let b = sample([g.cout], seed: UInt64(300 + i))
            let r = try GradientCheck.check([x, w, b]) {
                try Tensor.conv2d(input: $0[0], weight: $0[1], bias: $0[2], stride: g.stride, padding: g.pad)
            }
            #expect(r.passed, "conv geometry \(i): \(r)")
        }
    }

    /// The bias is the conv2d primitive's third input, added by the kernel: the same forward
    /// values as the composite conv2d(x, W) + b (one rounding either way), the same dx and dW,
    /// and db equal to the composite's broadcast-sum up to summation order.
    @Test func fusedBiasMatchesComposite() throws {
        for (i, g) in Self.geometries.enumerated() {
            let x = sample(g.input, seed: UInt64(20 + i))
            let w = sample([g.cout, g.kernel.0, g.kernel.1, g.input[3]], seed: UInt64(400 + i))
            let b = sample([g.cout], seed: UInt64(500 + i))
            let fused = [x, w, b].map { $0.detached().requiringGrad() }
            let composite = [x, w, b].map { $0.detached().requiringGrad() }
            let y1 = try Tensor.conv2d(input: fused[0], weight: fused[1], bias: fused[2], stride: g.stride, padding: g.pad)
            let y2 = try Tensor.conv2d(input: composite[0], weight: composite[1], stride: g.stride, padding: g.pad) + composite[2]
            #expect(y1.shape == y2.shape && y1.scalars == y2.scalars, "geometry \(i): forward")
            let r = sample(y1.shape, seed: UInt64(600 + i))
            try (y1 * r).sum().backward()
            try (y2 * r).sum().backward()
            for (j, name) in ["dx", "dW", "db"].enumerated() {
                let a = try #require(fused[j].grad), c = try #require(composite[j].grad)
                #expect(a.shape == c.shape && maxAbsDifference(a.scalars, c.scalars) <= 1e-4,
                        "geometry \(i): \(name)")
            }
        }
    }

    @Test func convolutionShapeErrorsThrow() throws {
        let x = Tensor.zeros([1, 4, 4, 3])
        #expect(throws: TensorError.self) { try Tensor.conv2d(input: x, weight: Tensor.zeros([2, 3, 3, 2])) }
        #expect(throws: TensorError.self) { try Tensor.conv2d(input: x, weight: Tensor.zeros([2, 5, 5, 3])) }
        #expect(throws: TensorError.self) { try Tensor.conv2d(input: x, weight: Tensor.zeros([2, 3, 3, 3]), bias: Tensor.zeros([3])) }
        #expect(throws: TensorError.self) { try Tensor.conv2d(input: x, weight: Tensor.zeros([2, 3, 3, 3]), stride: (0, 1)) }
    }

    @Test func poolingValues() throws {
        // One 4×4 single-channel image 0…15.
        let x = try Tensor((0..<16).map(Float.init), shape: [1, 4, 4, 1])
        let mp = try x.maxPool2d(window: Window2D(kernel: (2, 2), stride: (2, 2)))
        #expect(mp.shape == [1, 2, 2, 1] && mp.scalars == [5, 7, 13, 15])
        let ap = try x.avgPool2d(window: Window2D(kernel: (2, 2), stride: (2, 2)))
        #expect(ap.scalars == [2.5, 4.5, 10.5, 12.5])
        // Padding: max ignores it, average counts it as zero (count_include_pad).
        let mpp = try x.maxPool2d(window: Window2D(kernel: (3, 3), stride: (2, 2), padding: (1, 1)))
        #expect(mpp.scalars == [5, 7, 13, 15])
        let app = try x.avgPool2d(window: Window2D(kernel: (2, 2), stride: (2, 2), padding: (1, 1)))
        #expect(app.shape == [1, 3, 3, 1])
        #expect(app.scalars[0] == 0 / 4 && app.scalars[4] == (5 + 6 + 9 + 10) / 4)
        #expect(throws: TensorError.self) { try x.maxPool2d(window: Window2D(kernel: (2, 2), padding: (2, 2))) }
    }

    @Test func poolingGradients() throws {
        let windows = [Window2D(kernel: (2, 2), stride: (2, 2)), Window2D(kernel: (3, 3), stride: (2, 2), padding: (1, 1)),
                       Window2D(kernel: (3, 2), stride: (1, 2))]
        for (i, win) in windows.enumerated() {
            let x = distinct([2, 5, 7, 3], seed: UInt64(i))
            let rm = try GradientCheck.check([x]) { try $0[0].maxPool2d(window: win) }
            #expect(rm.passed, "max pool \(win): \(rm)")
            let ra = try GradientCheck.check([sample([2, 5, 7, 3], seed: UInt64(50 + i))]) { try $0[0].avgPool2d(window: win) }
            #expect(ra.passed, "avg pool \(win): \(ra)")
        }
        let r = try GradientCheck.check([sample([2, 3, 5, 4], seed: 9)]) { try GlobalAvgPool().forward($0[0]) }
        #expect(r.passed, "global avg pool: \(r)")
    }

    @Test func softplusIsStableAndDifferentiable() throws {
        let x = try Tensor([-1000, -20, 0, 20, 1000], shape: [5])
        let y = x.softplus()
        #expect(y.scalars[0] == 0 && y.scalars[4] == 1000 && Swift.abs(y.scalars[2] - 0.693_147_2) < 1e-6)
        #expect(y.scalars.allSatisfy { $0.isFinite })
        let r = try GradientCheck.check([sample([3, 7], seed: 4, low: -4, high: 4)]) { $0[0].softplus() }
        #expect(r.passed, "\(r)")
        // The gradient at exactly 0 is σ(0) = 0.5 (a relu/abs composite would give 0 there).
        let z = Tensor.zeros([1]).requiringGrad()
        try z.softplus().sum().backward()
        #expect(z.grad!.scalars == [0.5])
    }
}

@Suite struct ConvChunkingTests {
    /// The im2col chunking (bounded buffer) must not change any result: run the three
    /// products with chunks of 1, 7 and all rows and compare.
    @Test func chunkedProductsMatchUnchunked() throws {
        let win = Window2D(kernel: (3, 3), stride: (2, 1), padding: (1, 1))
        let x = sample([3, 7, 5, 2], seed: 1), w = sample([4, 3, 3, 2], seed: 2)
        let (oh, ow) = try win.outputSize(height: 7, width: 5, operation: "test")
        let g = Conv2DGeometry(batch: 3, height: 7, width: 5, inChannels: 2, outChannels: 4, window: win, outHeight: oh, outWidth: ow)
        let up = sample([3, oh, ow, 4], seed: 3)
        func run(_ chunk: Int) -> ([Float], [Float], [Float]) {
            x.scalars.withUnsafeBufferPointer { px in w.scalars.withUnsafeBufferPointer { pw in up.scalars.withUnsafeBufferPointer { pg in
                (Conv2DKernels.forward(input: px, weight: pw, g, chunkElements: chunk),
                 Conv2DKernels.weightGradient(upstream: pg, input: px, g, chunkElements: chunk),
                 Conv2DKernels.inputGradient(upstream: pg, weight: pw, g, chunkElements: chunk))
            } } }
        }
        let whole = run(1 << 30)
        #expect(maxAbsDifference(whole.0, referenceConv(x, w, win)) < 1e-5)
        for chunk in [1, 7 * g.patch, 10 * g.patch + 3] {
            let c = run(chunk)
            #expect(maxAbsDifference(c.0, whole.0) < 1e-5 && maxAbsDifference(c.1, whole.1) < 1e-4
                    && maxAbsDifference(c.2, whole.2) < 1e-5, "chunk \(chunk)")
        }
    }
}

@Test func pytorchConvLayoutRoundTrip() throws {
    let torch = sample([4, 3, 2, 5], seed: 1)          // [Cout, Cin, KH, KW]
    let tl = try Conv2D.weightFromPyTorchLayout(torch)
    #expect(tl.shape == [4, 2, 5, 3])
    // Element (co=1, ci=2, kh=1, kw=3) lands at [1, 1, 3, 2].
    let tlIndex: Int = ((1 * 2 + 1) * 5 + 3) * 3 + 2
    let torchIndex: Int = ((1 * 3 + 2) * 2 + 1) * 5 + 3
    #expect(tl.scalars[tlIndex] == torch.scalars[torchIndex])
    #expect(try Conv2D.weightToPyTorchLayout(tl) == torch)
}
