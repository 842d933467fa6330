import TLKernels

// 2-D convolution on channels-last images, differentiable in input and weight.
extension Tensor {
    /// Cross-correlation (what every framework calls convolution) of NHWC images with a bank
    /// of filters, plus an optional per-channel bias.
    ///
    ///     input:  [N, H, W, Cin]
    ///     weight: [Cout, KH, KW, Cin]
    ///     bias:   [Cout] (optional)
    ///     → [N, OH, OW, Cout],  OH = (H + 2·padding.height − KH) / stride.height + 1
    ///
    /// Shapes that do not fit throw `TensorError` naming both shapes.
    public static func conv2d(input: Tensor, weight: Tensor, bias: Tensor? = nil,
                              stride: (height: Int, width: Int) = (1, 1),
                              padding: (height: Int, width: Int) = (0, 0)) throws -> Tensor {
        try conv2d(input: input, weight: weight, bias: bias,
                   window: Window2D(kernel: (weight.rank == 4 ? weight.shape[1] : 0, weight.rank == 4 ? weight.shape[2] : 0),
                                    stride: stride, padding: padding))
    }

    /// Convolution with an explicit window (per-side padding). The window's kernel size must
    /// match the weight's KH, KW.
    public static func conv2d(input: Tensor, weight: Tensor, bias: Tensor? = nil, window: Window2D) throws -> Tensor {
        guard input.rank == 4, weight.rank == 4, input.shape[3] == weight.shape[3] else {
            throw TensorError.shapeMismatch(operation: "conv2d (input [N, H, W, Cin], weight [Cout, KH, KW, Cin])",
                                            lhs: input.shape, rhs: weight.shape)
        }
        guard window.kernelHeight == weight.shape[1], window.kernelWidth == weight.shape[2] else {
            throw TensorError.invalidArgument(operation: "conv2d",
                message: "window \(window) does not match weight kernel \(weight.shape[1])×\(weight.shape[2])")
        }
        let (oh, ow) = try window.outputSize(height: input.shape[1], width: input.shape[2], operation: "conv2d")
        let g = Conv2DGeometry(batch: input.shape[0], height: input.shape[1], width: input.shape[2],
                               inChannels: input.shape[3], outChannels: weight.shape[0],
                               window: window, outHeight: oh, outWidth: ow)
        if let bias, bias.shape != [g.outChannels] {
            throw TensorError.shapeMismatch(operation: "conv2d bias (expected [Cout])", lhs: bias.shape, rhs: [g.outChannels])
        }
        // The bias is added by the kernel (same rounding as a separate `+ bias`: one add after
        // the full dot product) and is the primitive's third input: no broadcast pass forward,
        // no broadcast-sum backward.
        let values = input.scalars.withUnsafeBufferPointer { px in
            weight.scalars.withUnsafeBufferPointer { pw in
                if let bias {
                    return bias.scalars.withUnsafeBufferPointer { pb in Conv2DKernels.forward(input: px, weight: pw, bias: pb, g) }
                }
                return Conv2DKernels.forward(input: px, weight: pw, g)
            }
        }
        return record(.conv2d(g), inputs: bias.map { [input, weight, $0] } ?? [input, weight],
                      output: Tensor(unchecked: values, shape: [g.batch, oh, ow, g.outChannels]))
    }

    /// Backward products of `conv2d` (used by its autodiff rule): [dx, dW] or, when the bias
    /// is the third input, [dx, dW, db].
    static func conv2dGradients(input: Tensor, weight: Tensor, upstream: Tensor, geometry g: Conv2DGeometry,
                                needs: [Bool]) -> [Tensor?] {
        var dx: Tensor? = nil, dw: Tensor? = nil, db: Tensor? = nil
        upstream.scalars.withUnsafeBufferPointer { pg in
            if needs.count > 2 && needs[2] {
                let v = [Float](unsafeUninitializedCapacity: g.outChannels) { pb, count in
                    conv2DBackwardBias(outputGradient: pg, rows: g.rows, outChannels: g.outChannels, biasGradient: pb)
                    count = g.outChannels
                }
                db = Tensor(unchecked: v, shape: [g.outChannels])
            }
            if needs[0] {
                let v = weight.scalars.withUnsafeBufferPointer { Conv2DKernels.inputGradient(upstream: pg, weight: $0, g) }
                dx = Tensor(unchecked: v, shape: input.shape)
            }
            if needs[1] {
                let v = input.scalars.withUnsafeBufferPointer { Conv2DKernels.weightGradient(upstream: pg, input: $0, g) }
                dw = Tensor(unchecked: v, shape: weight.shape)
            }
        }
        return needs.count > 2 ? [dx, dw, db] : [dx, dw]
    }
}
