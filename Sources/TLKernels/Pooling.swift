// Max and average pooling, forward and backward, on channels-last buffers.
// x: [batch, height, width, channels] → y: [batch, OH, OW, channels], OH/OW from Conv2DGeometry.
// Inner loops run over the contiguous channel axis (auto-vectorised); images are split
// across threads. Padding never contributes: max ignores it, the average divides by the
// number of in-bounds elements of each window.

/// y = max over each window; argmax[i] = spatial index ih·width + iw (within its image) of
/// the first maximum, saved for the backward pass. NaN propagates (a NaN input wins).
/// - argmax: same shape as y.
public func maxPool2DForward(input: UnsafeBufferPointer<Float>, batch: Int, height: Int, width: Int, channels: Int,
                             geometry g: Conv2DGeometry, output: UnsafeMutableBufferPointer<Float>,
                             argmax: UnsafeMutableBufferPointer<Int32>) {
    g.check(height: height, width: width)
    let oh = g.outputHeight(inputHeight: height), ow = g.outputWidth(inputWidth: width)
    precondition(input.count >= batch * height * width * channels && output.count >= batch * oh * ow * channels
                 && argmax.count >= batch * oh * ow * channels && height * width <= Int(Int32.max),
                 "maxPool2DForward: buffer smaller than its shape")
    guard batch > 0, channels > 0 else { return }
    let xp = input.baseAddress!, yp = output.baseAddress!, ip = argmax.baseAddress!
    let ctx = KernelContext.current
    let threads = ctx.threadsFor(work: batch * oh * ow * channels * g.kernelHeight * g.kernelWidth, maxChunks: batch)
    parallelFor(threads) { t in
        for n in chunkRange(t, parts: threads, units: batch) {
            for y in 0..<oh {
                for x in 0..<ow {
                    let o = ((n * oh + y) * ow + x) * channels
                    let yo = yp + o, io = ip + o
                    var first = true
                    for ky in 0..<g.kernelHeight {
                        let ih = y * g.strideHeight - g.paddingHeight + ky
                        guard ih >= 0 && ih < height else { continue }
                        for kx in 0..<g.kernelWidth {
                            let iw = x * g.strideWidth - g.paddingWidth + kx
                            guard iw >= 0 && iw < width else { continue }
                            let src = xp + ((n * height + ih) * width + iw) * channels
                            let idx = Int32(ih * width + iw)
                            if first {
                                for c in 0..<channels { yo[c] = src[c]; io[c] = idx }
                                first = false
                            } else {
                                for c in 0..<channels {
                                    let v = src[c]
                                    // v > current, or v is NaN and current is not: NaN wins.
                                    if v > yo[c] || (v != v && yo[c] == yo[c]) { yo[c] = v; io[c] = idx }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// inputGradient = scatter of outputGradient to the saved argmax positions (overwritten;
/// overlapping windows accumulate). Shapes as in `maxPool2DForward`.
public func maxPool2DBackward(outputGradient: UnsafeBufferPointer<Float>, argmax: UnsafeBufferPointer<Int32>,
                              batch: Int, height: Int, width: Int, channels: Int, geometry g: Conv2DGeometry,
                              inputGradient: UnsafeMutableBufferPointer<Float>) {
    g.check(height: height, width: width)
    let oh = g.outputHeight(inputHeight: height), ow = g.outputWidth(inputWidth: width)
    let perImageOut = oh * ow * channels, perImageIn = height * width * channels
    precondition(outputGradient.count >= batch * perImageOut && argmax.count >= batch * perImageOut
                 && inputGradient.count >= batch * perImageIn, "maxPool2DBackward: buffer smaller than its shape")
    guard batch > 0, channels > 0 else { return }
    let gp = outputGradient.baseAddress!, ip = argmax.baseAddress!, dp = inputGradient.baseAddress!
    let ctx = KernelContext.current
    let threads = ctx.threadsFor(work: batch * (perImageOut + perImageIn) * 4, maxChunks: batch)
    parallelFor(threads) { t in
        for n in chunkRange(t, parts: threads, units: batch) {
            let dimg = dp + n * perImageIn
            dimg.update(repeating: 0, count: perImageIn)
            for o in 0..<(oh * ow) {
                let base = n * perImageOut + o * channels
                for c in 0..<channels {
                    let s = Int(ip[base + c])
                    precondition(s >= 0 && s < height * width, "maxPool2DBackward: argmax index out of range")
                    dimg[s * channels + c] += gp[base + c]
                }
            }
        }
    }
}

/// y = mean over the in-bounds elements of each window. Shapes as in `maxPool2DForward`.
public func avgPool2DForward(input: UnsafeBufferPointer<Float>, batch: Int, height: Int, width: Int, channels: Int,
                             geometry g: Conv2DGeometry, output: UnsafeMutableBufferPointer<Float>) {
    g.check(height: height, width: width)
    let oh = g.outputHeight(inputHeight: height), ow = g.outputWidth(inputWidth: width)
    precondition(input.count >= batch * height * width * channels && output.count >= batch * oh * ow * channels,
                 "avgPool2DForward: buffer smaller than its shape")
    guard batch > 0, channels > 0 else { return }
    let xp = input.baseAddress!, yp = output.baseAddress!
    let ctx = KernelContext.current
    let threads = ctx.threadsFor(work: batch * oh * ow * channels * g.kernelHeight * g.kernelWidth, maxChunks: batch)
    parallelFor(threads) { t in
        for n in chunkRange(t, parts: threads, units: batch) {
            for y in 0..<oh {
                for x in 0..<ow {
                    let yo = yp + ((n * oh + y) * ow + x) * channels
                    yo.update(repeating: 0, count: channels)
                    var count = 0
                    for ky in 0..<g.kernelHeight {
                        let ih = y * g.strideHeight - g.paddingHeight + ky
                        guard ih >= 0 && ih < height else { continue }
                        for kx in 0..<g.kernelWidth {
                            let iw = x * g.strideWidth - g.paddingWidth + kx
                            guard iw >= 0 && iw < width else { continue }
                            let src = xp + ((n * height + ih) * width + iw) * channels
                            for c in 0..<channels { yo[c] += src[c] }
                            count += 1
                        }
                    }
                    let inv = 1 / Float(count)
                    for c in 0..<channels { yo[c] *= inv }
                }
            }
        }
    }
}

/// inputGradient: each window's outputGradient spread evenly over its in-bounds elements
/// (overwritten; overlapping windows accumulate). Shapes as in `avgPool2DForward`.
public func avgPool2DBackward(outputGradient: UnsafeBufferPointer<Float>, batch: Int, height: Int, width: Int,
                              channels: Int, geometry g: Conv2DGeometry, inputGradient: UnsafeMutableBufferPointer<Float>) {
    g.check(height: height, width: width)
    let oh = g.outputHeight(inputHeight: height), ow = g.outputWidth(inputWidth: width)
    precondition(outputGradient.count >= batch * oh * ow * channels && inputGradient.count >= batch * height * width * channels,
                 "avgPool2DBackward: buffer smaller than its shape")
    guard batch > 0, channels > 0 else { return }
    let gp = outputGradient.baseAddress!, dp = inputGradient.baseAddress!
    let ctx = KernelContext.current
    let threads = ctx.threadsFor(work: batch * oh * ow * channels * g.kernelHeight * g.kernelWidth, maxChunks: batch)
    parallelFor(threads) { t in
        for n in chunkRange(t, parts: threads, units: batch) {
            (dp + n * height * width * channels).update(repeating: 0, count: height * width * channels)
            for y in 0..<oh {
                for x in 0..<ow {
                    let go = gp + ((n * oh + y) * ow + x) * channels
                    let ih0 = y * g.strideHeight - g.paddingHeight, iw0 = x * g.strideWidth - g.paddingWidth
                    let h0 = max(ih0, 0), h1 = min(ih0 + g.kernelHeight, height)
                    let w0 = max(iw0, 0), w1 = min(iw0 + g.kernelWidth, width)
                    let inv = 1 / Float((h1 - h0) * (w1 - w0))
                    for ih in h0..<h1 {
                        for iw in w0..<w1 {
                            let d = dp + ((n * height + ih) * width + iw) * channels
                            for c in 0..<channels { d[c] += go[c] * inv }
                        }
                    }
                }
            }
        }
    }
}
