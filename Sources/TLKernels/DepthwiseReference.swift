import TLKernelTable

// Naive twins of the depthwise passes (direct loops over every tap with explicit bounds
// checks, Double accumulation). Shapes as in Depthwise.swift.

/// Naive twin of `depthwiseForward` (no clamp).
public func depthwiseForwardReference(input: UnsafeBufferPointer<Float>, weight: UnsafeBufferPointer<Float>,
                                      bias: UnsafeBufferPointer<Float>?, geometry g: DepthwiseGeometry,
                                      output: UnsafeMutableBufferPointer<Float>) {
    for n in 0..<g.batch {
        for oy in 0..<g.outH {
            for ox in 0..<g.outW {
                for c in 0..<g.channels {
                    var acc = bias.map { Double($0[c]) } ?? 0
                    for ky in 0..<g.kernelH {
                        for kx in 0..<g.kernelW {
                            let iy = oy * g.strideH - g.padTop + ky, ix = ox * g.strideW - g.padLeft + kx
                            guard iy >= 0, iy < g.height, ix >= 0, ix < g.width else { continue }
                            acc += Double(input[((n * g.height + iy) * g.width + ix) * g.channels + c])
                                * Double(weight[(ky * g.kernelW + kx) * g.channels + c])
                        }
                    }
                    output[((n * g.outH + oy) * g.outW + ox) * g.channels + c] = Float(acc)
                }
            }
        }
    }
}

/// Naive twins of `depthwiseBackwardInput` and `depthwiseBackwardWeight` (scatter form).
public func depthwiseBackwardReference(input: UnsafeBufferPointer<Float>, weight: UnsafeBufferPointer<Float>,
                                       outputGradient: UnsafeBufferPointer<Float>, geometry g: DepthwiseGeometry,
                                       inputGradient: UnsafeMutableBufferPointer<Float>,
                                       weightGradient: UnsafeMutableBufferPointer<Float>) {
    var dx = [Double](repeating: 0, count: g.batch * g.height * g.width * g.channels)
    var dw = [Double](repeating: 0, count: g.kernelH * g.kernelW * g.channels)
    for n in 0..<g.batch {
        for oy in 0..<g.outH {
            for ox in 0..<g.outW {
                for c in 0..<g.channels {
                    let d = Double(outputGradient[((n * g.outH + oy) * g.outW + ox) * g.channels + c])
                    for ky in 0..<g.kernelH {
                        for kx in 0..<g.kernelW {
                            let iy = oy * g.strideH - g.padTop + ky, ix = ox * g.strideW - g.padLeft + kx
                            guard iy >= 0, iy < g.height, ix >= 0, ix < g.width else { continue }
                            let xi = ((n * g.height + iy) * g.width + ix) * g.channels + c
                            let wi = (ky * g.kernelW + kx) * g.channels + c
                            dx[xi] += d * Double(weight[wi])
                            dw[wi] += d * Double(input[xi])
                        }
                    }
                }
            }
        }
    }
    for i in dx.indices { inputGradient[i] = Float(dx[i]) }
    for i in dw.indices { weightGradient[i] = Float(dw[i]) }
}
