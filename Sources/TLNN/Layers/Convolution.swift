import TLTensor

/// How a convolution or pooling layer pads its input.
public enum Padding2D: Equatable, Sendable {
    /// No padding.
    case valid
    /// Output size equals input size (stride 1): (K − 1) / 2 before, the rest after, as in
    /// PyTorch's `padding='same'`. Only valid with stride 1.
    case same
    /// `height` rows above and below, `width` columns left and right.
    case explicit(height: Int, width: Int)
    /// Per-side amounts (asymmetric padding, e.g. TensorFlow "SAME" with stride 2).
    case sides(top: Int, bottom: Int, left: Int, right: Int)

    /// TensorFlow's "SAME" padding for a `height × width` input: output ⌈H / stride⌉ ×
    /// ⌈W / stride⌉, total padding max((out − 1)·stride + kernel − in, 0) per axis, split with
    /// the smaller half before (top/left) and the extra row or column after (bottom/right).
    public static func tensorFlowSame(kernel: (Int, Int), stride: (Int, Int), height: Int, width: Int) -> Padding2D {
        func split(_ n: Int, _ k: Int, _ s: Int) -> (Int, Int) {
            let out = (n + s - 1) / s
            let total = Swift.max((out - 1) * s + k - n, 0)
            return (total / 2, total - total / 2)
        }
        let (t, b) = split(height, kernel.0, stride.0), (l, r) = split(width, kernel.1, stride.1)
        return .sides(top: t, bottom: b, left: l, right: r)
    }

    func window(kernel: (Int, Int), stride: (Int, Int), layer: String) throws -> Window2D {
        switch self {
        case .valid:
            return Window2D(kernel: (kernel.0, kernel.1), stride: (stride.0, stride.1))
        case .same:
            guard stride == (1, 1) else {
                throw ModuleError.invalidConfiguration(layer: layer, message: "padding .same needs stride 1, got \(stride)")
            }
            let (th, tw) = (kernel.0 - 1, kernel.1 - 1)
            return Window2D(kernel: (kernel.0, kernel.1), stride: (1, 1),
                            padding: (top: th / 2, bottom: th - th / 2, left: tw / 2, right: tw - tw / 2))
        case let .explicit(h, w):
            guard h >= 0, w >= 0 else { throw ModuleError.invalidConfiguration(layer: layer, message: "negative padding \(h), \(w)") }
            return Window2D(kernel: (kernel.0, kernel.1), stride: (stride.0, stride.1), padding: (h, w))
        case let .sides(t, b, l, r):
            guard t >= 0, b >= 0, l >= 0, r >= 0, t < kernel.0, l < kernel.1 else {
                throw ModuleError.invalidConfiguration(layer: layer, message: "padding (t\(t) b\(b) l\(l) r\(r)) does not fit kernel \(kernel)")
            }
            return Window2D(kernel: (kernel.0, kernel.1), stride: (stride.0, stride.1), padding: (top: t, bottom: b, left: l, right: r))
        }
    }
}

/// 2-D convolution over channels-last images.
///
///     x: [N, H, W, Cin] → [N, OH, OW, Cout]      weight: [Cout, KH, KW, Cin], bias: [Cout]
///
/// Default init (PyTorch's): weight and bias ~ U(−1/√fanIn, 1/√fanIn), fanIn = KH·KW·Cin.
public final class Conv2D: Layer {
    public let weight: Parameter
    public let bias: Parameter?
    public let window: Window2D
    public let inChannels: Int, outChannels: Int
    /// A LoRA update added to the output of a pointwise convolution (`LoRA.swift`).
    public var adapter: LoRAAdapter?

    public init(inChannels: Int, outChannels: Int, kernelSize: (height: Int, width: Int),
                stride: (height: Int, width: Int) = (1, 1), padding: Padding2D = .valid,
                bias: Bool = true, rng: inout SeededGenerator) throws {
        guard inChannels > 0, outChannels > 0, kernelSize.height > 0, kernelSize.width > 0,
              stride.height > 0, stride.width > 0 else {
            throw ModuleError.invalidConfiguration(layer: "Conv2D",
                message: "channels, kernel and stride must be positive (in \(inChannels), out \(outChannels), kernel \(kernelSize), stride \(stride))")
        }
        self.inChannels = inChannels; self.outChannels = outChannels
        window = try padding.window(kernel: (kernelSize.height, kernelSize.width), stride: (stride.height, stride.width), layer: "Conv2D")
        let fanIn = kernelSize.height * kernelSize.width * inChannels
        weight = Parameter(Init.pytorchDefault([outChannels, kernelSize.height, kernelSize.width, inChannels], fanIn: fanIn, using: &rng))
        self.bias = bias ? Parameter(Init.pytorchDefault([outChannels], fanIn: fanIn, using: &rng)) : nil
    }

    /// Square kernel and stride convenience.
    public convenience init(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1,
                            padding: Padding2D = .valid, bias: Bool = true, rng: inout SeededGenerator) throws {
        try self.init(inChannels: inChannels, outChannels: outChannels, kernelSize: (kernelSize, kernelSize),
                      stride: (stride, stride), padding: padding, bias: bias, rng: &rng)
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        let y = try Tensor.conv2d(input: x, weight: weight.value, bias: bias?.value, window: window)
        guard let adapter else { return y }
        return try y + adapter.delta(x)   // pointwise only: [N, H, W, Cin] → [N, H, W, Cout]
    }

    /// Converts a PyTorch conv weight `[Cout, Cin, KH, KW]` to tl's `[Cout, KH, KW, Cin]`.
    public static func weightFromPyTorchLayout(_ w: Tensor) throws -> Tensor {
        guard w.rank == 4 else { throw ModuleError.invalidInput(layer: "Conv2D", message: "expected a rank-4 weight, got \(w.shape)") }
        return try w.detached().permuted([0, 2, 3, 1])
    }

    /// Converts tl's `[Cout, KH, KW, Cin]` conv weight to PyTorch's `[Cout, Cin, KH, KW]`.
    public static func weightToPyTorchLayout(_ w: Tensor) throws -> Tensor {
        guard w.rank == 4 else { throw ModuleError.invalidInput(layer: "Conv2D", message: "expected a rank-4 weight, got \(w.shape)") }
        return try w.detached().permuted([0, 3, 1, 2])
    }
}

/// Max pooling over channels-last images (padding counts as −∞).
///
///     x: [N, H, W, C] → [N, OH, OW, C]
public final class MaxPool2D: Layer {
    public let window: Window2D
    /// `stride` defaults to the kernel size (non-overlapping windows), as in PyTorch.
    public init(kernelSize: (height: Int, width: Int), stride: (height: Int, width: Int)? = nil,
                padding: (height: Int, width: Int) = (0, 0)) {
        window = Window2D(kernel: kernelSize, stride: stride ?? kernelSize, padding: padding)
    }
    public convenience init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        self.init(kernelSize: (kernelSize, kernelSize), stride: stride.map { ($0, $0) }, padding: (padding, padding))
    }
    public override func forward(_ x: Tensor) throws -> Tensor { try x.maxPool2d(window: window) }
}

/// Average pooling over channels-last images (padding counts as zeros in the average).
///
///     x: [N, H, W, C] → [N, OH, OW, C]
public final class AvgPool2D: Layer {
    public let window: Window2D
    /// `stride` defaults to the kernel size, as in PyTorch.
    public init(kernelSize: (height: Int, width: Int), stride: (height: Int, width: Int)? = nil,
                padding: (height: Int, width: Int) = (0, 0)) {
        window = Window2D(kernel: kernelSize, stride: stride ?? kernelSize, padding: padding)
    }
    public convenience init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        self.init(kernelSize: (kernelSize, kernelSize), stride: stride.map { ($0, $0) }, padding: (padding, padding))
    }
    public override func forward(_ x: Tensor) throws -> Tensor { try x.avgPool2d(window: window) }
}

/// Mean over the spatial axes.
///
///     x: [N, H, W, C] → [N, C]
public final class GlobalAvgPool: Layer {
    public override init() {}
    public override func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank == 4 else { throw ModuleError.invalidInput(layer: "GlobalAvgPool", message: "expected [N, H, W, C], got \(x.shape)") }
        return try x.mean(axes: [1, 2])
    }
}

/// Flattens everything but the batch axis.
///
///     x: [N, d1, d2, …] → [N, d1·d2·…]
public final class Flatten: Layer {
    public override init() {}
    public override func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 1 else { throw ModuleError.invalidInput(layer: "Flatten", message: "expected a batch axis, got a scalar") }
        return x.rank == 1 ? try x.reshaped([x.shape[0], 1]) : try x.flattened(from: 1)
    }
}
