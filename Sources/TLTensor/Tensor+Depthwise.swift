import TLKernels
import TLKernelTable

// Depthwise (per-channel) 2-D convolution on channels-last images, differentiable in input
// and weight; plus a fused inference form with bias and clamp (BatchNorm folded in, ReLU6).
extension Tensor {
    /// Whether operations on tensors that require grad are being recorded (false inside `withNoGrad`).
    public static var isRecordingGradients: Bool { GradMode.isEnabled }

    /// The kernel geometry for input `[N, H, W, C]`, weight `[C, KH, KW, 1]` and `window`.
    static func depthwiseGeometry(input: Tensor, weight: Tensor, window: Window2D, operation: String) throws -> DepthwiseGeometry {
        guard input.rank == 4, weight.rank == 4, weight.shape[0] == input.shape[3], weight.shape[3] == 1 else {
            throw TensorError.shapeMismatch(operation: "\(operation) (input [N, H, W, C], weight [C, KH, KW, 1])",
                                            lhs: input.shape, rhs: weight.shape)
        }
        guard window.kernelHeight == weight.shape[1], window.kernelWidth == weight.shape[2],
              window.padTop < window.kernelHeight, window.padLeft < window.kernelWidth else {
            throw TensorError.invalidArgument(operation: operation,
                message: "window \(window) does not match weight kernel \(weight.shape[1])×\(weight.shape[2])")
        }
        let (oh, ow) = try window.outputSize(height: input.shape[1], width: input.shape[2], operation: operation)
        return DepthwiseGeometry(batch: input.shape[0], height: input.shape[1], width: input.shape[2], channels: input.shape[3],
                                 kernelH: window.kernelHeight, kernelW: window.kernelWidth, strideH: window.strideHeight,
                                 strideW: window.strideWidth, padTop: window.padTop, padLeft: window.padLeft, outH: oh, outW: ow)
    }

    /// `[C, KH, KW, 1]` → the kernels' tap-major `[KH, KW, C]` (and back with `inverse`).
    static func depthwiseTaps(_ w: [Float], channels c: Int, taps: Int, inverse: Bool = false) -> [Float] {
        var out = [Float](repeating: 0, count: w.count)
        for ch in 0..<c { for t in 0..<taps { if inverse { out[ch * taps + t] = w[t * c + ch] } else { out[t * c + ch] = w[ch * taps + t] } } }
        return out
    }

    /// Depthwise convolution: each channel convolved with its own KH×KW filter.
    ///
    ///     input:  [N, H, W, C]
    ///     weight: [C, KH, KW, 1]   (tl's conv layout for groups = C; PyTorch [C, 1, KH, KW])
    ///     → [N, OH, OW, C]
    public static func depthwiseConv2d(input: Tensor, weight: Tensor, window: Window2D) throws -> Tensor {
        let g = try depthwiseGeometry(input: input, weight: weight, window: window, operation: "depthwiseConv2d")
        let taps = depthwiseTaps(weight.scalars, channels: g.channels, taps: g.kernelH * g.kernelW)
        // The kernel writes every output element: no zero-fill pass first.
        let out = [Float](unsafeUninitializedCapacity: g.batch * g.outH * g.outW * g.channels) { po, initialized in
            input.scalars.withUnsafeBufferPointer { px in
                taps.withUnsafeBufferPointer { pw in depthwiseForward(input: px, weight: pw, bias: nil, geometry: g, output: po) }
            }
            initialized = po.count
        }
        return record(.depthwiseConv2d(g), inputs: [input, weight], output: Tensor(unchecked: out, shape: [g.batch, g.outH, g.outW, g.channels]))
    }

    /// Inference-only fused depthwise convolution: clamp(depthwise(x, weight) + bias, lower, upper)
    /// in one pass. Records nothing (use `depthwiseConv2d` when gradients are needed).
    ///
    ///     input [N, H, W, C], weight [C, KH, KW, 1], bias [C] → [N, OH, OW, C]
    public static func depthwiseConv2dInference(input: Tensor, weight: Tensor, bias: Tensor, window: Window2D,
                                                lower: Float = -.infinity, upper: Float = .infinity) throws -> Tensor {
        let g = try depthwiseGeometry(input: input, weight: weight, window: window, operation: "depthwiseConv2d")
        guard bias.shape == [g.channels] else {
            throw TensorError.shapeMismatch(operation: "depthwiseConv2d bias (expected [C])", lhs: bias.shape, rhs: [g.channels])
        }
        let taps = depthwiseTaps(weight.scalars, channels: g.channels, taps: g.kernelH * g.kernelW)
        var out = [Float](repeating: 0, count: g.batch * g.outH * g.outW * g.channels)
        input.scalars.withUnsafeBufferPointer { px in
            taps.withUnsafeBufferPointer { pw in
                bias.scalars.withUnsafeBufferPointer { pb in
                    out.withUnsafeMutableBufferPointer { po in
                        depthwiseForward(input: px, weight: pw, bias: pb, geometry: g, lower: lower, upper: upper, output: po)
                    }
                }
            }
        }
        return Tensor(unchecked: out, shape: [g.batch, g.outH, g.outW, g.channels])
    }

    /// Backward products of `depthwiseConv2d` (used by its autodiff rule).
    static func depthwiseGradients(input: Tensor, weight: Tensor, upstream: Tensor, geometry g: DepthwiseGeometry,
                                   needs: [Bool]) -> [Tensor?] {
        var dx: Tensor? = nil, dw: Tensor? = nil
        let taps = g.kernelH * g.kernelW
        upstream.scalars.withUnsafeBufferPointer { pg in
            if needs[0] {
                let w = depthwiseTaps(weight.scalars, channels: g.channels, taps: taps)
                // The gather kernel overwrites every element of dx: no zero-fill pass first.
                let v = [Float](unsafeUninitializedCapacity: input.count) { pd, initialized in
                    w.withUnsafeBufferPointer { pw in depthwiseBackwardInput(outputGradient: pg, weight: pw, geometry: g, inputGradient: pd) }
                    initialized = pd.count
                }
                dx = Tensor(unchecked: v, shape: input.shape)
            }
            if needs[1] {
                var v = [Float](repeating: 0, count: weight.count)
                input.scalars.withUnsafeBufferPointer { px in
                    v.withUnsafeMutableBufferPointer { depthwiseBackwardWeight(input: px, outputGradient: pg, geometry: g, weightGradient: $0) }
                }
                dw = Tensor(unchecked: depthwiseTaps(v, channels: g.channels, taps: taps, inverse: true), shape: weight.shape)
            }
        }
        return [dx, dw]
    }
}
