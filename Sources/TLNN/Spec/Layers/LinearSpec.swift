import TLTensor

/// `{"type": "linear", "out": 120 | "classes", "bias": true}`: a fully connected layer on the
/// last axis. The head ends in one with `"out": "classes"`.
///
///     [..., in] → [..., out]
public struct LinearSpec: LayerSpec {
    public static let typeName = "linear"
    public static let keys: Set<String> = ["out", "bias"]
    public var out: ModelSpec.Dim
    public var bias: Bool

    public init(out: ModelSpec.Dim, bias: Bool = true) {
        self.out = out
        self.bias = bias
    }

    public init(fields: LayerFields) throws {
        out = try fields.dim("out", symbol: .classes)
        bias = try fields.bool("bias", default: true)
    }

    public var jsonFields: [String: Any] { ["out": out.jsonValue, "bias": bias] }

    public func outputShape(for input: [Int], context: SpecContext) throws -> [Int] {
        input.dropLast() + [out.resolve(context)]
    }

    public func parameterCount(input: [Int], context: SpecContext) -> Int? {
        weightCount([input[input.count - 1], out.resolve(context)], [bias ? out.resolve(context) : 0])
    }

    public func makeLayer(input: [Int], context: SpecContext, rng: inout SeededGenerator) throws -> Layer {
        try Linear(inFeatures: input[input.count - 1], outFeatures: out.resolve(context), bias: bias, rng: &rng)
    }
}
