import Testing
@testable import TLKernels

@Suite struct PoolingTests {
    static let cases: [(Int, Int, Int, Int, Conv2DGeometry)] = [
        (2, 7, 5, 3, Conv2DGeometry(kernel: 2, stride: 2)),
        (1, 9, 9, 17, Conv2DGeometry(kernel: 3, stride: 2, padding: 1)),
        (3, 6, 8, 1, Conv2DGeometry(kernel: 3, stride: 1, padding: 1)),
        (2, 5, 7, 4, Conv2DGeometry(kernelHeight: 2, kernelWidth: 3, strideHeight: 1, strideWidth: 2)),
    ]

    /// Max pooling selects values exactly (no arithmetic): results and argmax must be equal;
    /// the backward pass sums at most KH·KW gradients per input element, in the same order as
    /// the Double reference up to rounding: tolerance (KH·KW)·u·Σ|dy|.
    @Test func maxPoolMatchesReference() {
        let pool = BufferPool()
        defer { pool.free() }
        for (n, h, w, c, g) in Self.cases {
            let oh = g.outputHeight(inputHeight: h), ow = g.outputWidth(inputWidth: w)
            // Quantised values make ties common, exercising the first-maximum rule.
            let x = randomArray(n * h * w * c, seed: 3).map { ($0 * 4).rounded() }
            let dy = randomArray(n * oh * ow * c, seed: 4)
            let y = pool.filled(dy.count), yRef = pool.filled(dy.count)
            let idx = pool.int32(dy.count), idxRef = pool.int32(dy.count)
            maxPool2DForward(input: pool.ro(x), batch: n, height: h, width: w, channels: c, geometry: g, output: y, argmax: idx)
            maxPool2DForwardReference(input: pool.ro(x), batch: n, height: h, width: w, channels: c, geometry: g,
                                      output: yRef, argmax: idxRef)
            #expect(Array(y) == Array(yRef) && Array(idx) == Array(idxRef), "max pool \(n) \(h)x\(w)x\(c) \(g)")
            let dx = pool.filled(x.count), dxRef = pool.filled(x.count)
            maxPool2DBackward(outputGradient: pool.ro(dy), argmax: UnsafeBufferPointer(idx), batch: n, height: h, width: w,
                              channels: c, geometry: g, inputGradient: dx)
            maxPool2DBackwardReference(outputGradient: pool.ro(dy), argmax: UnsafeBufferPointer(idxRef), batch: n,
                                       height: h, width: w, channels: c, geometry: g, inputGradient: dxRef)
            let tol = Float(g.kernelHeight * g.kernelWidth + 2) * unitRoundoff * Float(g.kernelHeight * g.kernelWidth)
            for i in 0..<x.count { #expect(abs(dx[i] - dxRef[i]) <= tol, "max pool bwd \(g) [\(i)]") }
        }
    }

    /// Average pooling: sums of ≤ KH·KW terms then one multiply: (KH·KW + 2)·u relative to Σ|·|.
    @Test func avgPoolMatchesReference() {
        let pool = BufferPool()
        defer { pool.free() }
        for (n, h, w, c, g) in Self.cases {
            let oh = g.outputHeight(inputHeight: h), ow = g.outputWidth(inputWidth: w)
            let x = randomArray(n * h * w * c, seed: 5), dy = randomArray(n * oh * ow * c, seed: 6)
            let y = pool.filled(dy.count), yRef = pool.filled(dy.count)
            avgPool2DForward(input: pool.ro(x), batch: n, height: h, width: w, channels: c, geometry: g, output: y)
            avgPool2DForwardReference(input: pool.ro(x), batch: n, height: h, width: w, channels: c, geometry: g, output: yRef)
            let dx = pool.filled(x.count), dxRef = pool.filled(x.count)
            avgPool2DBackward(outputGradient: pool.ro(dy), batch: n, height: h, width: w, channels: c, geometry: g,
                              inputGradient: dx)
            avgPool2DBackwardReference(outputGradient: pool.ro(dy), batch: n, height: h, width: w, channels: c,
                                       geometry: g, inputGradient: dxRef)
            let kk = Float(g.kernelHeight * g.kernelWidth)
            let tol = (kk + 2) * unitRoundoff * kk  // values in [-1, 1]: Σ|·| ≤ KH·KW
            for i in 0..<dy.count { #expect(abs(y[i] - yRef[i]) <= tol, "avg pool \(g)") }
            for i in 0..<x.count { #expect(abs(dx[i] - dxRef[i]) <= tol, "avg pool bwd \(g)") }
        }
    }

    /// Average-pool backward is the adjoint of the forward map: ⟨avg(x), dy⟩ = ⟨x, avgᵀ(dy)⟩.
    @Test func avgPoolBackwardIsAdjoint() {
        let pool = BufferPool()
        defer { pool.free() }
        let (n, h, w, c, g) = Self.cases[1]
        let oh = g.outputHeight(inputHeight: h), ow = g.outputWidth(inputWidth: w)
        let x = randomArray(n * h * w * c, seed: 8), dy = randomArray(n * oh * ow * c, seed: 9)
        let y = pool.filled(dy.count), dx = pool.filled(x.count)
        avgPool2DForward(input: pool.ro(x), batch: n, height: h, width: w, channels: c, geometry: g, output: y)
        avgPool2DBackward(outputGradient: pool.ro(dy), batch: n, height: h, width: w, channels: c, geometry: g, inputGradient: dx)
        var lhs = 0.0, rhs = 0.0
        for i in 0..<dy.count { lhs += Double(y[i]) * Double(dy[i]) }
        for i in 0..<x.count { rhs += Double(x[i]) * Double(dx[i]) }
        #expect(abs(lhs - rhs) <= 1e-4 * (1 + abs(lhs)))
    }
}
