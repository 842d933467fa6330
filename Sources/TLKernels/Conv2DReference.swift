// Naive twins of the convolution passes (direct loops, Double accumulation).
// Shapes as in Conv2DPasses.swift.

/// Naive twin of `conv2DForward`.
public func conv2DForwardReference(input: UnsafeBufferPointer<Float>, batch: Int, height: Int, width: Int, inChannels: Int,
                                   weight: UnsafeBufferPointer<Float>, bias: UnsafeBufferPointer<Float>?, outChannels: Int,
                                   geometry g: Conv2DGeometry, output: UnsafeMutableBufferPointer<Float>) {
    let oh = g.outputHeight(inputHeight: height), ow = g.outputWidth(inputWidth: width)
    let kh = g.kernelHeight, kw = g.kernelWidth
    for n in 0..<batch {
        for y in 0..<oh {
            for x in 0..<ow {
                for co in 0..<outChannels {
                    var acc = bias.map { Double($0[co]) } ?? 0
                    for ky in 0..<kh {
                        let ih = y * g.strideHeight - g.paddingHeight + ky
                        guard ih >= 0 && ih < height else { continue }
                        for kx in 0..<kw {
                            let iw = x * g.strideWidth - g.paddingWidth + kx
                            guard iw >= 0 && iw < width else { continue }
                            for ci in 0..<inChannels {
                                acc += Double(input[((n * height + ih) * width + iw) * inChannels + ci])
                                    * Double(weight[((co * kh + ky) * kw + kx) * inChannels + ci])
                            }
                        }
                    }
                    output[((n * oh + y) * ow + x) * outChannels + co] = Float(acc)
                }
            }
        }
    }
}

/// Naive twin of `conv2DBackwardInput` (scatter form of the forward loops).
public func conv2DBackwardInputReference(outputGradient: UnsafeBufferPointer<Float>, batch: Int, height: Int, width: Int,
                                         inChannels: Int, weight: UnsafeBufferPointer<Float>, outChannels: Int,
                                         geometry g: Conv2DGeometry, inputGradient: UnsafeMutableBufferPointer<Float>) {
    let oh = g.outputHeight(inputHeight: height), ow = g.outputWidth(inputWidth: width)
    let kh = g.kernelHeight, kw = g.kernelWidth
    var acc = [Double](repeating: 0, count: batch * height * width * inChannels)
    for n in 0..<batch {
        for y in 0..<oh {
            for x in 0..<ow {
                for co in 0..<outChannels {
                    let d = Double(outputGradient[((n * oh + y) * ow + x) * outChannels + co])
                    for ky in 0..<kh {
                        let ih = y * g.strideHeight - g.paddingHeight + ky
                        guard ih >= 0 && ih < height else { continue }
                        for kx in 0..<kw {
                            let iw = x * g.strideWidth - g.paddingWidth + kx
                            guard iw >= 0 && iw < width else { continue }
                            for ci in 0..<inChannels {
                                acc[((n * height + ih) * width + iw) * inChannels + ci]
                                    += d * Double(weight[((co * kh + ky) * kw + kx) * inChannels + ci])
                            }
                        }
                    }
                }
            }
        }
    }
    for i in acc.indices { inputGradient[i] = Float(acc[i]) }
}

/// Naive twin of `conv2DBackwardWeight`.
public func conv2DBackwardWeightReference(input: UnsafeBufferPointer<Float>, outputGradient: UnsafeBufferPointer<Float>,
                                          batch: Int, height: Int, width: Int, inChannels: Int, outChannels: Int,
                                          geometry g: Conv2DGeometry, weightGradient: UnsafeMutableBufferPointer<Float>) {
    let oh = g.outputHeight(inputHeight: height), ow = g.outputWidth(inputWidth: width)
    let kh = g.kernelHeight, kw = g.kernelWidth
    var acc = [Double](repeating: 0, count: outChannels * kh * kw * inChannels)
    for n in 0..<batch {
        for y in 0..<oh {
            for x in 0..<ow {
                for co in 0..<outChannels {
                    let d = Double(outputGradient[((n * oh + y) * ow + x) * outChannels + co])
                    for ky in 0..<kh {
                        let ih = y * g.strideHeight - g.paddingHeight + ky
                        guard ih >= 0 && ih < height else { continue }
                        for kx in 0..<kw {
                            let iw = x * g.strideWidth - g.paddingWidth + kx
                            guard iw >= 0 && iw < width else { continue }
                            for ci in 0..<inChannels {
                                acc[((co * kh + ky) * kw + kx) * inChannels + ci]
                                    += d * Double(input[((n * height + ih) * width + iw) * inChannels + ci])
                            }
                        }
                    }
                }
            }
        }
    }
    for i in acc.indices { weightGradient[i] = Float(acc[i]) }
}

/// Naive twin of `conv2DBackwardBias`.
public func conv2DBackwardBiasReference(outputGradient: UnsafeBufferPointer<Float>, rows: Int, outChannels: Int,
                                        biasGradient: UnsafeMutableBufferPointer<Float>) {
    for co in 0..<outChannels {
        var s = 0.0
        for r in 0..<rows { s += Double(outputGradient[r * outChannels + co]) }
        biasGradient[co] = Float(s)
    }
}
