import Foundation
import TLIO

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
///
/// Each layer kind (`"type"`) is one `LayerSpec` type in `Spec/Layers/`, listed in
/// `LayerRegistry.kinds`; this file knows only the spec's outer structure.
public struct ModelSpec: Sendable, Equatable {
    public var name: String
    public var description: String?
    public var input: InputSpec
    public var blocks: [BlockSpec]

    public init(name: String, description: String? = nil, input: InputSpec, blocks: [BlockSpec]) {
        self.name = name
        self.description = description
        self.input = input
        self.blocks = blocks
    }

    public enum InputSpec: Sendable, Equatable {
        /// Dense features or an image, channels-last.
        case dense(shape: [Int])
        /// A sequence of token ids of this length.
        case tokens(length: Int)

        /// "128 tokens" or "[28, 28, 1]".
        public var summary: String {
            switch self {
            case .tokens(let t): return "\(t) tokens"
            case .dense(let shape): return "[" + shape.map(String.init).joined(separator: ", ") + "]"
            }
        }
    }

    /// A named top-level block: the unit of freezing and block indexing.
    public struct BlockSpec: Sendable, Equatable {
        public var name: String
        public var layers: [any LayerSpec]

        public init(name: String, layers: [any LayerSpec]) {
            self.name = name
            self.layers = layers
        }

        public static func == (a: BlockSpec, b: BlockSpec) -> Bool {
            a.name == b.name && a.layers.count == b.layers.count && zip(a.layers, b.layers).allSatisfy { $0.isEqual(to: $1) }
        }
    }

    /// A width that may come from the data.
    public enum Dim: Sendable, Equatable {
        case fixed(Int), classes, vocab

        public func resolve(classes: Int, vocab: Int) -> Int {
            switch self { case .fixed(let n): return n; case .classes: return classes; case .vocab: return vocab }
        }

        public func resolve(_ context: SpecContext) -> Int { resolve(classes: context.classes, vocab: context.vocab) }

        /// The JSON form: the number, or the symbol `"classes"` / `"vocab"`.
        public var jsonValue: Any {
            switch self { case .fixed(let n): return n; case .classes: return "classes"; case .vocab: return "vocab" }
        }
    }

    /// Reads and validates a spec file.
    public static func load(from url: URL) throws -> ModelSpec {
        let data: Data
        do { data = try RegularFile.read(url.path, limit: 64 << 20) } catch let e as FileAccessError {
            throw SpecError(file: url.path, path: "$", message: e.problem)
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
        if inputJSON.value is [Any] {
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
            let layers = try b.field("layers", in: o).array().map(LayerRegistry.parse)
            guard !layers.isEmpty else { throw b.fail("a block needs at least one layer") }
            blocks.append(BlockSpec(name: blockName, layers: layers))
        }
        let spec = ModelSpec(name: name, description: description, input: input, blocks: blocks)
        try spec.validateShapes(file: file)
        return spec
    }
}
