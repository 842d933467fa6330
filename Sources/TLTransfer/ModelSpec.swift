import Foundation

/// An architecture described by a small JSON file in `Models/`.
///
/// ```json
/// { "name": "lenet", "input": [28, 28, 1],
///   "blocks": [
///     { "name": "conv1", "layers": [ {"type": "conv2d", "out": 6, "kernel": 5, "padding": 2},
///                                    {"type": "relu"}, {"type": "maxpool", "size": 2} ] },
///     …
///     { "name": "head",  "layers": [ {"type": "linear", "out": "classes"} ] } ] }
/// ```
///
/// The top-level `blocks` are what `--freeze 0..3` indexes; the last block is the head.
/// `"classes"` (a head's width) and `"vocab"` (an embedding's vocabulary) are filled in from
/// the data. Sample shapes exclude the batch axis; images are channels-last `[H, W, C]`,
/// token inputs are `{"tokens": T}` (ids `[T]`).
public struct ModelSpec: Sendable, Equatable {
    public var name: String
    public var description: String?
    public var input: InputSpec
    public var blocks: [BlockSpec]

    public enum InputSpec: Sendable, Equatable {
        /// Dense features or an image, channels-last.
        case dense(shape: [Int])
        /// A sequence of token ids of this length.
        case tokens(length: Int)
    }

    public struct BlockSpec: Sendable, Equatable {
        public var name: String
        public var layers: [LayerSpec]
    }

    /// A width that may come from the data.
    public enum Dim: Sendable, Equatable {
        case fixed(Int), classes, vocab
        public func resolve(classes: Int, vocab: Int) -> Int {
            switch self { case .fixed(let n): return n; case .classes: return classes; case .vocab: return vocab }
        }
    }

    public enum NormPlacement: String, Sendable { case post, pre }
    public enum PoolMode: String, Sendable { case cls, mean }

    public enum LayerSpec: Sendable, Equatable {
        case flatten
        case linear(out: Dim, bias: Bool)
        case conv2d(out: Int, kernel: Int, stride: Int, padding: Int, bias: Bool)
        case maxPool(size: Int, stride: Int)
        case avgPool(size: Int, stride: Int)
        case globalAvgPool
        case batchNorm
        case layerNorm(epsilon: Double)
        case dropout(rate: Double)
        case relu, gelu, tanh, sigmoid
        /// A basic ResNet block: conv3×3(stride)–BN–ReLU–conv3×3–BN, plus the input (through a
        /// 1×1 conv + BN when the shape changes), then ReLU.
        case residual(out: Int, stride: Int)
        /// Token + learned position (+ segment) embeddings, then LayerNorm and dropout (BERT).
        case embedding(vocab: Dim, dim: Int, maxLength: Int, segments: Int, dropout: Double, epsilon: Double)
        /// A transformer encoder block (multi-head self-attention + GELU feed-forward).
        case encoder(heads: Int, ffn: Int, norm: NormPlacement, dropout: Double, epsilon: Double)
        /// Reduces `[T, D]` to `[D]`: the first ([CLS]) token or the mask-aware mean.
        case sequencePool(mode: PoolMode)
    }

    /// Reads and validates a spec file.
    public static func load(from url: URL) throws -> ModelSpec {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw SpecError(file: url.path, path: "$", message: "cannot read file (\(error.localizedDescription))")
        }
        return try parse(data, file: url.path)
    }

    /// Parses and validates spec JSON; `file` names the source in error messages.
    public static func parse(_ data: Data, file: String) throws -> ModelSpec {
        let root = try SpecJSON.parse(data, file: file)
        let top = try root.object(allowed: ["name", "description", "input", "blocks"])
        let name = try root.field("name", in: top).string()
        let description = try root.optionalField("description", in: top)?.string()
        let inputJSON = try root.field("input", in: top)
        let input: InputSpec
        if let dims = inputJSON.value as? [Any] {
            _ = dims
            let shape = try inputJSON.array().map { try $0.positiveInt() }
            guard !shape.isEmpty, shape.count <= 3 else { throw inputJSON.fail("expected 1 to 3 dimensions ([features] or [H, W, C])") }
            input = .dense(shape: shape)
        } else {
            let o = try inputJSON.object(allowed: ["tokens"])
            input = .tokens(length: try inputJSON.field("tokens", in: o).positiveInt())
        }
        let blocksJSON = try root.field("blocks", in: top).array()
        guard !blocksJSON.isEmpty else { throw root.fail("blocks: expected at least one block") }
        var blocks: [BlockSpec] = []
        var names = Set<String>()
        for b in blocksJSON {
            let o = try b.object(allowed: ["name", "layers"])
            let blockName = try b.field("name", in: o).string()
            guard names.insert(blockName).inserted else { throw b.fail("duplicate block name '\(blockName)'") }
            let layers = try b.field("layers", in: o).array().map(parseLayer)
            guard !layers.isEmpty else { throw b.fail("a block needs at least one layer") }
            blocks.append(BlockSpec(name: blockName, layers: layers))
        }
        let spec = ModelSpec(name: name, description: description, input: input, blocks: blocks)
        try spec.validateShapes(file: file)
        return spec
    }

    private static func parseLayer(_ j: SpecJSON) throws -> LayerSpec {
        guard let dict = j.value as? [String: Any] else { throw j.fail("expected a layer object, got \(SpecJSON.describe(j.value))") }
        guard let typeValue = dict["type"] else { throw SpecError(file: j.file, path: j.path + ".type", message: "missing required field") }
        guard let type = typeValue as? String else { throw SpecError(file: j.file, path: j.path + ".type", message: "expected a string") }
        func keys(_ k: Set<String>) throws -> [String: Any] { try j.object(allowed: k.union(["type"])) }
        func int(_ o: [String: Any], _ k: String, default d: Int? = nil) throws -> Int {
            if let d, o[k] == nil { return d }
            return try j.field(k, in: o).positiveInt()
        }
        func nonNegative(_ o: [String: Any], _ k: String, default d: Int) throws -> Int {
            guard let f = j.optionalField(k, in: o) else { return d }
            let v = try f.int()
            guard v >= 0 else { throw f.fail("expected a non-negative integer, got \(v)") }
            return v
        }
        func bool(_ o: [String: Any], _ k: String, default d: Bool) throws -> Bool {
            try j.optionalField(k, in: o)?.bool() ?? d
        }
        func fraction(_ o: [String: Any], _ k: String, default d: Double) throws -> Double {
            guard let f = j.optionalField(k, in: o) else { return d }
            let v = try f.double()
            guard v >= 0, v < 1 else { throw f.fail("expected a number in [0, 1), got \(v)") }
            return v
        }
        func epsilon(_ o: [String: Any], default d: Double) throws -> Double {
            guard let f = j.optionalField("epsilon", in: o) else { return d }
            let v = try f.double()
            guard v > 0, v < 1 else { throw f.fail("expected a small positive number, got \(v)") }
            return v
        }
        func dim(_ o: [String: Any], _ k: String, symbol: String, value: Dim) throws -> Dim {
            let f = try j.field(k, in: o)
            if let s = f.value as? String {
                guard s == symbol else { throw f.fail("expected a positive integer or \"\(symbol)\", got \"\(s)\"") }
                return value
            }
            return .fixed(try f.positiveInt())
        }
        switch type {
        case "flatten": _ = try keys([]); return .flatten
        case "relu": _ = try keys([]); return .relu
        case "gelu": _ = try keys([]); return .gelu
        case "tanh": _ = try keys([]); return .tanh
        case "sigmoid": _ = try keys([]); return .sigmoid
        case "globalavgpool": _ = try keys([]); return .globalAvgPool
        case "batchnorm": _ = try keys([]); return .batchNorm
        case "linear":
            let o = try keys(["out", "bias"])
            return .linear(out: try dim(o, "out", symbol: "classes", value: .classes), bias: try bool(o, "bias", default: true))
        case "conv2d":
            let o = try keys(["out", "kernel", "stride", "padding", "bias"])
            return .conv2d(out: try int(o, "out"), kernel: try int(o, "kernel"), stride: try int(o, "stride", default: 1),
                           padding: try nonNegative(o, "padding", default: 0), bias: try bool(o, "bias", default: true))
        case "maxpool", "avgpool":
            let o = try keys(["size", "stride"])
            let size = try int(o, "size")
            let stride = try int(o, "stride", default: size)
            return type == "maxpool" ? .maxPool(size: size, stride: stride) : .avgPool(size: size, stride: stride)
        case "layernorm":
            let o = try keys(["epsilon"])
            return .layerNorm(epsilon: try epsilon(o, default: 1e-5))
        case "dropout":
            let o = try keys(["rate"])
            return .dropout(rate: try fraction(o, "rate", default: 0.1))
        case "residual":
            let o = try keys(["out", "stride"])
            return .residual(out: try int(o, "out"), stride: try int(o, "stride", default: 1))
        case "embedding":
            let o = try keys(["vocab", "dim", "max_length", "segments", "dropout", "epsilon"])
            return .embedding(vocab: try dim(o, "vocab", symbol: "vocab", value: .vocab), dim: try int(o, "dim"),
                              maxLength: try int(o, "max_length"), segments: try nonNegative(o, "segments", default: 0),
                              dropout: try fraction(o, "dropout", default: 0), epsilon: try epsilon(o, default: 1e-12))
        case "encoder":
            let o = try keys(["heads", "ffn", "norm", "dropout", "epsilon"])
            var norm = NormPlacement.post
            if let f = j.optionalField("norm", in: o) {
                let s = try f.string()
                guard let n = NormPlacement(rawValue: s) else { throw f.fail("expected \"post\" or \"pre\", got \"\(s)\"") }
                norm = n
            }
            return .encoder(heads: try int(o, "heads"), ffn: try int(o, "ffn"), norm: norm,
                            dropout: try fraction(o, "dropout", default: 0), epsilon: try epsilon(o, default: 1e-12))
        case "pool":
            let o = try keys(["mode"])
            let f = try j.field("mode", in: o)
            let s = try f.string()
            guard let mode = PoolMode(rawValue: s) else { throw f.fail("expected \"cls\" or \"mean\", got \"\(s)\"") }
            return .sequencePool(mode: mode)
        default:
            let known = ["flatten", "linear", "conv2d", "maxpool", "avgpool", "globalavgpool", "batchnorm", "layernorm",
                         "dropout", "relu", "gelu", "tanh", "sigmoid", "residual", "embedding", "encoder", "pool"]
            let hint = SpecJSON.nearest(type, in: known).map { " (did you mean '\($0)'?)" } ?? ""
            throw SpecError(file: j.file, path: j.path + ".type", message: "unknown layer type '\(type)'\(hint)")
        }
    }
}
