import Testing
@testable import TLKernels

/// One convolution problem: sizes, geometry, deterministic data.
struct ConvCase: CustomStringConvertible {
    let n, h, w, cin, cout: Int
    let g: Conv2DGeometry
    var oh: Int { g.outputHeight(inputHeight: h) }
    var ow: Int { g.outputWidth(inputWidth: w) }
    var k: Int { g.kernelHeight * g.kernelWidth * cin }
    var description: String { "n\(n) \(h)x\(w) \(cin)->\(cout) k\(g.kernelHeight)x\(g.kernelWidth) s\(g.strideHeight)x\(g.strideWidth) p\(g.paddingHeight)x\(g.paddingWidth)" }
}

let convCases: [ConvCase] = [
    ConvCase(n: 2, h: 7, w: 5, cin: 3, cout: 5, g: Conv2DGeometry(kernel: 3, padding: 1)),
    ConvCase(n: 1, h: 9, w: 9, cin: 17, cout: 33, g: Conv2DGeometry(kernel: 3, stride: 2, padding: 1)),
    ConvCase(n: 3, h: 6, w: 8, cin: 1, cout: 7, g: Conv2DGeometry(kernel: 5, padding: 2)),
    ConvCase(n: 2, h: 8, w: 6, cin: 16, cout: 40, g: Conv2DGeometry(kernelHeight: 3, kernelWidth: 2, strideHeight: 1,
                                                                   strideWidth: 2, paddingHeight: 2, paddingWidth: 0)),
    ConvCase(n: 1, h: 5, w: 5, cin: 4, cout: 3, g: Conv2DGeometry(kernel: 1)),
    // Enough output pixels (2·12·12 = 288) for several 32-row thread slabs and MR panels.
    ConvCase(n: 2, h: 12, w: 12, cin: 20, cout: 24, g: Conv2DGeometry(kernel: 3, padding: 1)),
    // Cout a multiple of 32 (and 16): the direct weight-gradient path of every backend.
    ConvCase(n: 3, h: 7, w: 9, cin: 5, cout: 32, g: Conv2DGeometry(kernel: 3, stride: 2, padding: 1)),
    ConvCase(n: 2, h: 6, w: 6, cin: 1, cout: 64, g: Conv2DGeometry(kernel: 5, padding: 2)),
    ConvCase(n: 1, h: 5, w: 13, cin: 24, cout: 32, g: Conv2DGeometry(kernelHeight: 1, kernelWidth: 3, strideHeight: 2,
                                                                    strideWidth: 1, paddingHeight: 0, paddingWidth: 1)),
    // LeNet and ResNet layers (narrow tiles for Cout ≤ 16 or ≤ 8, stride-1 tiles across
    // output rows, gathered patches for C = 1 in the weight gradient).
    ConvCase(n: 2, h: 28, w: 28, cin: 1, cout: 6, g: Conv2DGeometry(kernel: 5, padding: 2)),
    ConvCase(n: 3, h: 14, w: 14, cin: 6, cout: 16, g: Conv2DGeometry(kernel: 5)),
    ConvCase(n: 2, h: 14, w: 14, cin: 16, cout: 16, g: Conv2DGeometry(kernel: 3, padding: 1)),
    ConvCase(n: 2, h: 14, w: 14, cin: 16, cout: 32, g: Conv2DGeometry(kernel: 1, stride: 2)),
    ConvCase(n: 2, h: 7, w: 7, cin: 32, cout: 64, g: Conv2DGeometry(kernel: 3, padding: 1)),
    ConvCase(n: 3, h: 28, w: 28, cin: 1, cout: 16, g: Conv2DGeometry(kernel: 3, padding: 1)),
    // Several padded-image groups per thread (57.6 KB per padded 28×28×16 image: groups of 3),
    // a partial last group reading a reused buffer, 5 images over 2 and 3 threads.
    ConvCase(n: 5, h: 28, w: 28, cin: 16, cout: 16, g: Conv2DGeometry(kernel: 3, padding: 1)),
    // Constant-row-step tile copies on AVX-512 (lda 32 and 64: stride-1 virtual-pixel tiles,
    // stride-1 row tiles of 7×7 images, stride-2 short tiles) and their run-time-step neighbours.
    ConvCase(n: 2, h: 14, w: 14, cin: 32, cout: 32, g: Conv2DGeometry(kernel: 3, padding: 1)),
    ConvCase(n: 1, h: 10, w: 10, cin: 64, cout: 48, g: Conv2DGeometry(kernel: 3, padding: 1)),
    ConvCase(n: 2, h: 14, w: 14, cin: 32, cout: 64, g: Conv2DGeometry(kernel: 3, stride: 2, padding: 1)),
    ConvCase(n: 2, h: 7, w: 7, cin: 64, cout: 64, g: Conv2DGeometry(kernel: 3, padding: 1)),
    // Between the narrow widths of the backends (8 < 9, 12 < 16) and a partial last row.
    ConvCase(n: 1, h: 10, w: 11, cin: 3, cout: 9, g: Conv2DGeometry(kernel: 3, padding: 1)),
    ConvCase(n: 2, h: 9, w: 30, cin: 2, cout: 12, g: Conv2DGeometry(kernelHeight: 2, kernelWidth: 4, paddingHeight: 1,
                                                                   paddingWidth: 3)),
    // Two-row narrow tiles (8-lane backends, stride 1, Cout ≤ 8): one image's 11 output rows
    // split over 2 and 3 threads (ranges of odd length: rows without a partner mid-image), Cout
    // exactly one vector (written in place) and a partial last tile (13 = 2·6 + 1 pixels);
    // a 2-row kernel over 3 images on 2 threads (output rows split over one padded batch).
    ConvCase(n: 1, h: 11, w: 13, cin: 3, cout: 8, g: Conv2DGeometry(kernel: 3, padding: 1)),
    ConvCase(n: 3, h: 9, w: 7, cin: 2, cout: 5, g: Conv2DGeometry(kernelHeight: 2, kernelWidth: 3, paddingHeight: 1,
                                                                  paddingWidth: 1)),
    // Gathered wide tiles (8-lane backends, K ≥ 32): 5 × 4 = 20 output pixels per image, so
    // 6-pixel tiles span output rows and images; 24 channels = one full and one partial panel.
    ConvCase(n: 3, h: 9, w: 7, cin: 4, cout: 24, g: Conv2DGeometry(kernel: 3, stride: 2, padding: 1)),
]

/// Checks fast against reference element-wise with the dot-product error bound γ·scale,
/// γ = (len + 3)·u for a reduction of length `len` (see GemmTests); 2γ for margin.
func expectClose(_ fast: [Float], _ ref: [Float], scale: [Float], length: Int, _ what: String) {
    let err = maxScaledError(fast, ref, scale: scale)
    #expect(err <= 2 * Float(length + 3) * unitRoundoff + 1e-7, "\(what): scaled error \(err)")
}

@Suite struct ConvTests {
    @Test(arguments: 0..<convCases.count)
    func fastMatchesReference(_ index: Int) {
        let c = convCases[index]
        let pool = BufferPool()
        defer { pool.free() }
        let x = randomArray(c.n * c.h * c.w * c.cin, seed: 1), wt = randomArray(c.cout * c.k, seed: 2)
        let b = randomArray(c.cout, seed: 3), dy = randomArray(c.n * c.oh * c.ow * c.cout, seed: 4)
        let m = c.n * c.oh * c.ow
        let ax = x.map(abs), aw = wt.map(abs), ab = b.map(abs), ady = dy.map(abs)
        // Reference results and error scales (the same computation on absolute values).
        let yRef = pool.filled(m * c.cout), yScale = pool.filled(m * c.cout)
        let dxRef = pool.filled(x.count), dxScale = pool.filled(x.count)
        let dwRef = pool.filled(wt.count), dwScale = pool.filled(wt.count)
        let dbRef = pool.filled(c.cout), dbScale = pool.filled(c.cout)
        conv2DForwardReference(input: pool.ro(x), batch: c.n, height: c.h, width: c.w, inChannels: c.cin, weight: pool.ro(wt),
                               bias: pool.ro(b), outChannels: c.cout, geometry: c.g, output: yRef)
        conv2DForwardReference(input: pool.ro(ax), batch: c.n, height: c.h, width: c.w, inChannels: c.cin, weight: pool.ro(aw),
                               bias: pool.ro(ab), outChannels: c.cout, geometry: c.g, output: yScale)
        conv2DBackwardInputReference(outputGradient: pool.ro(dy), batch: c.n, height: c.h, width: c.w, inChannels: c.cin,
                                     weight: pool.ro(wt), outChannels: c.cout, geometry: c.g, inputGradient: dxRef)
        conv2DBackwardInputReference(outputGradient: pool.ro(ady), batch: c.n, height: c.h, width: c.w, inChannels: c.cin,
                                     weight: pool.ro(aw), outChannels: c.cout, geometry: c.g, inputGradient: dxScale)
        conv2DBackwardWeightReference(input: pool.ro(x), outputGradient: pool.ro(dy), batch: c.n, height: c.h, width: c.w,
                                      inChannels: c.cin, outChannels: c.cout, geometry: c.g, weightGradient: dwRef)
        conv2DBackwardWeightReference(input: pool.ro(ax), outputGradient: pool.ro(ady), batch: c.n, height: c.h, width: c.w,
                                      inChannels: c.cin, outChannels: c.cout, geometry: c.g, weightGradient: dwScale)
        conv2DBackwardBiasReference(outputGradient: pool.ro(dy), rows: m, outChannels: c.cout, biasGradient: dbRef)
        conv2DBackwardBiasReference(outputGradient: pool.ro(ady), rows: m, outChannels: c.cout, biasGradient: dbScale)
        for ctx in testContexts {
            let y = pool.filled(yRef.count), dx = pool.filled(x.count)
            let dw = pool.filled(wt.count), db = pool.filled(c.cout)
            conv2DForward(ctx, input: pool.ro(x), batch: c.n, height: c.h, width: c.w, inChannels: c.cin, weight: pool.ro(wt),
                          bias: pool.ro(b), outChannels: c.cout, geometry: c.g, output: y)
            conv2DBackwardInput(ctx, outputGradient: pool.ro(dy), batch: c.n, height: c.h, width: c.w, inChannels: c.cin,
                                weight: pool.ro(wt), outChannels: c.cout, geometry: c.g, inputGradient: dx)
            conv2DBackwardWeight(ctx, input: pool.ro(x), outputGradient: pool.ro(dy), batch: c.n, height: c.h, width: c.w,
                                 inChannels: c.cin, outChannels: c.cout, geometry: c.g, weightGradient: dw)
            conv2DBackwardBias(outputGradient: pool.ro(dy), rows: m, outChannels: c.cout, biasGradient: db)
            let tag = "\(c) \(ctx.backend) t\(ctx.threads)"
            // Forward: K-term dot products plus the bias add.
            expectClose(Array(y), Array(yRef), scale: Array(yScale), length: c.k + 1, "forward \(tag)")
            // Input gradient: ≤ KH·KW·Cout terms per element.
            expectClose(Array(dx), Array(dxRef), scale: Array(dxScale), length: c.g.kernelHeight * c.g.kernelWidth * c.cout, "dx \(tag)")
            // Weight gradient: M terms, plus up to 3 per-thread partials summed.
            expectClose(Array(dw), Array(dwRef), scale: Array(dwScale), length: m + 3, "dw \(tag)")
            // Bias: Float blocks of 64 rows, then Double.
            expectClose(Array(db), Array(dbRef), scale: Array(dbScale), length: 64 + 1, "db \(tag)")
        }
    }

    /// The reference backward passes are the derivative of the forward pass: central finite
    /// differences of L = Σ y ⊙ R (computed in Double, h = 1e-3, truncation error O(h²) ≈ 1e-6)
    /// against the reference gradients, which are Double sums rounded once to Float (rel. 6e-8).
    @Test func referenceGradientsMatchFiniteDifferences() {
        for c in [convCases[0], convCases[1], convCases[3], convCases[6]] {
            let x = randomArray(c.n * c.h * c.w * c.cin, seed: 11).map(Double.init)
            let wt = randomArray(c.cout * c.k, seed: 12).map(Double.init)
            let b = randomArray(c.cout, seed: 13).map(Double.init)
            let r = randomArray(c.n * c.oh * c.ow * c.cout, seed: 14)
            func loss(_ x: [Double], _ wt: [Double], _ b: [Double]) -> Double {
                let y = convForwardDouble(c, x, wt, b)
                return zip(y, r).reduce(0) { $0 + $1.0 * Double($1.1) }
            }
            let pool = BufferPool()
            defer { pool.free() }
            let dx = pool.filled(x.count), dw = pool.filled(wt.count), db = pool.filled(b.count)
            let xf = x.map(Float.init), wf = wt.map(Float.init)
            conv2DBackwardInputReference(outputGradient: pool.ro(r), batch: c.n, height: c.h, width: c.w, inChannels: c.cin,
                                         weight: pool.ro(wf), outChannels: c.cout, geometry: c.g, inputGradient: dx)
            conv2DBackwardWeightReference(input: pool.ro(xf), outputGradient: pool.ro(r), batch: c.n, height: c.h, width: c.w,
                                          inChannels: c.cin, outChannels: c.cout, geometry: c.g, weightGradient: dw)
            conv2DBackwardBiasReference(outputGradient: pool.ro(r), rows: c.n * c.oh * c.ow, outChannels: c.cout,
                                        biasGradient: db)
            let hStep = 1e-3
            func fd(_ f: (Double) -> Double) -> Double { (f(hStep) - f(-hStep)) / (2 * hStep) }
            for i in stride(from: 0, to: x.count, by: max(1, x.count / 23)) {
                let g = fd { d in var xx = x; xx[i] += d; return loss(xx, wt, b) }
                #expect(abs(g - Double(dx[i])) <= 1e-4 * (1 + abs(g)), "\(c) dx[\(i)] fd \(g) vs \(dx[i])")
            }
            for i in stride(from: 0, to: wt.count, by: max(1, wt.count / 23)) {
                let g = fd { d in var ww = wt; ww[i] += d; return loss(x, ww, b) }
                #expect(abs(g - Double(dw[i])) <= 1e-4 * (1 + abs(g)), "\(c) dw[\(i)] fd \(g) vs \(dw[i])")
            }
            for i in 0..<b.count {
                let g = fd { d in var bb = b; bb[i] += d; return loss(x, wt, bb) }
                #expect(abs(g - Double(db[i])) <= 1e-4 * (1 + abs(g)), "\(c) db[\(i)] fd \(g) vs \(db[i])")
            }
        }
    }

    @Test func invalidGeometryThrows() {
        #expect(throws: Conv2DGeometryError.self) { try Conv2DGeometry(kernel: 5).validate(inputHeight: 3, inputWidth: 3) }
        #expect(throws: Conv2DGeometryError.self) { try Conv2DGeometry(kernel: 3, stride: 0).validate(inputHeight: 8, inputWidth: 8) }
        #expect(throws: Conv2DGeometryError.self) { try Conv2DGeometry(kernel: 3, padding: 3).validate(inputHeight: 8, inputWidth: 8) }
        #expect(throws: Never.self) { try Conv2DGeometry(kernel: 3, padding: 1).validate(inputHeight: 1, inputWidth: 1) }
    }
}

/// Double-precision direct convolution for the finite-difference test.
func convForwardDouble(_ c: ConvCase, _ x: [Double], _ wt: [Double], _ b: [Double]) -> [Double] {
    var y = [Double](repeating: 0, count: c.n * c.oh * c.ow * c.cout)
    let g = c.g
    for n in 0..<c.n { for oy in 0..<c.oh { for ox in 0..<c.ow { for co in 0..<c.cout {
        var acc = b[co]
        for ky in 0..<g.kernelHeight { for kx in 0..<g.kernelWidth {
            let ih = oy * g.strideHeight - g.paddingHeight + ky, iw = ox * g.strideWidth - g.paddingWidth + kx
            guard ih >= 0 && ih < c.h && iw >= 0 && iw < c.w else { continue }
            for ci in 0..<c.cin {
                acc += x[((n * c.h + ih) * c.w + iw) * c.cin + ci] * wt[((co * g.kernelHeight + ky) * g.kernelWidth + kx) * c.cin + ci]
            }
        } }
        y[((n * c.oh + oy) * c.ow + ox) * c.cout + co] = acc
    } } } }
    return y
}
