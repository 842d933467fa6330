// Max and average pooling over channels-last images. Like convolution, the loops live in a
// small internal enum (`Pool2DKernels`) so a faster kernel can replace them later.
extension Tensor {
    /// Max pooling. Padding cells never win (they act as −∞), so padding must be at most half
    /// the kernel (as in PyTorch), which guarantees every window sees a real pixel.
    ///
    ///     input: [N, H, W, C] → [N, OH, OW, C]
    ///
    /// The gradient goes to the first maximum of each window in scan order (rows, then columns).
    public func maxPool2d(window: Window2D) throws -> Tensor {
        let (shape4, oh, ow) = try Tensor.poolShape(self, window, "maxPool2d")
        guard window.padTop * 2 <= window.kernelHeight, window.padBottom * 2 <= window.kernelHeight,
              window.padLeft * 2 <= window.kernelWidth, window.padRight * 2 <= window.kernelWidth else {
            throw TensorError.invalidArgument(operation: "maxPool2d", message: "padding must be at most half the kernel: \(window)")
        }
        let values = Pool2DKernels.maxForward(scalars, shape: shape4, window, outHeight: oh, outWidth: ow)
        return Tensor.record(.maxPool2d(window), inputs: [self],
                             output: Tensor(unchecked: values, shape: [shape4[0], oh, ow, shape4[3]]))
    }

    /// Average pooling; padding cells count as zeros in the average (PyTorch's default
    /// `count_include_pad=True`), so every window divides by KH·KW.
    ///
    ///     input: [N, H, W, C] → [N, OH, OW, C]
    public func avgPool2d(window: Window2D) throws -> Tensor {
        let (shape4, oh, ow) = try Tensor.poolShape(self, window, "avgPool2d")
        let values = Pool2DKernels.avgForward(scalars, shape: shape4, window, outHeight: oh, outWidth: ow)
        return Tensor.record(.avgPool2d(window), inputs: [self],
                             output: Tensor(unchecked: values, shape: [shape4[0], oh, ow, shape4[3]]))
    }

    private static func poolShape(_ x: Tensor, _ window: Window2D, _ op: String) throws -> ([Int], Int, Int) {
        guard x.rank == 4 else {
            throw TensorError.invalidArgument(operation: op, message: "expected [N, H, W, C] input, got \(x.shape)")
        }
        let (oh, ow) = try window.outputSize(height: x.shape[1], width: x.shape[2], operation: op)
        return (x.shape, oh, ow)
    }
}

/// Raw loops for pooling (swappable boundary, like `Conv2DKernels`).
enum Pool2DKernels {
    /// Calls `body(outIndexBase, inPixelBase, valid)` for each output pixel with the list of
    /// in-bounds input pixel offsets of its window (in elements, channel 0), scan order.
    @inline(__always)
    static func forEachWindow(shape: [Int], _ w: Window2D, outHeight: Int, outWidth: Int,
                              _ body: (_ outBase: Int, _ pixels: [Int]) -> Void) {
        let (n, h, wd, c) = (shape[0], shape[1], shape[2], shape[3])
        var pixels: [Int] = []
        pixels.reserveCapacity(w.kernelHeight * w.kernelWidth)
        for b in 0..<n {
            for oh in 0..<outHeight {
                for ow in 0..<outWidth {
                    pixels.removeAll(keepingCapacity: true)
                    for kh in 0..<w.kernelHeight {
                        let ih = oh * w.strideHeight - w.padTop + kh
                        guard ih >= 0, ih < h else { continue }
                        for kw in 0..<w.kernelWidth {
                            let iw = ow * w.strideWidth - w.padLeft + kw
                            guard iw >= 0, iw < wd else { continue }
                            pixels.append(((b * h + ih) * wd + iw) * c)
                        }
                    }
                    body(((b * outHeight + oh) * outWidth + ow) * c, pixels)
                }
            }
        }
    }

    // x: [N, H, W, C] → [N, OH, OW, C]. The reference twin of the fast `maxForward`
    // (Pool2DKernels+Max.swift), kept for the fast-vs-naive tests.
    static func naiveMaxForward(_ x: [Float], shape: [Int], _ w: Window2D, outHeight: Int, outWidth: Int) -> [Float] {
        let c = shape[3]
        var out = [Float](repeating: -.infinity, count: shape[0] * outHeight * outWidth * c)
        forEachWindow(shape: shape, w, outHeight: outHeight, outWidth: outWidth) { o, pixels in
            for p in pixels {
                for ch in 0..<c where x[p + ch] > out[o + ch] || x[p + ch].isNaN {  // NaN propagates, as in PyTorch
                    out[o + ch] = x[p + ch]
                }
            }
        }
        return out
    }

    // g: [N, OH, OW, C] → dx: [N, H, W, C]; each window's gradient goes to its first maximum.
    // The reference twin of the fast `maxBackward` (Pool2DKernels+Max.swift).
    static func naiveMaxBackward(_ x: [Float], shape: [Int], upstream g: [Float], _ w: Window2D, outHeight: Int, outWidth: Int) -> [Float] {
        let c = shape[3]
        var dx = [Float](repeating: 0, count: x.count)
        forEachWindow(shape: shape, w, outHeight: outHeight, outWidth: outWidth) { o, pixels in
            for ch in 0..<c {
                var best = pixels[0]
                for p in pixels.dropFirst() where x[p + ch] > x[best + ch] { best = p }
                dx[best + ch] += g[o + ch]
            }
        }
        return dx
    }

    // x: [N, H, W, C] → [N, OH, OW, C]
    static func avgForward(_ x: [Float], shape: [Int], _ w: Window2D, outHeight: Int, outWidth: Int) -> [Float] {
        let c = shape[3]
        let scale = 1 / Float(w.kernelHeight * w.kernelWidth)
        var out = [Float](repeating: 0, count: shape[0] * outHeight * outWidth * c)
        forEachWindow(shape: shape, w, outHeight: outHeight, outWidth: outWidth) { o, pixels in
            for p in pixels { for ch in 0..<c { out[o + ch] += x[p + ch] } }
            for ch in 0..<c { out[o + ch] *= scale }
        }
        return out
    }

    // g: [N, OH, OW, C] → dx: [N, H, W, C]
    static func avgBackward(shape: [Int], upstream g: [Float], _ w: Window2D, outHeight: Int, outWidth: Int) -> [Float] {
        let c = shape[3]
        let scale = 1 / Float(w.kernelHeight * w.kernelWidth)
        var dx = [Float](repeating: 0, count: Shape.count(shape))
        forEachWindow(shape: shape, w, outHeight: outHeight, outWidth: outWidth) { o, pixels in
            for p in pixels { for ch in 0..<c { dx[p + ch] += g[o + ch] * scale } }
        }
        return dx
    }
}
