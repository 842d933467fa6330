import TLTensor

/// MobileNetV2 / EfficientNet inverted-residual block ("MBConv" without squeeze-excitation):
///
///     x: [N, H, W, Cin]
///       → expand 1×1 conv (Cin → Cin·expansion) – BN – ReLU6      (absent when expansion = 1)
///       → depthwise k×k conv (stride, TensorFlow "SAME" padding) – BN – ReLU6
///       → project 1×1 conv (→ Cout) – BN
///       (+ x when stride is 1 and Cin = Cout)
///     → [N, ⌈H/stride⌉, ⌈W/stride⌉, Cout]
///
/// Convolutions have no bias (BatchNorm follows each). In inference (no gradient needed and
/// every BatchNorm using running statistics) the block runs fused: each BatchNorm folded into
/// a per-channel scale and shift applied in the same pass as ReLU6 or the skip addition.
public final class InvertedResidual: Layer {
    public let expandConv: Conv2D?
    public let expandNorm: BatchNorm?
    public let depthwise: DepthwiseConv2D
    public let depthwiseNorm: BatchNorm
    public let projectConv: Conv2D
    public let projectNorm: BatchNorm
    /// Whether the input is added to the output (stride 1 and equal widths).
    public let hasSkip: Bool

    /// `inputSize` (H, W) fixes the "SAME" padding of the strided depthwise convolution.
    public init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int, expansion: Int, epsilon: Float,
                inputSize: (height: Int, width: Int), rng: inout SeededGenerator) throws {
        guard expansion >= 1 else { throw ModuleError.invalidConfiguration(layer: "InvertedResidual", message: "expansion must be ≥ 1, got \(expansion)") }
        let hidden = inChannels * expansion
        if expansion != 1 {
            expandConv = try Conv2D(inChannels: inChannels, outChannels: hidden, kernelSize: 1, bias: false, rng: &rng)
            expandNorm = try BatchNorm(featureCount: hidden, epsilon: epsilon)
        } else {
            expandConv = nil
            expandNorm = nil
        }
        depthwise = try DepthwiseConv2D(channels: hidden, kernelSize: (kernel, kernel), stride: (stride, stride),
                                        padding: .tensorFlowSame(kernel: (kernel, kernel), stride: (stride, stride),
                                                                 height: inputSize.height, width: inputSize.width),
                                        bias: false, rng: &rng)
        depthwiseNorm = try BatchNorm(featureCount: hidden, epsilon: epsilon)
        projectConv = try Conv2D(inChannels: hidden, outChannels: outChannels, kernelSize: 1, bias: false, rng: &rng)
        projectNorm = try BatchNorm(featureCount: outChannels, epsilon: epsilon)
        hasSkip = stride == 1 && inChannels == outChannels
    }

    private var norms: [BatchNorm] { [expandNorm, depthwiseNorm, projectNorm].compactMap { $0 } }

    /// Whether `forward(x)` may take the fused inference path (not with LoRA adapters on the 1×1 convolutions).
    func runsFused(_ x: Tensor) -> Bool {
        expandConv?.adapter == nil && projectConv.adapter == nil
            && norms.allSatisfy { !$0.usesBatchStatistics && $0.inputObserver == nil }
            && Tensor.needsNoGradient(x, expandConv?.weight.value, depthwise.weight.value, projectConv.weight.value,
                                      expandNorm?.weight.value, expandNorm?.bias.value, depthwiseNorm.weight.value,
                                      depthwiseNorm.bias.value, projectNorm.weight.value, projectNorm.bias.value)
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        if runsFused(x) { return try fusedForward(x) }
        var h = x
        // BatchNorm + ReLU6 as one fused primitive when training (batch statistics).
        if let expandConv, let expandNorm { h = try expandNorm.forward(expandConv(h), clampTo: 0, 6) }
        h = try depthwiseNorm.forward(depthwise(h), clampTo: 0, 6)
        h = try projectNorm(projectConv(h))
        return hasSkip ? try h + x : h
    }

    /// The same function with BatchNorm folded in (inference only; records nothing), run by
    /// `Tensor.invertedResidualInference` in cache-sized image chunks.
    func fusedForward(_ x: Tensor) throws -> Tensor {
        try withNoGrad {
            var expand: (weight: Tensor, scale: Tensor, shift: Tensor)? = nil
            if let expandConv, let expandNorm {
                let (s, b) = try expandNorm.foldedScaleShift()
                expand = (expandConv.weight.value, s, b)
            }
            let (s, b) = try depthwiseNorm.foldedScaleShift()
            let c = depthwise.channels
            let w = try depthwise.weight.value * s.reshaped([c, 1, 1, 1])
            let bias = try depthwise.bias.map { try $0.value * s + b } ?? b
            let (ps, pb) = try projectNorm.foldedScaleShift()
            return try Tensor.invertedResidualInference(input: x, InvertedResidualInference(
                expand: expand, depthwise: (w, bias, depthwise.window), project: (projectConv.weight.value, ps, pb), skip: hasSkip))
        }
    }
}
