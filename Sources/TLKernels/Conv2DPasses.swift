import TLKernelTable

// Convolution forward and backward passes (channels-last), threaded, on raw buffers.
// The im2col matrix is never stored (the facts file measured a materialised im2col at
// 23–29 GFLOPS, copy-dominated): the forward pass reads receptive fields straight from a
// zero-padded copy of the input, in the forward pass and in the weight gradient.

/// output = conv(input, weight) + bias.
/// - input: [batch, height, width, inChannels]; weight: [outChannels, KH, KW, inChannels]
/// - bias: [outChannels] or nil; output: [batch, OH, OW, outChannels] (overwritten)
public func conv2DForward(input: UnsafeBufferPointer<Float>, batch: Int, height: Int, width: Int, inChannels: Int,
                          weight: UnsafeBufferPointer<Float>, bias: UnsafeBufferPointer<Float>?, outChannels: Int,
                          geometry: Conv2DGeometry, output: UnsafeMutableBufferPointer<Float>) {
    conv2DForward(.current, input: input, batch: batch, height: height, width: width, inChannels: inChannels,
                  weight: weight, bias: bias, outChannels: outChannels, geometry: geometry, output: output)
}

func conv2DForward(_ ctx: KernelContext, input: UnsafeBufferPointer<Float>, batch: Int, height: Int, width: Int,
                   inChannels: Int, weight: UnsafeBufferPointer<Float>, bias: UnsafeBufferPointer<Float>?,
                   outChannels: Int, geometry g: Conv2DGeometry, output: UnsafeMutableBufferPointer<Float>) {
    g.check(height: height, width: width)
    let oh = g.outputHeight(inputHeight: height), ow = g.outputWidth(inputWidth: width)
    let m = batch * oh * ow, k = g.kernelHeight * g.kernelWidth * inChannels
    guard m > 0, outChannels > 0 else { return }
    precondition(inChannels > 0 && input.count >= batch * height * width * inChannels && weight.count >= outChannels * k
                 && output.count >= m * outChannels && (bias == nil || bias!.count >= outChannels),
                 "conv2DForward: buffer smaller than its shape")
    let wp = weight.baseAddress!, bp = bias?.baseAddress, op = output.baseAddress!
    // The kernels read receptive fields straight from a zero-padded input (plus read slack;
    // see convForwardDirectRows). Whole images per thread: each thread pads a few of its
    // images at a time into a buffer that stays in its L2 (PaddedImageGroups).
    let rows = batch * oh
    let threads = ctx.threadsFor(work: 2 * m * k * outChannels, maxChunks: rows)
    if PaddedImageGroups.splitsEvenly(batch: batch, threads: threads)
        && PaddedImageGroups.pay(batch: batch, height: height, width: width, channels: inChannels, geometry: g) {
        let imageThreads = min(threads, batch)
        let groups = PaddedImageGroups(ctx, batch: batch, height: height, width: width, channels: inChannels, geometry: g,
                                       threads: imageThreads)
        defer { groups.deallocate() }
        parallelFor(imageThreads) { t in
            groups.forEachGroup(thread: t, input: input.baseAddress!) { images, n0, count in
                backendConvForwardDirectRows(ctx.backend, xp: images, paddedHeight: groups.height, paddedWidth: groups.width,
                                             channels: inChannels, g: g, outH: oh, outW: ow, weight: wp, bias: bp,
                                             outChannels: outChannels, rowStart: 0, rowEnd: count * oh,
                                             out: op + n0 * oh * ow * outChannels)
            }
        }
        return
    }
    // Few images for the threads: split output rows over one padded copy of the batch.
    let padded = PaddedInput(ctx, input: input.baseAddress!, batch: batch, height: height, width: width,
                             channels: inChannels, geometry: g)
    defer { padded.pointer.deallocate() }
    let hp = padded.height, wpad = padded.width
    parallelFor(threads) { t in
        let r = chunkRange(t, parts: threads, units: rows)
        backendConvForwardDirectRows(ctx.backend, xp: padded.pointer, paddedHeight: hp, paddedWidth: wpad, channels: inChannels,
                                     g: g, outH: oh, outW: ow, weight: wp, bias: bp, outChannels: outChannels,
                                     rowStart: r.lowerBound, rowEnd: r.upperBound, out: op)
    }
}

/// weightGradient = Σ over batch and output pixels of outputGradient ⊗ input patch (overwritten).
/// - input: [batch, height, width, inChannels]; outputGradient: [batch, OH, OW, outChannels]
/// - weightGradient: [outChannels, KH, KW, inChannels]
public func conv2DBackwardWeight(input: UnsafeBufferPointer<Float>, outputGradient: UnsafeBufferPointer<Float>,
                                 batch: Int, height: Int, width: Int, inChannels: Int, outChannels: Int,
                                 geometry: Conv2DGeometry, weightGradient: UnsafeMutableBufferPointer<Float>) {
    conv2DBackwardWeight(.current, input: input, outputGradient: outputGradient, batch: batch, height: height,
                         width: width, inChannels: inChannels, outChannels: outChannels, geometry: geometry,
                         weightGradient: weightGradient)
}

func conv2DBackwardWeight(_ ctx: KernelContext, input: UnsafeBufferPointer<Float>, outputGradient: UnsafeBufferPointer<Float>,
                          batch: Int, height: Int, width: Int, inChannels: Int, outChannels: Int,
                          geometry g: Conv2DGeometry, weightGradient: UnsafeMutableBufferPointer<Float>) {
    g.check(height: height, width: width)
    let oh = g.outputHeight(inputHeight: height), ow = g.outputWidth(inputWidth: width)
    let m = batch * oh * ow, k = g.kernelHeight * g.kernelWidth * inChannels
    guard outChannels > 0, k > 0 else { return }
    precondition(weightGradient.count >= outChannels * k && input.count >= batch * height * width * inChannels
                 && outputGradient.count >= m * outChannels, "conv2DBackwardWeight: buffer smaller than its shape")
    let dwp = weightGradient.baseAddress!
    guard m > 0 else { dwp.update(repeating: 0, count: outChannels * k); return }
    let xp = input.baseAddress!
    // dWᵀ[K, Cout] = Pᵀ·dY with the receptive fields read from a padded input copy and dY
    // read in place (input images padded a few at a time per thread, PaddedImageGroups). The kernel needs Cout to be a multiple of its wide tile (32 on AVX-512,
    // 16 otherwise) or exactly its narrow tile (16 / 8) when Cout is at most that; other
    // widths get a zero-padded copy of dY (each thread copies its own images) and the extra
    // columns are dropped. Images are split across threads, each with its own dWᵀ; the
    // partials are summed in thread order (deterministic for a thread count) and transposed.
    // (Single-channel, stride-1 inputs take any Cout: the backend's pixel-vector kernel.)
    let narrow = backendConvDirectNarrowChannels(ctx.backend)
    let anyWidth = inChannels == 1 && g.strideHeight == 1 && g.strideWidth == 1
    let multiple = anyWidth ? 1 : outChannels <= narrow ? narrow : backendConvDirectChannelMultiple(ctx.backend)
    let coutP = (outChannels + multiple - 1) / multiple * multiple
    let pixels = oh * ow
    let dyCopy: UnsafeMutablePointer<Float>? = coutP != outChannels ? .allocate(capacity: m * coutP) : nil
    defer { dyCopy?.deallocate() }
    let dySource = outputGradient.baseAddress!
    let dyp = dyCopy.map { UnsafePointer($0) } ?? dySource
    let threads = ctx.threadsFor(work: 2 * m * k * outChannels, maxChunks: batch)
    let grouped = PaddedImageGroups.pay(batch: batch, height: height, width: width, channels: inChannels, geometry: g)
    let groups: PaddedImageGroups? = grouped ? PaddedImageGroups(ctx, batch: batch, height: height, width: width,
                                                                  channels: inChannels, geometry: g, threads: threads) : nil
    defer { groups?.deallocate() }
    // Small padded batches: one padded copy, read by every thread.
    let padded: PaddedInput? = grouped ? nil : PaddedInput(ctx, input: xp, batch: batch, height: height, width: width,
                                                          channels: inChannels, geometry: g)
    defer { padded?.pointer.deallocate() }
    let size = coutP * k
    let partial = UnsafeMutablePointer<Float>.allocate(capacity: threads * size)
    defer { partial.deallocate() }
    partial.update(repeating: 0, count: threads * size)
    parallelFor(threads) { t in
        let r = chunkRange(t, parts: threads, units: batch)
        if let copy = dyCopy {
            // Element loop: rows are a few floats, too short for memmove calls.
            for row in (r.lowerBound * pixels)..<(r.upperBound * pixels) {
                let src = dySource + row * outChannels, dst = copy + row * coutP
                for j in 0..<coutP { dst[j] = j < outChannels ? src[j] : 0 }
            }
        }
        // Images in order within the thread, each accumulated into the thread's partial: the
        // same sums as one call over the thread's whole range.
        guard let groups else {
            guard let padded else { return }
            backendConvWeightGradientDirect(ctx.backend, xp: padded.pointer, paddedHeight: padded.height,
                                            paddedWidth: padded.width, channels: inChannels, g: g, outH: oh, outW: ow,
                                            dy: dyp, outChannels: coutP, imageStart: r.lowerBound,
                                            imageEnd: r.upperBound, dwT: partial + t * size)
            return
        }
        groups.forEachGroup(thread: t, input: xp) { images, n0, count in
            backendConvWeightGradientDirect(ctx.backend, xp: images, paddedHeight: groups.height,
                                            paddedWidth: groups.width, channels: inChannels, g: g, outH: oh, outW: ow,
                                            dy: dyp + n0 * pixels * coutP, outChannels: coutP, imageStart: 0,
                                            imageEnd: count, dwT: partial + t * size)
        }
    }
    for t in 1..<max(threads, 1) {
        let s = partial + t * size
        for i in 0..<size { partial[i] += s[i] }
    }
    for q in 0..<k {
        for co in 0..<outChannels { dwp[co * k + q] = partial[q * coutP + co] }
    }
}

/// inputGradient = ∂loss/∂input given outputGradient (overwritten).
/// - outputGradient: [batch, OH, OW, outChannels]; weight: [outChannels, KH, KW, inChannels]
/// - inputGradient: [batch, height, width, inChannels]
/// Stride 1 (and more than half a narrow tile of input channels): a forward convolution of
/// the zero-padded outputGradient with the spatially flipped, channel-transposed weight
/// [inChannels, KH, KW, outChannels] (same fast kernel).
/// Otherwise: per image, GEMM dP = dY·W then scatter-add (col2im), images across threads.
public func conv2DBackwardInput(outputGradient: UnsafeBufferPointer<Float>, batch: Int, height: Int, width: Int,
                                inChannels: Int, weight: UnsafeBufferPointer<Float>, outChannels: Int,
                                geometry: Conv2DGeometry, inputGradient: UnsafeMutableBufferPointer<Float>) {
    conv2DBackwardInput(.current, outputGradient: outputGradient, batch: batch, height: height, width: width,
                        inChannels: inChannels, weight: weight, outChannels: outChannels, geometry: geometry,
                        inputGradient: inputGradient)
}

func conv2DBackwardInput(_ ctx: KernelContext, outputGradient: UnsafeBufferPointer<Float>, batch: Int, height: Int,
                         width: Int, inChannels: Int, weight: UnsafeBufferPointer<Float>, outChannels: Int,
                         geometry g: Conv2DGeometry, inputGradient: UnsafeMutableBufferPointer<Float>) {
    g.check(height: height, width: width)
    let oh = g.outputHeight(inputHeight: height), ow = g.outputWidth(inputWidth: width)
    let kh = g.kernelHeight, kw = g.kernelWidth, k = kh * kw * inChannels
    guard batch > 0, inChannels > 0 else { return }
    precondition(outChannels > 0 && weight.count >= outChannels * k && outputGradient.count >= batch * oh * ow * outChannels
                 && inputGradient.count >= batch * height * width * inChannels, "conv2DBackwardInput: buffer smaller than its shape")
    // The flipped forward convolution computes an output of Cin channels over the whole padded
    // dY (KH·KW·Cout terms each, zero taps included) in tiles at least one vector of
    // channels wide: for few input channels (LeNet's second layer: 6 of a 16-wide tile, and
    // half the taps in the zero border) the GEMM + scatter form below does less work. Up to 8
    // input channels on every backend: on AVX2 (8-wide tiles) LeNet's 6 channels still ran
    // 1.6 ms in GEMM + scatter against 3.0 flipped (two-row tile; Zen 1, one thread, tl-bench
    // lenet-conv2-…-dx), while ResNet's 16 ran 7.3–7.4 flipped against 9.7–13.3.
    if g.strideHeight == 1 && g.strideWidth == 1 && inChannels > max(8, backendConvDirectNarrowChannels(ctx.backend) / 2) {
        // W'[ci, ky, kx, co] = W[co, KH−1−ky, KW−1−kx, ci]
        let flipped = UnsafeMutableBufferPointer<Float>.allocate(capacity: outChannels * k)
        defer { flipped.deallocate() }
        for co in 0..<outChannels {
            for ky in 0..<kh {
                for kx in 0..<kw {
                    let src = ((co * kh + ky) * kw + kx) * inChannels
                    for ci in 0..<inChannels {
                        flipped[((ci * kh + (kh - 1 - ky)) * kw + (kw - 1 - kx)) * outChannels + co] = weight[src + ci]
                    }
                }
            }
        }
        let flippedGeometry = Conv2DGeometry(kernelHeight: kh, kernelWidth: kw,
                                             paddingHeight: kh - 1 - g.paddingHeight, paddingWidth: kw - 1 - g.paddingWidth)
        conv2DForward(ctx, input: outputGradient, batch: batch, height: oh, width: ow, inChannels: outChannels,
                      weight: UnsafeBufferPointer(flipped), bias: nil, outChannels: inChannels,
                      geometry: flippedGeometry, output: inputGradient)
        return
    }
    // Per image: dP[pixels, K] = dY_n · W (single-threaded GEMM), then col2im.
    // Images are split across threads, each with its own dP.
    let pixels = oh * ow
    let dx = inputGradient.baseAddress!, dyp = outputGradient.baseAddress!, wp = weight.baseAddress!
    let imageSize = height * width * inChannels
    let threads = ctx.threadsFor(work: 2 * batch * pixels * k * outChannels, maxChunks: batch)
    // dP per thread, plus 16 readable floats (the backend's gather reads whole vectors).
    let cols = UnsafeMutablePointer<Float>.allocate(capacity: threads * pixels * k + 16)
    defer { cols.deallocate() }
    (cols + threads * pixels * k).update(repeating: 0, count: 16)
    let geometry = DepthwiseGeometry(batch: 1, height: height, width: width, channels: inChannels, kernelH: kh, kernelW: kw,
                                     strideH: g.strideHeight, strideW: g.strideWidth, padTop: g.paddingHeight,
                                     padLeft: g.paddingWidth, outH: oh, outW: ow)
    parallelFor(threads) { t in
        let dp = cols + t * pixels * k
        for n in chunkRange(t, parts: threads, units: batch) {
            backendGemm(ctx.backend, transA: false, transB: false, m: pixels, n: k, k: outChannels, alpha: 1,
                        a: dyp + n * pixels * outChannels, lda: outChannels, b: wp, ldb: k, beta: 0, c: dp, ldc: k)
            // col2im as a per-pixel gather in the backend's vectors (convCol2ImGather).
            ctx.backend.kernels.convCol2ImGather(dp, geometry, dx + n * imageSize)
        }
    }
}

/// biasGradient[co] = Σ_rows outputGradient[row, co] (overwritten); outputGradient: [rows, outChannels]
/// with rows = batch·OH·OW.
public func conv2DBackwardBias(outputGradient: UnsafeBufferPointer<Float>, rows: Int, outChannels: Int,
                               biasGradient: UnsafeMutableBufferPointer<Float>) {
    precondition(outputGradient.count >= rows * outChannels && biasGradient.count >= outChannels,
                 "conv2DBackwardBias: buffer smaller than its shape")
    guard outChannels > 0 else { return }
    // Sum in blocks of 64 rows into a Float partial, then into Double: the error grows with
    // the block length, not with the total number of rows. Within a block the rows are one
    // flat array with period Cout, summed in SIMD8s: a chunk of lcm(Cout, 8) floats holds
    // chunk/Cout whole rows (a divisor of 8, so of 64), and lane i of the chunk's vectors
    // always belongs to channel i mod Cout (LeNet's 6 channels: 3 vectors per 4 rows).
    var total = [Double](repeating: 0, count: outChannels)
    var part = [Float](repeating: 0, count: outChannels)
    let chunk = outChannels / gcd(outChannels, 8) * 8, rowsPerChunk = chunk / outChannels, vectors = chunk / 8
    var acc = [SIMD8<Float>](repeating: SIMD8(), count: vectors)
    let g = outputGradient.baseAddress!
    var r = 0
    while r < rows {
        let end = min(r + 64, rows), whole = r + (end - r) / rowsPerChunk * rowsPerChunk
        for j in 0..<outChannels { part[j] = 0 }
        acc.withUnsafeMutableBufferPointer { av in
            for v in 0..<vectors { av[v] = SIMD8() }
            var row = r
            while row < whole {
                let src = UnsafeRawPointer(g + row * outChannels)
                for v in 0..<vectors { av[v] += src.loadUnaligned(fromByteOffset: v * 32, as: SIMD8<Float>.self) }
                row += rowsPerChunk
            }
            part.withUnsafeMutableBufferPointer { pp in
                for v in 0..<vectors {
                    for i in 0..<8 { pp[(v * 8 + i) % outChannels] += av[v][i] }
                }
                for row in whole..<end {
                    for j in 0..<outChannels { pp[j] += g[row * outChannels + j] }
                }
            }
        }
        for j in 0..<outChannels { total[j] += Double(part[j]) }
        r = end
    }
    for j in 0..<outChannels { biasGradient[j] = Float(total[j]) }
}

private func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
