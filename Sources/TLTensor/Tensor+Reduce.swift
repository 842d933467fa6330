import TLKernels

// Reductions over one or more axes, with keepDims, plus the broadcast/un-broadcast pair
// (`expanded(to:)`, `sum(toShape:)`) that autodiff uses for broadcasting.
extension Tensor {
    /// Shape after reducing `axes` (normalised, sorted) with dims kept as 1.
    static func keptShape(_ shape: [Int], reducing axes: [Int]) -> [Int] {
        var s = shape
        for a in axes { s[a] = 1 }
        return s
    }

    /// Shared reduction engine: walks the input once; `combineRun` folds a contiguous run
    /// into one value (reduced last axis), `combine` folds elementwise (kept last axis).
    private static func reduce(_ x: Tensor, axes: [Int], initial: Float,
                               combineRun: (UnsafePointer<Float>, Int) -> Float,
                               combine: (Float, Float) -> Float) -> [Float] {
        let kept = keptShape(x.shape, reducing: axes)
        var out = [Float](repeating: initial, count: Shape.count(kept))
        guard x.count > 0 else { return out }
        let keptStrides = Shape.strides(kept)
        var mapped = keptStrides
        for a in axes { mapped[a] = 0 }
        let inStrides = Shape.strides(x.shape)
        let last = x.shape.last ?? 1
        let lastReduced = x.rank > 0 && axes.contains(x.rank - 1)
        x.scalars.withUnsafeBufferPointer { px in
            out.withUnsafeMutableBufferPointer { po in
                let X = px.baseAddress!, O = po.baseAddress!
                if x.rank == 0 { O[0] = combine(O[0], X[0]); return }
                StridedLoops.forEachRow(shape: x.shape, stridesA: inStrides, stridesB: mapped) { ix, ox, _ in
                    if lastReduced {
                        O[ox] = combine(O[ox], combineRun(X + ix, last))
                    } else {
                        for j in 0..<last { O[ox + j] = combine(O[ox + j], X[ix + j]) }
                    }
                }
            }
        }
        return out
    }

    /// Sum over `axes` (all axes when empty... use `sum()` for the total).
    public func sum(axes: [Int], keepDims: Bool = false) throws -> Tensor {
        let ax = try Shape.normalize(axes: axes, rank: rank, operation: "sum")
        let kept = Tensor.keptShape(shape, reducing: ax)
        let values: [Float]
        if !ax.isEmpty, ax.count < rank, ax == Array(0..<ax.count), count > 0 {
            // Leading axes (a bias gradient: [rows, cols] → [cols]): vectorised column sums
            // (`sumRows`), the same additions in the same order as the general loop.
            let cols = shape[ax.count...].reduce(1, *), rows = count / cols
            values = [Float](unsafeUninitializedCapacity: cols) { out, initialized in
                scalars.withUnsafeBufferPointer { sumRows($0.baseAddress!, rows: rows, cols: cols, into: out.baseAddress!) }
                initialized = cols
            }
        } else {
            values = Tensor.reduce(self, axes: ax, initial: 0, combineRun: { sumContiguous($0, count: $1) }, combine: +)
        }
        let outShape = keepDims ? kept : shape.enumerated().filter { !ax.contains($0.offset) }.map(\.element)
        return Tensor.record(.sum(axes: ax, inputShape: shape), inputs: [self],
                             output: Tensor(unchecked: values, shape: outShape))
    }

    /// Sum over one axis.
    public func sum(axis: Int, keepDims: Bool = false) throws -> Tensor { try sum(axes: [axis], keepDims: keepDims) }

    /// Sum of all elements as a scalar tensor.
    public func sum() -> Tensor {
        // Cannot throw: every axis of self is valid.
        (try? sum(axes: Array(0..<rank), keepDims: false)) ?? self
    }

    /// Mean over `axes`.
    public func mean(axes: [Int], keepDims: Bool = false) throws -> Tensor {
        let ax = try Shape.normalize(axes: axes, rank: rank, operation: "mean")
        let n = ax.reduce(1) { $0 * shape[$1] }
        return try sum(axes: ax, keepDims: keepDims) * (1 / Float(Swift.max(n, 1)))
    }

    /// Mean over one axis.
    public func mean(axis: Int, keepDims: Bool = false) throws -> Tensor { try mean(axes: [axis], keepDims: keepDims) }

    /// Mean of all elements.
    public func mean() -> Tensor { sum() * (1 / Float(Swift.max(count, 1))) }

    /// Variance over `axes`: mean((x − mean)²) · n / (n − correction). `correction: 1` gives
    /// the unbiased estimator. Two-pass (subtract the mean first), so it is accurate even
    /// when the mean is large relative to the spread.
    public func variance(axes: [Int], keepDims: Bool = false, correction: Int = 0) throws -> Tensor {
        let ax = try Shape.normalize(axes: axes, rank: rank, operation: "variance")
        let n = ax.reduce(1) { $0 * shape[$1] }
        let centered = try self - mean(axes: ax, keepDims: true)
        let ss = try centered.pow(2).sum(axes: ax, keepDims: keepDims)
        return ss * (1 / Float(Swift.max(n - correction, 1)))
    }

    /// Maximum over `axes`. The gradient is shared equally between tied maxima.
    public func max(axes: [Int], keepDims: Bool = false) throws -> Tensor {
        let ax = try Shape.normalize(axes: axes, rank: rank, operation: "max")
        guard ax.allSatisfy({ shape[$0] > 0 }) else {
            throw TensorError.invalidArgument(operation: "max", message: "cannot reduce an empty axis of shape \(shape)")
        }
        let kept = Tensor.keptShape(shape, reducing: ax)
        let values = Tensor.reduce(self, axes: ax, initial: -.infinity,
                                   combineRun: { maxContiguous($0, count: $1) }, combine: { Swift.max($0, $1) })
        let outShape = keepDims ? kept : shape.enumerated().filter { !ax.contains($0.offset) }.map(\.element)
        return Tensor.record(.max(axes: ax, inputShape: shape), inputs: [self],
                             output: Tensor(unchecked: values, shape: outShape), saveOutput: true)
    }

    /// Maximum over one axis.
    public func max(axis: Int, keepDims: Bool = false) throws -> Tensor { try max(axes: [axis], keepDims: keepDims) }

    /// Indices of the maximum along `axis` (first occurrence), shape without that axis.
    public func argmax(axis: Int) throws -> [Int] {
        let a = try Shape.normalize(axis: axis, rank: rank, operation: "argmax")
        let n = shape[a]
        guard n > 0 else { throw TensorError.invalidArgument(operation: "argmax", message: "empty axis in \(shape)") }
        let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *)
        var result = [Int](repeating: 0, count: outer * inner)
        for o in 0..<outer {
            for i in 0..<inner {
                var best = scalars[o * n * inner + i], bestIndex = 0
                for k in 1..<n {
                    let v = scalars[(o * n + k) * inner + i]
                    if v > best { best = v; bestIndex = k }
                }
                result[o * inner + i] = bestIndex
            }
        }
        return result
    }

    /// Broadcasts to `target` (NumPy rules), materialising the copy.
    public func expanded(to target: [Int]) throws -> Tensor {
        let s = try Shape.broadcast(shape, target, operation: "expand")
        guard s == target else { throw TensorError.shapeMismatch(operation: "expand", lhs: shape, rhs: target) }
        if shape == target { return self }
        let values = StridedLoops.gather(scalars, shape: target, sourceStrides: Shape.broadcastStrides(shape, to: target))
        return Tensor.record(.expand(inputShape: shape), inputs: [self], output: Tensor(unchecked: values, shape: target))
    }

    /// Sums a broadcast result back down to `target` (the adjoint of `expanded(to:)`).
    public func sum(toShape target: [Int]) throws -> Tensor {
        if shape == target { return self }
        guard target.count <= rank else { throw TensorError.shapeMismatch(operation: "sum(toShape:)", lhs: shape, rhs: target) }
        let offset = rank - target.count
        var axes = Array(0..<offset)
        for i in 0..<target.count {
            if target[i] == 1 && shape[i + offset] != 1 { axes.append(i + offset) }
            else if target[i] != shape[i + offset] {
                throw TensorError.shapeMismatch(operation: "sum(toShape:)", lhs: shape, rhs: target)
            }
        }
        return try sum(axes: axes, keepDims: true).reshaped(target)
    }
}
