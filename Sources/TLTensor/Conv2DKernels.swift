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
/// The im2col buffer is built a few images at a time so its size stays bounded (~16 MB)
/// however large the batch. A 1×1, stride-1, unpadded convolution skips im2col entirely.
enum Conv2DKernels {
    /// Upper bound on im2col buffer elements per chunk (16 MB of Float).
    static let chunkElements = 4 << 20

    /// Images per chunk so that one chunk's im2col buffer stays under `chunkElements`.
    static func imagesPerChunk(_ g: Conv2DGeometry) -> Int {
        let perImage = Swift.max(1, g.outHeight * g.outWidth * g.patch)
        return Swift.max(1, Swift.min(g.batch, chunkElements / perImage))
    }

    /// Copies the receptive fields of images `first..<first+count` into `col` (row-major).
    // x: [N, H, W, Cin] → col: [count·OH·OW, KH·KW·Cin]
    static func im2col(_ x: UnsafePointer<Float>, _ g: Conv2DGeometry, images: Range<Int>, into col: UnsafeMutablePointer<Float>) {
        let w = g.window, cin = g.inChannels
        var dst = col
        for n in images {
            let image = x + n * g.height * g.width * cin
            for oh in 0..<g.outHeight {
                for ow in 0..<g.outWidth {
                    for kh in 0..<w.kernelHeight {
                        let ih = oh * w.strideHeight - w.padTop + kh
                        if ih < 0 || ih >= g.height {
                            dst.update(repeating: 0, count: w.kernelWidth * cin)
                            dst += w.kernelWidth * cin
                            continue
                        }
                        for kw in 0..<w.kernelWidth {
                            let iw = ow * w.strideWidth - w.padLeft + kw
                            if iw < 0 || iw >= g.width { dst.update(repeating: 0, count: cin) }
                            else { dst.update(from: image + (ih * g.width + iw) * cin, count: cin) }
                            dst += cin
                        }
                    }
                }
            }
        }
    }

    /// Adds the patch gradients of images `images` back onto their input pixels (the adjoint of im2col).
    // col: [count·OH·OW, KH·KW·Cin] → dx: [N, H, W, Cin] (accumulated)
    static func col2im(_ col: UnsafePointer<Float>, _ g: Conv2DGeometry, images: Range<Int>, into dx: UnsafeMutablePointer<Float>) {
        let w = g.window, cin = g.inChannels
        var src = col
        for n in images {
            let image = dx + n * g.height * g.width * cin
            for oh in 0..<g.outHeight {
                for ow in 0..<g.outWidth {
                    for kh in 0..<w.kernelHeight {
                        let ih = oh * w.strideHeight - w.padTop + kh
                        if ih < 0 || ih >= g.height { src += w.kernelWidth * cin; continue }
                        for kw in 0..<w.kernelWidth {
                            let iw = ow * w.strideWidth - w.padLeft + kw
                            if iw >= 0 && iw < g.width {
                                let p = image + (ih * g.width + iw) * cin
                                for c in 0..<cin { p[c] += src[c] }
                            }
                            src += cin
                        }
                    }
                }
            }
        }
    }

    /// Runs `body(images, colMatrix)` over chunks of images, with the chunk's im2col matrix
    /// (or the input itself for pointwise convolutions).
    private static func forEachChunk(_ x: UnsafeBufferPointer<Float>, _ g: Conv2DGeometry,
                                     _ body: (Range<Int>, UnsafeBufferPointer<Float>) -> Void) {
        let perImageRows = g.outHeight * g.outWidth
        if g.isPointwise {
            body(0..<g.batch, x)
            return
        }
        let chunk = imagesPerChunk(g)
        var buffer = [Float](repeating: 0, count: chunk * perImageRows * g.patch)
        buffer.withUnsafeMutableBufferPointer { col in
            var first = 0
            while first < g.batch {
                let images = first..<Swift.min(g.batch, first + chunk)
                im2col(x.baseAddress!, g, images: images, into: col.baseAddress!)
                body(images, UnsafeBufferPointer(rebasing: col[0..<(images.count * perImageRows * g.patch)]))
                first = images.upperBound
            }
        }
    }

    /// out = conv(x, weight).
    // x: [N, H, W, Cin], weight: [Cout, KH, KW, Cin] → [N, OH, OW, Cout]
    static func forward(input x: UnsafeBufferPointer<Float>, weight: UnsafeBufferPointer<Float>, _ g: Conv2DGeometry) -> [Float] {
        var out = [Float](repeating: 0, count: g.rows * g.outChannels)
        guard g.rows > 0, g.outChannels > 0 else { return out }
        let perImageRows = g.outHeight * g.outWidth
        out.withUnsafeMutableBufferPointer { po in
            forEachChunk(x, g) { images, col in
                let rows = images.count * perImageRows
                let c = UnsafeMutableBufferPointer(rebasing: po[(images.lowerBound * perImageRows * g.outChannels)...])
                sgemm(transA: false, transB: true, m: rows, n: g.outChannels, k: g.patch, alpha: 1,
                      a: col, lda: g.patch, b: weight, ldb: g.patch, beta: 0, c: c, ldc: g.outChannels)
            }
        }
        return out
    }

    /// dW = gᵀ · im2col(x).
    // upstream: [N, OH, OW, Cout], x: [N, H, W, Cin] → [Cout, KH, KW, Cin]
    static func weightGradient(upstream: UnsafeBufferPointer<Float>, input x: UnsafeBufferPointer<Float>, _ g: Conv2DGeometry) -> [Float] {
        var dw = [Float](repeating: 0, count: g.outChannels * g.patch)
        guard g.rows > 0, g.outChannels > 0 else { return dw }
        let perImageRows = g.outHeight * g.outWidth
        dw.withUnsafeMutableBufferPointer { pw in
            forEachChunk(x, g) { images, col in
                let rows = images.count * perImageRows
                let gChunk = UnsafeBufferPointer(rebasing: upstream[(images.lowerBound * perImageRows * g.outChannels)...])
                sgemm(transA: true, transB: false, m: g.outChannels, n: g.patch, k: rows, alpha: 1,
                      a: gChunk, lda: g.outChannels, b: col, ldb: g.patch,
                      beta: images.lowerBound == 0 ? 0 : 1, c: pw, ldc: g.patch)
            }
        }
        return dw
    }

    /// dx = col2im(g · weight).
    // upstream: [N, OH, OW, Cout], weight: [Cout, KH, KW, Cin] → [N, H, W, Cin]
    static func inputGradient(upstream: UnsafeBufferPointer<Float>, weight: UnsafeBufferPointer<Float>, _ g: Conv2DGeometry) -> [Float] {
        var dx = [Float](repeating: 0, count: g.batch * g.height * g.width * g.inChannels)
        guard g.rows > 0, g.outChannels > 0, dx.count > 0 else { return dx }
        let perImageRows = g.outHeight * g.outWidth
        if g.isPointwise {
            dx.withUnsafeMutableBufferPointer { px in
                sgemm(transA: false, transB: false, m: g.rows, n: g.patch, k: g.outChannels, alpha: 1,
                      a: upstream, lda: g.outChannels, b: weight, ldb: g.patch, beta: 0, c: px, ldc: g.patch)
            }
            return dx
        }
        let chunk = imagesPerChunk(g)
        var col = [Float](repeating: 0, count: chunk * perImageRows * g.patch)
        dx.withUnsafeMutableBufferPointer { px in
            col.withUnsafeMutableBufferPointer { pc in
                var first = 0
                while first < g.batch {
                    let images = first..<Swift.min(g.batch, first + chunk)
                    let rows = images.count * perImageRows
                    let gChunk = UnsafeBufferPointer(rebasing: upstream[(first * perImageRows * g.outChannels)...])
                    sgemm(transA: false, transB: false, m: rows, n: g.patch, k: g.outChannels, alpha: 1,
                          a: gChunk, lda: g.outChannels, b: weight, ldb: g.patch, beta: 0,
                          c: UnsafeMutableBufferPointer(rebasing: pc[0..<(rows * g.patch)]), ldc: g.patch)
                    col2im(pc.baseAddress!, g, images: images, into: px.baseAddress!)
                    first = images.upperBound
                }
            }
        }
        return dx
    }
}
