import TLTensor

/// `{"type": "residual", "out": 32, "stride": 1}`: a basic ResNet block
/// (conv3×3(stride)–BN–ReLU–conv3×3–BN, plus the input through a 1×1 conv + BN when the
/// shape changes, then ReLU).
///
///     [H, W, Cin] → [(H − 1)/stride + 1, (W − 1)/stride + 1, out]
public struct ResidualSpec: LayerSpec {
    public static let typeName = "residual"
    public static let keys: Set<String> = ["out", "stride"]
    public var out: Int
    public var stride: Int

    public init(out: Int, stride: Int = 1) {
        self.out = out
        self.stride = stride
    }

    public init(fields: LayerFields) throws {
        self.init(out: try fields.positiveInt("out"), stride: try fields.positiveInt("stride", default: 1))
    }

    public var jsonFields: [String: Any] { ["out": out, "stride": stride] }

    public func outputShape(for input: [Int], context: SpecContext) throws -> [Int] {
        let (h, w, _) = try ImageShape.hwc(input, Self.typeName)
        return [(h - 1) / stride + 1, (w - 1) / stride + 1, out]
    }

    public func parameterCount(input: [Int], context: SpecContext) -> Int? {
        weightCount([9, input[2], out], [9, out, out], [input[2], out], [12, out])
    }

    public func makeLayer(input: [Int], context: SpecContext, rng: inout SeededGenerator) throws -> Layer {
        try ResidualBlock(inChannels: input[2], outChannels: out, stride: stride, rng: &rng)
    }
}
