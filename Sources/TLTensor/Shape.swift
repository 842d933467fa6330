/// Shape arithmetic shared by every tensor operation: element counts, row-major strides,
/// NumPy broadcasting and axis normalisation.
public enum Shape {
    /// Number of elements of a shape (1 for a scalar `[]`).
    @inlinable
    public static func count(_ shape: [Int]) -> Int { shape.reduce(1, *) }

    /// Row-major (C-order) strides in elements.
    public static func strides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = running
            running *= shape[axis]
        }
        return strides
    }

    /// The NumPy broadcast of two shapes: align trailing axes; each pair must be equal or
    /// contain a 1. Throws `shapeMismatch` naming both shapes otherwise.
    public static func broadcast(_ a: [Int], _ b: [Int], operation: String) throws -> [Int] {
        let rank = max(a.count, b.count)
        var result = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            if da == db || db == 1 { result[i] = da }
            else if da == 1 { result[i] = db }
            else { throw TensorError.shapeMismatch(operation: operation, lhs: a, rhs: b) }
        }
        return result
    }

    /// Strides that read a tensor of `shape` as if it had the (broadcast) shape `target`:
    /// broadcast axes get stride 0.
    static func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
        let own = strides(shape)
        let offset = target.count - shape.count
        var result = [Int](repeating: 0, count: target.count)
        for i in 0..<shape.count where shape[i] != 1 || target[i + offset] == 1 {
            result[i + offset] = shape[i] == 1 ? 0 : own[i]
        }
        return result
    }

    /// Maps a possibly negative axis into `0..<rank`, or throws.
    public static func normalize(axis: Int, rank: Int, operation: String) throws -> Int {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0, a < max(rank, 1) else {
            throw TensorError.invalidArgument(operation: operation,
                                              message: "axis \(axis) out of range for rank \(rank)")
        }
        return a
    }

    /// Normalises and de-duplicates a list of axes (sorted ascending).
    public static func normalize(axes: [Int], rank: Int, operation: String) throws -> [Int] {
        let normalized = try axes.map { try normalize(axis: $0, rank: rank, operation: operation) }
        guard Set(normalized).count == normalized.count else {
            throw TensorError.invalidArgument(operation: operation, message: "repeated axis in \(axes)")
        }
        return normalized.sorted()
    }
}
