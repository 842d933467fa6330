import TLTensor

/// A lookup table of learned vectors.
///
///     ids: [Int] laid out as `shape` (e.g. [N, T]) → [..shape, dimension];  weight: [count, dimension]
///
/// Default init (PyTorch's): weight ~ N(0, 1). Ids outside `0..<count` throw.
public final class Embedding: Module {
    public let weight: Parameter
    public let count: Int, dimension: Int

    public init(count: Int, dimension: Int, rng: inout SeededGenerator) throws {
        guard count > 0, dimension > 0 else {
            throw ModuleError.invalidConfiguration(layer: "Embedding", message: "count and dimension must be positive, got \(count), \(dimension)")
        }
        self.count = count; self.dimension = dimension
        weight = Parameter(Tensor.normal([count, dimension], using: &rng))
    }

    /// Looks up `ids` (row-major over `shape`).
    public func forward(_ ids: [Int], shape: [Int]) throws -> Tensor {
        guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == ids.count else {
            throw ModuleError.invalidInput(layer: "Embedding", message: "\(ids.count) ids do not fill shape \(shape)")
        }
        if let bad = ids.first(where: { $0 < 0 || $0 >= count }) {
            throw ModuleError.invalidInput(layer: "Embedding(\(count))", message: "id \(bad) is outside 0..<\(count)")
        }
        return try weight.value.indexSelect(axis: 0, ids).reshaped(shape + [dimension])
    }

    /// Same as `forward(_:shape:)`.
    public func callAsFunction(_ ids: [Int], shape: [Int]) throws -> Tensor { try forward(ids, shape: shape) }
}
