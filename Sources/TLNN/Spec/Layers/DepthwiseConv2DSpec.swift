import TLTensor

/// `{"type": "depthwiseconv2d", "kernel": 3, "stride": 1, "padding": "same", "bias": false}`:
/// a square depthwise convolution (one filter per channel, PyTorch `groups = C`), weights
/// `[C, kernel, kernel, 1]`. `"padding"` is an integer or `"same"` (TensorFlow "SAME").
///
///     [H, W, C] → [(H + 2p − k)/s + 1, (W + 2p − k)/s + 1, C]   ("same": [⌈H/s⌉, ⌈W/s⌉, C])
public struct DepthwiseConv2DSpec: LayerSpec {
    public static let typeName = "depthwiseconv2d"
    public static let keys: Set<String> = ["kernel", "stride", "padding", "bias"]
    public var kernel: Int
    public var stride: Int
    public var padding: SpecPadding
    public var bias: Bool

    public init(kernel: Int, stride: Int = 1, padding: SpecPadding = .same, bias: Bool = false) {
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.bias = bias
    }

    public init(fields: LayerFields) throws {
        self.init(kernel: try fields.positiveInt("kernel"), stride: try fields.positiveInt("stride", default: 1),
                  padding: try fields.padding("padding", default: .same), bias: try fields.bool("bias", default: false))
    }

    public var jsonFields: [String: Any] { ["kernel": kernel, "stride": stride, "padding": padding.jsonValue, "bias": bias] }

    public func outputShape(for input: [Int], context: SpecContext) throws -> [Int] {
        let (h, w, c) = try ImageShape.hwc(input, Self.typeName)
        guard let oh = padding.outputCount(h, kernel: kernel, stride: stride),
              let ow = padding.outputCount(w, kernel: kernel, stride: stride) else {
            throw SpecShapeError("depthwiseconv2d kernel \(kernel) with padding \(padding.jsonValue) does not fit the \(h)×\(w) input")
        }
        if case .explicit(let p) = padding, p >= kernel {
            throw SpecShapeError("depthwiseconv2d padding \(p) must be smaller than the kernel \(kernel)")
        }
        return [oh, ow, c]
    }

    public func parameterCount(input: [Int], context: SpecContext) -> Int? {
        weightCount([kernel, kernel, input[2]], [input[2]])
    }

    public func makeLayer(input: [Int], context: SpecContext, rng: inout SeededGenerator) throws -> Layer {
        try DepthwiseConv2D(channels: input[2], kernelSize: (kernel, kernel), stride: (stride, stride),
                            padding: padding.padding2D(kernel: kernel, stride: stride, input: input), bias: bias, rng: &rng)
    }
}
