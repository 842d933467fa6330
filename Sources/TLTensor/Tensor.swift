/// A dense, row-major Float32 tensor with value semantics.
///
/// Storage is a Swift `Array`, so copies are cheap and copy-on-write: mutating one copy never
/// changes another. A tensor that requires gradients also carries a reference to its node in
/// the autodiff graph (`node`); copies share that node, so `grad` of a parameter is visible
/// through every copy of it, as in PyTorch. Tensors that do not require gradients carry no
/// node and every operation on them records nothing.
public struct Tensor {
    /// The extent of each axis; `[]` is a scalar.
    public private(set) var shape: [Int]
    /// Elements in row-major order (`shape` product of them).
    public internal(set) var scalars: [Float]
    /// Autodiff node, present only when this tensor requires grad.
    var node: AutodiffNode?

    /// Creates a tensor from elements in row-major order. Throws if the count does not match.
    public init(_ scalars: [Float], shape: [Int]) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw TensorError.invalidArgument(operation: "Tensor.init", message: "negative dimension in \(shape)")
        }
        guard Shape.count(shape) == scalars.count else {
            throw TensorError.invalidArgument(
                operation: "Tensor.init",
                message: "\(scalars.count) elements cannot fill shape \(shape) (\(Shape.count(shape)) elements)")
        }
        self.shape = shape
        self.scalars = scalars
        self.node = nil
    }

    /// Internal unchecked initialiser; callers guarantee `scalars.count == Shape.count(shape)`.
    init(unchecked scalars: [Float], shape: [Int], node: AutodiffNode? = nil) {
        assert(scalars.count == Shape.count(shape))
        self.shape = shape
        self.scalars = scalars
        self.node = node
    }

    /// A 1-D tensor of the given elements.
    public init(_ scalars: [Float]) {
        self.init(unchecked: scalars, shape: [scalars.count])
    }

    /// A scalar (rank-0) tensor.
    public init(scalar: Float) {
        self.init(unchecked: [scalar], shape: [])
    }

    /// Number of axes.
    public var rank: Int { shape.count }
    /// Number of elements.
    public var count: Int { scalars.count }

    /// The single element of a one-element tensor.
    public func item() throws -> Float {
        guard scalars.count == 1 else {
            throw TensorError.invalidArgument(operation: "item", message: "tensor of shape \(shape) has \(scalars.count) elements, expected 1")
        }
        return scalars[0]
    }

    /// Read-only access to the elements as a raw buffer (for kernels).
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try scalars.withUnsafeBufferPointer(body)
    }

    /// Mutable access to the elements (copy-on-write keeps other copies intact). Used by
    /// optimizers to update parameters in place; the autodiff node is kept.
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try scalars.withUnsafeMutableBufferPointer(body)
    }

    /// Replaces the elements in place, keeping shape and autodiff identity (for loading weights).
    public mutating func assign(_ newScalars: [Float]) throws {
        guard newScalars.count == scalars.count else {
            throw TensorError.invalidArgument(operation: "assign", message: "\(newScalars.count) elements for shape \(shape)")
        }
        scalars = newScalars
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(shown)\(scalars.count > 8 ? ", …" : "")])"
    }
}

extension Tensor: Equatable {
    /// Tensors are equal when their shapes and elements are equal (autodiff state ignored).
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        lhs.shape == rhs.shape && lhs.scalars == rhs.scalars
    }
}
