import TLKernelTable

// Depthwise convolution (one KH×KW filter per channel, groups = channels), channels-last,
// threaded, through the backend's kernel table. Shapes (DepthwiseGeometry g):
//
//     input:  [g.batch, g.height, g.width, g.channels]
//     weight: [KH, KW, C]   (tap-major; a layer's [C, KH, KW, 1] weight is transposed first)
//     output: [g.batch, g.outH, g.outW, C]

extension DepthwiseGeometry {
    /// Throws unless every extent is positive and each output pixel's window starts inside
    /// the padded input.
    public func validate() throws {
        guard batch >= 0, height > 0, width > 0, channels > 0, kernelH > 0, kernelW > 0, strideH > 0, strideW > 0,
              padTop >= 0, padLeft >= 0, padTop < kernelH, padLeft < kernelW, outH > 0, outW > 0,
              (outH - 1) * strideH - padTop < height, (outW - 1) * strideW - padLeft < width else {
            throw Conv2DGeometryError(description: "depthwise geometry \(self) is invalid")
        }
    }
}

/// output = clamp(depthwise(input, weight) + bias, lower, upper) (overwritten).
public func depthwiseForward(input: UnsafeBufferPointer<Float>, weight: UnsafeBufferPointer<Float>, bias: UnsafeBufferPointer<Float>?,
                             geometry g: DepthwiseGeometry, lower: Float = -.infinity, upper: Float = .infinity,
                             output: UnsafeMutableBufferPointer<Float>) {
    depthwiseForward(.current, input: input, weight: weight, bias: bias, geometry: g, lower: lower, upper: upper, output: output)
}

func depthwiseForward(_ ctx: KernelContext, input: UnsafeBufferPointer<Float>, weight: UnsafeBufferPointer<Float>,
                      bias: UnsafeBufferPointer<Float>?, geometry g: DepthwiseGeometry, lower: Float, upper: Float,
                      output: UnsafeMutableBufferPointer<Float>) {
    let rows = g.batch * g.outH
    guard rows > 0 else { return }
    precondition((try? g.validate()) != nil && input.count >= g.batch * g.height * g.width * g.channels
                 && weight.count >= g.kernelH * g.kernelW * g.channels && output.count >= rows * g.outW * g.channels
                 && (bias == nil || bias!.count >= g.channels), "depthwiseForward: buffer smaller than its shape")
    let x = input.baseAddress!, w = weight.baseAddress!, b = bias?.baseAddress, o = output.baseAddress!
    let threads = ctx.threadsFor(work: rows * g.outW * g.channels * g.kernelH * g.kernelW, maxChunks: rows)
    let kernel = ctx.backend.kernels.depthwiseForwardRows
    parallelFor(threads) { t in
        let r = chunkRange(t, parts: threads, units: rows)
        if !r.isEmpty { kernel(x, g, w, b, lower, upper, r, o) }
    }
}

/// inputGradient (overwritten) = the adjoint of `depthwiseForward` (no bias, no clamp) applied to outputGradient.
public func depthwiseBackwardInput(outputGradient: UnsafeBufferPointer<Float>, weight: UnsafeBufferPointer<Float>,
                                   geometry g: DepthwiseGeometry, inputGradient: UnsafeMutableBufferPointer<Float>) {
    depthwiseBackwardInput(.current, outputGradient: outputGradient, weight: weight, geometry: g, inputGradient: inputGradient)
}

func depthwiseBackwardInput(_ ctx: KernelContext, outputGradient: UnsafeBufferPointer<Float>, weight: UnsafeBufferPointer<Float>,
                            geometry g: DepthwiseGeometry, inputGradient: UnsafeMutableBufferPointer<Float>) {
    let size = g.height * g.width * g.channels
    guard g.batch > 0 else { return }
    precondition((try? g.validate()) != nil && outputGradient.count >= g.batch * g.outH * g.outW * g.channels
                 && inputGradient.count >= g.batch * size, "depthwiseBackwardInput: buffer smaller than its shape")
    let dy = outputGradient.baseAddress!, w = weight.baseAddress!, dx = inputGradient.baseAddress!
    let threads = ctx.threadsFor(work: g.batch * g.outH * g.outW * g.channels * g.kernelH * g.kernelW, maxChunks: g.batch)
    let kernel = ctx.backend.kernels.depthwiseBackwardInputImages
    parallelFor(threads) { t in
        let r = chunkRange(t, parts: threads, units: g.batch)
        if !r.isEmpty { kernel(dy, g, w, r, dx) }
    }
}

/// weightGradient [KH, KW, C] = Σ over images and output pixels of outputGradient · input tap (overwritten).
public func depthwiseBackwardWeight(input: UnsafeBufferPointer<Float>, outputGradient: UnsafeBufferPointer<Float>,
                                    geometry g: DepthwiseGeometry, weightGradient: UnsafeMutableBufferPointer<Float>) {
    depthwiseBackwardWeight(.current, input: input, outputGradient: outputGradient, geometry: g, weightGradient: weightGradient)
}

func depthwiseBackwardWeight(_ ctx: KernelContext, input: UnsafeBufferPointer<Float>, outputGradient: UnsafeBufferPointer<Float>,
                             geometry g: DepthwiseGeometry, weightGradient: UnsafeMutableBufferPointer<Float>) {
    let taps = g.kernelH * g.kernelW * g.channels
    precondition(weightGradient.count >= taps, "depthwiseBackwardWeight: buffer smaller than its shape")
    weightGradient.baseAddress!.update(repeating: 0, count: taps)
    guard g.batch > 0 else { return }
    precondition((try? g.validate()) != nil && input.count >= g.batch * g.height * g.width * g.channels
                 && outputGradient.count >= g.batch * g.outH * g.outW * g.channels, "depthwiseBackwardWeight: buffer smaller than its shape")
    let x = input.baseAddress!, dy = outputGradient.baseAddress!
    let threads = ctx.threadsFor(work: g.batch * g.outH * g.outW * g.channels * g.kernelH * g.kernelW, maxChunks: g.batch)
    let kernel = ctx.backend.kernels.depthwiseBackwardWeightImages
    // One partial sum per thread, added in thread order (deterministic for a thread count).
    let partials = UnsafeMutablePointer<Float>.allocate(capacity: threads * taps)
    defer { partials.deallocate() }
    partials.update(repeating: 0, count: threads * taps)
    parallelFor(threads) { t in
        let r = chunkRange(t, parts: threads, units: g.batch)
        if !r.isEmpty { kernel(x, dy, g, r, partials + t * taps) }
    }
    for t in 0..<threads { for i in 0..<taps { weightGradient[i] += partials[t * taps + i] } }
}
