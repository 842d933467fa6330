import TLIO
import TLTensor

/// `{"type": "invertedresidual", "out": 24, "kernel": 3, "stride": 2, "expand": 6, "epsilon": 1e-3}`:
/// a MobileNetV2 / EfficientNet-Lite block (`InvertedResidual`): expand 1×1 (skipped when
/// `expand` is 1) – BN – ReLU6, depthwise k×k with TensorFlow "SAME" padding – BN – ReLU6,
/// project 1×1 – BN, plus the input when stride is 1 and the width is unchanged.
/// `epsilon` (BatchNorm) defaults to 1e-3, TensorFlow's.
///
///     [H, W, Cin] → [⌈H/stride⌉, ⌈W/stride⌉, out]
public struct InvertedResidualSpec: LayerSpec {
    public static let typeName = "invertedresidual"
    public static let keys: Set<String> = ["out", "kernel", "stride", "expand", "epsilon"]
    public var out: Int
    public var kernel: Int
    public var stride: Int
    public var expand: Int
    public var epsilon: Double

    public init(out: Int, kernel: Int, stride: Int = 1, expand: Int = 6, epsilon: Double = 1e-3) {
        self.out = out
        self.kernel = kernel
        self.stride = stride
        self.expand = expand
        self.epsilon = epsilon
    }

    public init(fields: LayerFields) throws {
        self.init(out: try fields.positiveInt("out"), kernel: try fields.positiveInt("kernel"),
                  stride: try fields.positiveInt("stride", default: 1), expand: try fields.positiveInt("expand", default: 6),
                  epsilon: try fields.epsilon(default: 1e-3))
    }

    public var jsonFields: [String: Any] { ["out": out, "kernel": kernel, "stride": stride, "expand": expand, "epsilon": epsilon] }

    public func outputShape(for input: [Int], context: SpecContext) throws -> [Int] {
        let (h, w, _) = try ImageShape.hwc(input, Self.typeName)
        return [(h + stride - 1) / stride, (w + stride - 1) / stride, out]
    }

    public func parameterCount(input: [Int], context: SpecContext) -> Int? {
        let hidden = AllocationBudget.product([input[2], expand]) ?? Int.max
        return weightCount([input[2], hidden], [kernel, kernel, hidden], [hidden, out], [4, hidden], [4, out])
    }

    public func makeLayer(input: [Int], context: SpecContext, rng: inout SeededGenerator) throws -> Layer {
        try InvertedResidual(inChannels: input[2], outChannels: out, kernel: kernel, stride: stride, expansion: expand,
                             epsilon: Float(epsilon), inputSize: (input[0], input[1]), rng: &rng)
    }
}
