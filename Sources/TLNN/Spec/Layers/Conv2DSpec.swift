import TLTensor

/// `{"type": "conv2d", "out": 6, "kernel": 5, "stride": 1, "padding": 0, "bias": true}`:
/// a square 2-D convolution, channels-last, weights `[out, kernel, kernel, in]`.
/// `"padding": "same"` is TensorFlow's "SAME" (asymmetric for even sizes with stride 2).
///
///     [H, W, Cin] → [(H + 2p − k)/s + 1, (W + 2p − k)/s + 1, out]   ("same": [⌈H/s⌉, ⌈W/s⌉, out])
public struct Conv2DSpec: LayerSpec {
    public static let typeName = "conv2d"
    public static let keys: Set<String> = ["out", "kernel", "stride", "padding", "bias"]
    public var out: Int
    public var kernel: Int
    public var stride: Int
    public var padding: SpecPadding
    public var bias: Bool

    public init(out: Int, kernel: Int, stride: Int = 1, padding: SpecPadding = 0, bias: Bool = true) {
        self.out = out
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.bias = bias
    }

    public init(fields: LayerFields) throws {
        self.init(out: try fields.positiveInt("out"), kernel: try fields.positiveInt("kernel"),
                  stride: try fields.positiveInt("stride", default: 1), padding: try fields.padding("padding", default: 0),
                  bias: try fields.bool("bias", default: true))
    }

    public var jsonFields: [String: Any] { ["out": out, "kernel": kernel, "stride": stride, "padding": padding.jsonValue, "bias": bias] }

    public func outputShape(for input: [Int], context: SpecContext) throws -> [Int] {
        let (h, w, _) = try ImageShape.hwc(input, Self.typeName)
        guard let oh = padding.outputCount(h, kernel: kernel, stride: stride),
              let ow = padding.outputCount(w, kernel: kernel, stride: stride) else {
            throw SpecShapeError("conv2d kernel \(kernel) with padding \(padding.jsonValue) does not fit the \(h)×\(w) input")
        }
        return [oh, ow, out]
    }

    public func parameterCount(input: [Int], context: SpecContext) -> Int? {
        weightCount([kernel, kernel, input[2], out], [out])
    }

    public func makeLayer(input: [Int], context: SpecContext, rng: inout SeededGenerator) throws -> Layer {
        try Conv2D(inChannels: input[2], outChannels: out, kernelSize: kernel, stride: stride,
                   padding: padding.padding2D(kernel: kernel, stride: stride, input: input), bias: bias, rng: &rng)
    }
}
