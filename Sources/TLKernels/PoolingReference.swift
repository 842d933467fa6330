// Naive twins of the pooling kernels (plain index arithmetic per element, Double sums).

/// Naive twin of `maxPool2DForward` (same tie rule: first maximum in window order; NaN wins).
public func maxPool2DForwardReference(input: UnsafeBufferPointer<Float>, batch: Int, height: Int, width: Int, channels: Int,
                                      geometry g: Conv2DGeometry, output: UnsafeMutableBufferPointer<Float>,
                                      argmax: UnsafeMutableBufferPointer<Int32>) {
    let oh = g.outputHeight(inputHeight: height), ow = g.outputWidth(inputWidth: width)
    for n in 0..<batch { for y in 0..<oh { for x in 0..<ow { for c in 0..<channels {
        var best = -Float.infinity, bestIndex = -1
        for ky in 0..<g.kernelHeight { for kx in 0..<g.kernelWidth {
            let ih = y * g.strideHeight - g.paddingHeight + ky, iw = x * g.strideWidth - g.paddingWidth + kx
            guard ih >= 0 && ih < height && iw >= 0 && iw < width else { continue }
            let v = input[((n * height + ih) * width + iw) * channels + c]
            if bestIndex < 0 || v > best || (v.isNaN && !best.isNaN) { best = v; bestIndex = ih * width + iw }
        } }
        let o = ((n * oh + y) * ow + x) * channels + c
        output[o] = best
        argmax[o] = Int32(bestIndex)
    } } } }
}

/// Naive twin of `maxPool2DBackward`.
public func maxPool2DBackwardReference(outputGradient: UnsafeBufferPointer<Float>, argmax: UnsafeBufferPointer<Int32>,
                                       batch: Int, height: Int, width: Int, channels: Int, geometry g: Conv2DGeometry,
                                       inputGradient: UnsafeMutableBufferPointer<Float>) {
    let oh = g.outputHeight(inputHeight: height), ow = g.outputWidth(inputWidth: width)
    var acc = [Double](repeating: 0, count: batch * height * width * channels)
    for n in 0..<batch { for o in 0..<(oh * ow) { for c in 0..<channels {
        let i = (n * oh * ow + o) * channels + c
        acc[(n * height * width + Int(argmax[i])) * channels + c] += Double(outputGradient[i])
    } } }
    for i in acc.indices { inputGradient[i] = Float(acc[i]) }
}

/// Naive twin of `avgPool2DForward`.
public func avgPool2DForwardReference(input: UnsafeBufferPointer<Float>, batch: Int, height: Int, width: Int, channels: Int,
                                      geometry g: Conv2DGeometry, output: UnsafeMutableBufferPointer<Float>) {
    let oh = g.outputHeight(inputHeight: height), ow = g.outputWidth(inputWidth: width)
    for n in 0..<batch { for y in 0..<oh { for x in 0..<ow { for c in 0..<channels {
        var s = 0.0, count = 0
        for ky in 0..<g.kernelHeight { for kx in 0..<g.kernelWidth {
            let ih = y * g.strideHeight - g.paddingHeight + ky, iw = x * g.strideWidth - g.paddingWidth + kx
            guard ih >= 0 && ih < height && iw >= 0 && iw < width else { continue }
            s += Double(input[((n * height + ih) * width + iw) * channels + c]); count += 1
        } }
        output[((n * oh + y) * ow + x) * channels + c] = Float(s / Double(count))
    } } } }
}

/// Naive twin of `avgPool2DBackward`.
public func avgPool2DBackwardReference(outputGradient: UnsafeBufferPointer<Float>, batch: Int, height: Int, width: Int,
                                       channels: Int, geometry g: Conv2DGeometry, inputGradient: UnsafeMutableBufferPointer<Float>) {
    let oh = g.outputHeight(inputHeight: height), ow = g.outputWidth(inputWidth: width)
    var acc = [Double](repeating: 0, count: batch * height * width * channels)
    for n in 0..<batch { for y in 0..<oh { for x in 0..<ow { for c in 0..<channels {
        var cells: [Int] = []
        for ky in 0..<g.kernelHeight { for kx in 0..<g.kernelWidth {
            let ih = y * g.strideHeight - g.paddingHeight + ky, iw = x * g.strideWidth - g.paddingWidth + kx
            if ih >= 0 && ih < height && iw >= 0 && iw < width { cells.append((n * height + ih) * width + iw) }
        } }
        let d = Double(outputGradient[((n * oh + y) * ow + x) * channels + c]) / Double(cells.count)
        for cell in cells { acc[cell * channels + c] += d }
    } } } }
    for i in acc.indices { inputGradient[i] = Float(acc[i]) }
}
