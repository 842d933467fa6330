import TLTensor

/// Depthwise 2-D convolution over channels-last images: each channel is convolved with its
/// own KH×KW filter (PyTorch `Conv2d(C, C, k, groups=C)`).
///
///     x: [N, H, W, C] → [N, OH, OW, C]      weight: [C, KH, KW, 1], bias: [C]
///
/// Default init (PyTorch's): U(−1/√fanIn, 1/√fanIn), fanIn = KH·KW.
public final class DepthwiseConv2D: Layer {
    public let weight: Parameter
    public let bias: Parameter?
    public let window: Window2D
    public let channels: Int

    public init(channels: Int, kernelSize: (height: Int, width: Int), stride: (height: Int, width: Int) = (1, 1),
                padding: Padding2D = .valid, bias: Bool = true, rng: inout SeededGenerator) throws {
        guard channels > 0, kernelSize.height > 0, kernelSize.width > 0, stride.height > 0, stride.width > 0 else {
            throw ModuleError.invalidConfiguration(layer: "DepthwiseConv2D",
                message: "channels, kernel and stride must be positive (channels \(channels), kernel \(kernelSize), stride \(stride))")
        }
        self.channels = channels
        window = try padding.window(kernel: (kernelSize.height, kernelSize.width), stride: (stride.height, stride.width),
                                    layer: "DepthwiseConv2D")
        let fanIn = kernelSize.height * kernelSize.width
        weight = Parameter(Init.pytorchDefault([channels, kernelSize.height, kernelSize.width, 1], fanIn: fanIn, using: &rng))
        self.bias = bias ? Parameter(Init.pytorchDefault([channels], fanIn: fanIn, using: &rng)) : nil
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        let y = try Tensor.depthwiseConv2d(input: x, weight: weight.value, window: window)
        guard let bias else { return y }
        return try y + bias.value
    }
}
