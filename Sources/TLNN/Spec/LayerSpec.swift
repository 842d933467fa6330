import TLIO
import TLTensor

/// One kind of layer a model spec can name (`{"type": "conv2d", …}`). A kind declares, in
/// one file under `Spec/Layers/`: its JSON keys and their validation (`init(fields:)`), its
/// serialisation (`jsonFields`), its output shape and its builder. `LayerRegistry.kinds`
/// lists every kind; adding one is one new file plus one line there.
///
/// Shapes exclude the batch axis: images are channels-last `[H, W, C]`, sequences `[T, D]`.
public protocol LayerSpec: Sendable, Equatable {
    /// The `"type"` value in spec JSON, e.g. `"conv2d"`.
    static var typeName: String { get }
    /// The JSON keys the kind accepts besides `"type"` (unknown keys are errors).
    static var keys: Set<String> { get }
    /// Whether the layer reads token ids: a token model's first layer must, no other layer may.
    static var readsTokenIDs: Bool { get }

    /// Reads and validates the layer's fields; errors name the JSON path.
    init(fields: LayerFields) throws
    /// The fields besides `"type"`, in the form `init(fields:)` reads (defaults written out).
    var jsonFields: [String: Any] { get }
    /// The output sample shape for an input sample shape; throws `SpecShapeError` when the
    /// input cannot feed this layer.
    func outputShape(for input: [Int], context: SpecContext) throws -> [Int]
    /// How many weights the layer holds for a validated `input` shape (nil when the count
    /// overflows); checked against the allocation budget before any layer is built.
    func parameterCount(input: [Int], context: SpecContext) -> Int?
    /// A fresh layer (weights drawn from `rng`) for inputs of a validated `input` shape.
    func makeLayer(input: [Int], context: SpecContext, rng: inout SeededGenerator) throws -> Layer
}

extension LayerSpec {
    public static var keys: Set<String> { [] }
    public static var readsTokenIDs: Bool { false }
    public var jsonFields: [String: Any] { [:] }
    /// Layers without weights (activations, pooling, reshaping).
    public func parameterCount(input: [Int], context: SpecContext) -> Int? { 0 }
    /// Elementwise layers keep the shape.
    public func outputShape(for input: [Int], context: SpecContext) throws -> [Int] { input }

    /// Whether `other` is the same kind with the same fields.
    public func isEqual(to other: any LayerSpec) -> Bool { (other as? Self) == self }
}

/// A kind without fields (`{"type": "relu"}`): `init()` is all it needs to be read.
public protocol FieldlessLayerSpec: LayerSpec {
    init()
}

extension FieldlessLayerSpec {
    public init(fields: LayerFields) throws { self.init() }
}

/// The data-dependent widths a spec leaves open (`"classes"`, `"vocab"`).
public struct SpecContext: Sendable, Equatable {
    public var classes: Int
    public var vocab: Int

    public init(classes: Int, vocab: Int) {
        self.classes = classes
        self.vocab = vocab
    }
}

/// A shape a layer cannot take; `ModelSpec` adds the file and the layer's JSON path.
public struct SpecShapeError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Overflow-checked weight counts: the sum of the products of each factor list (nil on overflow).
func weightCount(_ tensors: [Int]...) -> Int? {
    var total = 0
    for factors in tensors {
        guard let n = AllocationBudget.product(factors) else { return nil }
        let (sum, overflow) = total.addingReportingOverflow(n)
        if overflow { return nil }
        total = sum
    }
    return total
}

/// Shape rules shared by image layers.
enum ImageShape {
    /// `input` as `(H, W, C)`, or an error naming the layer kind.
    static func hwc(_ input: [Int], _ kind: String) throws -> (h: Int, w: Int, c: Int) {
        guard input.count == 3 else { throw SpecShapeError("\(kind) expects an [H, W, C] input, got \(input)") }
        return (input[0], input[1], input[2])
    }

    /// Output length of a sliding window along one axis, nil when the window does not fit.
    static func windowCount(_ extent: Int, window: Int, stride: Int, padding: Int = 0) -> Int? {
        guard extent + 2 * padding >= window else { return nil }
        return (extent + 2 * padding - window) / stride + 1
    }
}

/// A square pooling window: `{"size": 2, "stride": 2}` (stride defaults to size).
public struct PoolWindow: Sendable, Equatable {
    public var size: Int
    public var stride: Int

    public init(size: Int, stride: Int) {
        self.size = size
        self.stride = stride
    }
}

/// Pooling kinds over a `PoolWindow`: keys, validation, shape and JSON are shared; a kind
/// adds its type name and its layer.
///
///     [H, W, C] → [(H − size)/stride + 1, (W − size)/stride + 1, C]
public protocol PoolWindowSpec: LayerSpec {
    var window: PoolWindow { get }
    init(window: PoolWindow)
}

extension PoolWindowSpec {
    public static var keys: Set<String> { ["size", "stride"] }

    public init(size: Int, stride: Int) { self.init(window: PoolWindow(size: size, stride: stride)) }

    public init(fields: LayerFields) throws {
        let size = try fields.positiveInt("size")
        self.init(size: size, stride: try fields.positiveInt("stride", default: size))
    }

    public var jsonFields: [String: Any] { ["size": window.size, "stride": window.stride] }

    public func outputShape(for input: [Int], context: SpecContext) throws -> [Int] {
        let (h, w, c) = try ImageShape.hwc(input, Self.typeName)
        let (size, stride) = (window.size, window.stride)
        guard let oh = ImageShape.windowCount(h, window: size, stride: stride),
              let ow = ImageShape.windowCount(w, window: size, stride: stride) else {
            throw SpecShapeError("pool size \(size) does not fit the \(h)×\(w) input")
        }
        return [oh, ow, c]
    }
}

/// A convolution's `"padding"`: an integer (that many zeros on every side) or `"same"`
/// (TensorFlow's "SAME": output ⌈in / stride⌉, with the odd extra row and column of padding
/// at the bottom and right, as TensorFlow-trained weights such as EfficientNet-Lite expect).
public enum SpecPadding: Sendable, Equatable, ExpressibleByIntegerLiteral {
    case explicit(Int)
    case same

    public init(integerLiteral value: Int) { self = .explicit(value) }

    /// The JSON form: the integer, or `"same"`.
    public var jsonValue: Any {
        switch self { case .explicit(let p): return p; case .same: return "same" }
    }

    /// Output length along one axis, nil when the window does not fit.
    func outputCount(_ extent: Int, kernel: Int, stride: Int) -> Int? {
        switch self {
        case .explicit(let p): return ImageShape.windowCount(extent, window: kernel, stride: stride, padding: p)
        case .same: return extent >= 1 ? (extent + stride - 1) / stride : nil
        }
    }

    /// The layer padding for a square kernel on an `[H, W, C]` input.
    func padding2D(kernel: Int, stride: Int, input: [Int]) -> Padding2D {
        switch self {
        case .explicit(let p): return .explicit(height: p, width: p)
        case .same: return .tensorFlowSame(kernel: (kernel, kernel), stride: (stride, stride), height: input[0], width: input[1])
        }
    }
}
