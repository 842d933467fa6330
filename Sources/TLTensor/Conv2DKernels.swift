import TLKernels

/// The convolution compute boundary: raw-buffer forward and backward products for a
/// channels-last 2-D convolution. `Tensor.conv2d` and its backward rule call only these three
/// functions, so a faster direct/implicit-GEMM kernel from TLKernels can replace the bodies
/// without touching autodiff or layers.
///
/// The implementation here is im2col + `sgemm` (the GEMM seam):
///
///     col:    [rows = N·OH·OW, patch = KH·KW·Cin]   (zeros where the window hangs over padding)
///     weight: [Cout, patch]                          ([Cout, KH, KW, Cin] viewed as a matrix)
///     out   = col · weightᵀ                          [rows, Cout] = [N, OH, OW, Cout]
///     dW    = gᵀ · col                               [Cout, patch]
///     dcol  = g · weight                             [rows, patch], then col2im adds it back → dx
///
/// The im2col buffer is built a block of output rows at a time so its size stays bounded
/// (~16 MB) however large the batch or image. A 1×1, stride-1, unpadded convolution skips
/// im2col entirely.
enum Conv2DKernels {
    /// Upper bound on im2col buffer elements per chunk (16 MB of Float).
    static let defaultChunkElements = 4 << 20

    /// Output rows per chunk so that one chunk's im2col buffer stays under `chunkElements`.
    static func rowsPerChunk(_ g: Conv2DGeometry, _ chunkElements: Int) -> Int {
        Swift.max(1, Swift.min(g.rows, chunkElements / Swift.max(1, g.patch)))
    }

    /// Calls `body(rowOffset, ih0, iw0, imageBase)` for each output row in `rows`, where
    /// (ih0, iw0) is the window's top-left input pixel (possibly in the padding) and
    /// `imageBase` the element offset of its image.
    @inline(__always)
    private static func forEachRow(_ g: Conv2DGeometry, _ rows: Range<Int>, _ body: (Int, Int, Int, Int) -> Void) {
        let w = g.window, perImage = g.outHeight * g.outWidth
        for r in rows {
            let n = r / perImage, rem = r % perImage
            let oh = rem / g.outWidth, ow = rem % g.outWidth
            body(r - rows.lowerBound, oh * w.strideHeight - w.padTop, ow * w.strideWidth - w.padLeft,
                 n * g.height * g.width * g.inChannels)
        }
    }

    /// Copies the receptive fields of output rows `rows` into `col` (row-major).
    // x: [N, H, W, Cin] → col: [rows.count, KH·KW·Cin]
    static func im2col(_ x: UnsafePointer<Float>, _ g: Conv2DGeometry, rows: Range<Int>, into col: UnsafeMutablePointer<Float>) {
        let w = g.window, cin = g.inChannels
        forEachRow(g, rows) { local, ih0, iw0, base in
            var dst = col + local * g.patch
            for kh in 0..<w.kernelHeight {
                let ih = ih0 + kh
                if ih < 0 || ih >= g.height {
                    dst.update(repeating: 0, count: w.kernelWidth * cin)
                    dst += w.kernelWidth * cin
                    continue
                }
                for kw in 0..<w.kernelWidth {
                    let iw = iw0 + kw
                    if iw < 0 || iw >= g.width { dst.update(repeating: 0, count: cin) }
                    else { dst.update(from: x + base + (ih * g.width + iw) * cin, count: cin) }
                    dst += cin
                }
            }
        }
    }

    /// Adds the patch gradients of output rows `rows` back onto their input pixels (the
    /// adjoint of im2col).
    // col: [rows.count, KH·KW·Cin] → dx: [N, H, W, Cin] (accumulated)
    static func col2im(_ col: UnsafePointer<Float>, _ g: Conv2DGeometry, rows: Range<Int>, into dx: UnsafeMutablePointer<Float>) {
        let w = g.window, cin = g.inChannels
        forEachRow(g, rows) { local, ih0, iw0, base in
            var src = col + local * g.patch
            for kh in 0..<w.kernelHeight {
                let ih = ih0 + kh
                if ih < 0 || ih >= g.height { src += w.kernelWidth * cin; continue }
                for kw in 0..<w.kernelWidth {
                    let iw = iw0 + kw
                    if iw >= 0 && iw < g.width {
                        let p = dx + base + (ih * g.width + iw) * cin
                        for c in 0..<cin { p[c] += src[c] }
                    }
                    src += cin
                }
            }
        }
    }

    /// Runs `body(rows, colMatrix)` over chunks of output rows, with the chunk's im2col
    /// matrix (or the input itself for pointwise convolutions).
    private static func forEachChunk(_ x: UnsafeBufferPointer<Float>, _ g: Conv2DGeometry, _ chunkElements: Int,
                                     _ body: (Range<Int>, UnsafeBufferPointer<Float>) -> Void) {
        if g.isPointwise {
            body(0..<g.rows, x)
            return
        }
        let chunk = rowsPerChunk(g, chunkElements)
        var buffer = [Float](repeating: 0, count: chunk * g.patch)
        buffer.withUnsafeMutableBufferPointer { col in
            var first = 0
            while first < g.rows {
                let rows = first..<Swift.min(g.rows, first + chunk)
                im2col(x.baseAddress!, g, rows: rows, into: col.baseAddress!)
                body(rows, UnsafeBufferPointer(rebasing: col[0..<(rows.count * g.patch)]))
                first = rows.upperBound
            }
        }
    }

    /// out = conv(x, weight) + bias (bias [Cout] or nil).
    // x: [N, H, W, Cin], weight: [Cout, KH, KW, Cin] → [N, OH, OW, Cout]
    static func forward(input x: UnsafeBufferPointer<Float>, weight: UnsafeBufferPointer<Float>,
                        bias: UnsafeBufferPointer<Float>? = nil, _ g: Conv2DGeometry,
                        chunkElements: Int = defaultChunkElements) -> [Float] {
        if chunkElements == defaultChunkElements, let k = g.directKernelGeometry, g.rows > 0, g.outChannels > 0 {
            // The kernel writes every output element: no zero fill first.
            return [Float](unsafeUninitializedCapacity: g.rows * g.outChannels) { po, count in
                conv2DForward(input: x, batch: g.batch, height: g.height, width: g.width, inChannels: g.inChannels,
                              weight: weight, bias: bias, outChannels: g.outChannels, geometry: k, output: po)
                count = g.rows * g.outChannels
            }
        }
        var out = im2colForward(input: x, weight: weight, g, chunkElements: chunkElements)
        if let bias, g.outChannels > 0 {
            for i in 0..<out.count { out[i] += bias[i % g.outChannels] }
        }
        return out
    }

    /// The im2col + GEMM forward (reference path, and asymmetric padding).
    static func im2colForward(input x: UnsafeBufferPointer<Float>, weight: UnsafeBufferPointer<Float>, _ g: Conv2DGeometry,
                              chunkElements: Int = defaultChunkElements) -> [Float] {
        var out = [Float](repeating: 0, count: g.rows * g.outChannels)
        guard g.rows > 0, g.outChannels > 0 else { return out }
        out.withUnsafeMutableBufferPointer { po in
            forEachChunk(x, g, chunkElements) { rows, col in
                let c = UnsafeMutableBufferPointer(rebasing: po[(rows.lowerBound * g.outChannels)...])
                sgemm(transA: false, transB: true, m: rows.count, n: g.outChannels, k: g.patch, alpha: 1,
                      a: col, lda: g.patch, b: weight, ldb: g.patch, beta: 0, c: c, ldc: g.outChannels)
            }
        }
        return out
    }

    /// dW = gᵀ · im2col(x).
    // upstream: [N, OH, OW, Cout], x: [N, H, W, Cin] → [Cout, KH, KW, Cin]
    static func weightGradient(upstream: UnsafeBufferPointer<Float>, input x: UnsafeBufferPointer<Float>, _ g: Conv2DGeometry,
                               chunkElements: Int = defaultChunkElements) -> [Float] {
        if chunkElements == defaultChunkElements, let k = g.directKernelGeometry, g.rows > 0, g.outChannels > 0 {
            // The kernel overwrites every element: no zero fill first.
            return [Float](unsafeUninitializedCapacity: g.outChannels * g.patch) { pw, count in
                conv2DBackwardWeight(input: x, outputGradient: upstream, batch: g.batch, height: g.height, width: g.width,
                                     inChannels: g.inChannels, outChannels: g.outChannels, geometry: k, weightGradient: pw)
                count = g.outChannels * g.patch
            }
        }
        return im2colWeightGradient(upstream: upstream, input: x, g, chunkElements: chunkElements)
    }

    /// The im2col + GEMM weight gradient (reference path, and asymmetric padding).
    static func im2colWeightGradient(upstream: UnsafeBufferPointer<Float>, input x: UnsafeBufferPointer<Float>, _ g: Conv2DGeometry,
                                     chunkElements: Int = defaultChunkElements) -> [Float] {
        var dw = [Float](repeating: 0, count: g.outChannels * g.patch)
        guard g.rows > 0, g.outChannels > 0 else { return dw }
        dw.withUnsafeMutableBufferPointer { pw in
            forEachChunk(x, g, chunkElements) { rows, col in
                let gChunk = UnsafeBufferPointer(rebasing: upstream[(rows.lowerBound * g.outChannels)...])
                sgemm(transA: true, transB: false, m: g.outChannels, n: g.patch, k: rows.count, alpha: 1,
                      a: gChunk, lda: g.outChannels, b: col, ldb: g.patch,
                      beta: rows.lowerBound == 0 ? 0 : 1, c: pw, ldc: g.patch)
            }
        }
        return dw
    }

    /// dx = col2im(g · weight).
    // upstream: [N, OH, OW, Cout], weight: [Cout, KH, KW, Cin] → [N, H, W, Cin]
    static func inputGradient(upstream: UnsafeBufferPointer<Float>, weight: UnsafeBufferPointer<Float>, _ g: Conv2DGeometry,
                              chunkElements: Int = defaultChunkElements) -> [Float] {
        let dxCount = g.batch * g.height * g.width * g.inChannels
        if chunkElements == defaultChunkElements, let k = g.directKernelGeometry, g.rows > 0, g.outChannels > 0, dxCount > 0 {
            // The kernel overwrites every element: no zero fill first.
            return [Float](unsafeUninitializedCapacity: dxCount) { px, count in
                conv2DBackwardInput(outputGradient: upstream, batch: g.batch, height: g.height, width: g.width,
                                    inChannels: g.inChannels, weight: weight, outChannels: g.outChannels, geometry: k,
                                    inputGradient: px)
                count = dxCount
            }
        }
        return im2colInputGradient(upstream: upstream, weight: weight, g, chunkElements: chunkElements)
    }

    /// The im2col + GEMM input gradient (reference path, and asymmetric padding).
    static func im2colInputGradient(upstream: UnsafeBufferPointer<Float>, weight: UnsafeBufferPointer<Float>, _ g: Conv2DGeometry,
                                    chunkElements: Int = defaultChunkElements) -> [Float] {
        var dx = [Float](repeating: 0, count: g.batch * g.height * g.width * g.inChannels)
        guard g.rows > 0, g.outChannels > 0, dx.count > 0 else { return dx }
        if g.isPointwise {
            dx.withUnsafeMutableBufferPointer { px in
                sgemm(transA: false, transB: false, m: g.rows, n: g.patch, k: g.outChannels, alpha: 1,
                      a: upstream, lda: g.outChannels, b: weight, ldb: g.patch, beta: 0, c: px, ldc: g.patch)
            }
            return dx
        }
        let chunk = rowsPerChunk(g, chunkElements)
        var col = [Float](repeating: 0, count: chunk * g.patch)
        dx.withUnsafeMutableBufferPointer { px in
            col.withUnsafeMutableBufferPointer { pc in
                var first = 0
                while first < g.rows {
                    let rows = first..<Swift.min(g.rows, first + chunk)
                    let gChunk = UnsafeBufferPointer(rebasing: upstream[(first * g.outChannels)...])
                    sgemm(transA: false, transB: false, m: rows.count, n: g.patch, k: g.outChannels, alpha: 1,
                          a: gChunk, lda: g.outChannels, b: weight, ldb: g.patch, beta: 0,
                          c: UnsafeMutableBufferPointer(rebasing: pc[0..<(rows.count * g.patch)]), ldc: g.patch)
                    col2im(pc.baseAddress!, g, rows: rows, into: px.baseAddress!)
                    first = rows.upperBound
                }
            }
        }
        return dx
    }
}

extension Conv2DGeometry {
    /// The geometry for TLKernels' direct convolution kernels, which take symmetric padding
    /// smaller than the kernel; nil for anything else (asymmetric "same" padding of even
    /// kernels), which keeps the im2col path.
    var directKernelGeometry: TLKernels.Conv2DGeometry? {
        let w = window
        guard w.padTop == w.padBottom, w.padLeft == w.padRight, w.padTop < w.kernelHeight, w.padLeft < w.kernelWidth,
              batch > 0, height > 0, width > 0, inChannels > 0 else { return nil }
        return TLKernels.Conv2DGeometry(kernelHeight: w.kernelHeight, kernelWidth: w.kernelWidth,
                                        strideHeight: w.strideHeight, strideWidth: w.strideWidth,
                                        paddingHeight: w.padTop, paddingWidth: w.padLeft)
    }
}
