import TLKernels

// Shape and layout movement: reshape, permute, slice, concat/stack, gather, pad.
extension Tensor {
    /// The same elements viewed with a new shape; one dimension may be -1 (inferred).
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        var target = newShape
        let inferred = target.indices.filter { target[$0] == -1 }
        guard inferred.count <= 1, target.allSatisfy({ $0 >= -1 }) else {
            throw TensorError.invalidArgument(operation: "reshape", message: "invalid target shape \(newShape)")
        }
        if let i = inferred.first {
            let known = target.enumerated().filter { $0.offset != i }.reduce(1) { $0 * $1.element }
            guard known > 0, count % known == 0 else { throw TensorError.shapeMismatch(operation: "reshape", lhs: shape, rhs: newShape) }
            target[i] = count / known
        }
        guard Shape.count(target) == count else { throw TensorError.shapeMismatch(operation: "reshape", lhs: shape, rhs: newShape) }
        if target == shape { return self }
        return Tensor.record(.reshape(inputShape: shape), inputs: [self], output: Tensor(unchecked: scalars, shape: target))
    }

    /// Flattens axes from `startAxis` on into one: `[N, H, W, C]` → `[N, H·W·C]` for 1.
    public func flattened(from startAxis: Int = 0) throws -> Tensor {
        let a = try Shape.normalize(axis: startAxis, rank: rank, operation: "flatten")
        return try reshaped(Array(shape[..<a]) + [shape[a...].reduce(1, *)])
    }

    /// Inserts an axis of size 1 at `axis` (which may equal `rank`).
    public func unsqueezed(axis: Int) throws -> Tensor {
        let a = axis < 0 ? axis + rank + 1 : axis
        guard a >= 0, a <= rank else { throw TensorError.invalidArgument(operation: "unsqueeze", message: "axis \(axis) out of range for rank \(rank)") }
        var s = shape; s.insert(1, at: a)
        return try reshaped(s)
    }

    /// Removes an axis of size 1.
    public func squeezed(axis: Int) throws -> Tensor {
        let a = try Shape.normalize(axis: axis, rank: rank, operation: "squeeze")
        guard shape[a] == 1 else { throw TensorError.invalidArgument(operation: "squeeze", message: "axis \(axis) of \(shape) is not 1") }
        var s = shape; s.remove(at: a)
        return try reshaped(s)
    }

    /// Reorders axes: output axis `i` is input axis `axes[i]`.
    public func permuted(_ axes: [Int]) throws -> Tensor {
        guard axes.count == rank, Set(axes) == Set(0..<rank) else {
            throw TensorError.invalidArgument(operation: "permute", message: "\(axes) is not a permutation of the \(rank) axes of \(shape)")
        }
        if axes == Array(0..<rank) { return self }
        let inStrides = Shape.strides(shape)
        let outShape = axes.map { shape[$0] }
        let values = StridedLoops.gather(scalars, shape: outShape, sourceStrides: axes.map { inStrides[$0] })
        return Tensor.record(.permute(axes), inputs: [self], output: Tensor(unchecked: values, shape: outShape))
    }

    /// Swaps two axes (by default the last two: a matrix transpose).
    public func transposed(_ a: Int = -2, _ b: Int = -1) throws -> Tensor {
        let x = try Shape.normalize(axis: a, rank: rank, operation: "transpose")
        let y = try Shape.normalize(axis: b, rank: rank, operation: "transpose")
        var axes = Array(0..<rank); axes.swapAt(x, y)
        return try permuted(axes)
    }

    /// Elements `range` along `axis` (step 1).
    public func sliced(axis: Int, _ range: Range<Int>) throws -> Tensor {
        let a = try Shape.normalize(axis: axis, rank: rank, operation: "slice")
        guard range.lowerBound >= 0, range.upperBound <= shape[a] else {
            throw TensorError.invalidArgument(operation: "slice", message: "range \(range) out of bounds for axis \(a) of \(shape)")
        }
        let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *)
        var outShape = shape; outShape[a] = range.count
        let run = range.count * inner
        // Each outer index copies one run; together they cover the output: no zero-fill first.
        let values = [Float](unsafeUninitializedCapacity: outer * run) { dst, initialized in
            if run > 0 {
                scalars.withUnsafeBufferPointer { src in
                    if outer == 1 {
                        copyFloats(src.baseAddress! + range.lowerBound * inner, to: dst.baseAddress!, count: run)
                    } else {
                        for o in 0..<outer {
                            (dst.baseAddress! + o * run).initialize(from: src.baseAddress! + (o * shape[a] + range.lowerBound) * inner, count: run)
                        }
                    }
                }
            }
            initialized = outer * run
        }
        return Tensor.record(.slice(axis: a, start: range.lowerBound, inputShape: shape), inputs: [self],
                             output: Tensor(unchecked: values, shape: outShape))
    }

    /// Concatenates along `axis`; all other axes must match.
    public static func concat(_ tensors: [Tensor], axis: Int) throws -> Tensor {
        guard let first = tensors.first else { throw TensorError.invalidArgument(operation: "concat", message: "no tensors") }
        let a = try Shape.normalize(axis: axis, rank: first.rank, operation: "concat")
        for t in tensors {
            var s1 = t.shape, s0 = first.shape
            guard s1.count == s0.count else { throw TensorError.shapeMismatch(operation: "concat", lhs: first.shape, rhs: t.shape) }
            s1[a] = 0; s0[a] = 0
            guard s1 == s0 else { throw TensorError.shapeMismatch(operation: "concat", lhs: first.shape, rhs: t.shape) }
        }
        let sizes = tensors.map { $0.shape[a] }
        let total = sizes.reduce(0, +)
        let outer = first.shape[..<a].reduce(1, *), inner = first.shape[(a + 1)...].reduce(1, *)
        var outShape = first.shape; outShape[a] = total
        // The runs of the inputs tile every output row: no zero fill first.
        var values = [Float](unsafeUninitializedCapacity: Shape.count(outShape)) { _, n in n = Shape.count(outShape) }
        values.withUnsafeMutableBufferPointer { dst in
            var offset = 0
            for (t, size) in zip(tensors, sizes) {
                let run = size * inner
                if run > 0 {
                    t.scalars.withUnsafeBufferPointer { src in
                        if outer == 1 {
                            copyFloats(src.baseAddress!, to: dst.baseAddress! + offset, count: run)
                        } else {
                            for o in 0..<outer {
                                (dst.baseAddress! + o * total * inner + offset).update(from: src.baseAddress! + o * run, count: run)
                            }
                        }
                    }
                }
                offset += run
            }
        }
        return record(.concat(axis: a, sizes: sizes), inputs: tensors, output: Tensor(unchecked: values, shape: outShape))
    }

    /// Stacks equally shaped tensors along a new axis.
    public static func stack(_ tensors: [Tensor], axis: Int = 0) throws -> Tensor {
        guard let first = tensors.first else { throw TensorError.invalidArgument(operation: "stack", message: "no tensors") }
        for t in tensors where t.shape != first.shape {
            throw TensorError.shapeMismatch(operation: "stack", lhs: first.shape, rhs: t.shape)
        }
        return try concat(tensors.map { try $0.unsqueezed(axis: axis) }, axis: axis)
    }

    /// Selects `indices` along `axis` (embedding lookup is `table.indexSelect(axis: 0, ids)`).
    /// Indices may repeat; their gradients add up.
    public func indexSelect(axis: Int, _ indices: [Int]) throws -> Tensor {
        let a = try Shape.normalize(axis: axis, rank: rank, operation: "indexSelect")
        let n = shape[a]
        if let bad = indices.first(where: { $0 < 0 || $0 >= n }) {
            throw TensorError.invalidArgument(operation: "indexSelect", message: "index \(bad) out of range 0..<\(n) for axis \(a) of \(shape)")
        }
        let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *)
        var outShape = shape; outShape[a] = indices.count
        let total = Shape.count(outShape)
        // Every output slice is one copied input slice; the slices split across threads (a
        // transformer's [32·64] token lookup ran on one core while the other waited).
        let values = [Float](unsafeUninitializedCapacity: total) { dst, initialized in
            if inner > 0 && total > 0 {
                scalars.withUnsafeBufferPointer { src in
                    let s = src.baseAddress!, d = dst.baseAddress!
                    parallelChunks(units: outer * indices.count, work: total * memoryBoundWeight) { slices in
                        for slice in slices {
                            let o = slice / indices.count, idx = indices[slice % indices.count]
                            (d + slice * inner).initialize(from: s + (o * n + idx) * inner, count: inner)
                        }
                    }
                }
            }
            initialized = total
        }
        return Tensor.record(.indexSelect(axis: a, indices: indices, inputShape: shape), inputs: [self],
                             output: Tensor(unchecked: values, shape: outShape))
    }

    /// Scatter-add: a zero tensor of `shape` with `self`'s slices added at `indices` along
    /// `axis`. The adjoint of `indexSelect`; not differentiable itself.
    func indexAdd(axis a: Int, _ indices: [Int], into inputShape: [Int]) -> Tensor {
        let n = inputShape[a]
        let outer = inputShape[..<a].reduce(1, *), inner = inputShape[(a + 1)...].reduce(1, *)
        let total = Shape.count(inputShape)
        guard inner > 0, outer > 0, !indices.isEmpty else {
            return Tensor(unchecked: [Float](repeating: 0, count: total), shape: inputShape)
        }
        // Same additions in the same order as an indexed loop, on raw pointers (vectorised).
        // Threads take column slices of 16 (zeroing and adding only their own columns), so each
        // element still sees its additions in index order: the same result at any thread count.
        // (An embedding's dense gradient, [5000, 128] for 2048 tokens, ran on one core.)
        let columnUnits = (inner + 15) / 16
        let values = [Float](unsafeUninitializedCapacity: total) { pv, initialized in
            scalars.withUnsafeBufferPointer { ps in
                let s = ps.baseAddress!, v = pv.baseAddress!
                parallelChunks(units: columnUnits, work: (total + indices.count * inner) * memoryBoundWeight) { units in
                    let j0 = units.lowerBound * 16, j1 = Swift.min(inner, units.upperBound * 16)
                    for row in 0..<(outer * n) { (v + row * inner + j0).initialize(repeating: 0, count: j1 - j0) }
                    for o in 0..<outer {
                        for (k, idx) in indices.enumerated() {
                            let src = s + (o * indices.count + k) * inner, dst = v + (o * n + idx) * inner
                            for j in j0..<j1 { dst[j] += src[j] }
                        }
                    }
                }
            }
            initialized = total
        }
        return Tensor(unchecked: values, shape: inputShape)
    }

    /// Pads each axis with `padding[i] = (before, after)` copies of `value`.
    public func padded(_ padding: [(before: Int, after: Int)], value: Float = 0) throws -> Tensor {
        guard padding.count == rank, padding.allSatisfy({ $0.before >= 0 && $0.after >= 0 }) else {
            throw TensorError.invalidArgument(operation: "pad", message: "need \(rank) non-negative (before, after) pairs for shape \(shape)")
        }
        let outShape = zip(shape, padding).map { $0 + $1.before + $1.after }
        var values = [Float](repeating: value, count: Shape.count(outShape))
        let outStrides = Shape.strides(outShape)
        let base = zip(padding, outStrides).reduce(0) { $0 + $1.0.before * $1.1 }
        let last = shape.last ?? 1
        if count > 0 {
            scalars.withUnsafeBufferPointer { src in
                values.withUnsafeMutableBufferPointer { dst in
                    StridedLoops.forEachRow(shape: shape, stridesA: Shape.strides(shape), stridesB: outStrides) { si, di, _ in
                        (dst.baseAddress! + base + di).update(from: src.baseAddress! + si, count: last)
                    }
                }
            }
        }
        return Tensor.record(.pad(padding.map { [$0.before, $0.after] }), inputs: [self],
                             output: Tensor(unchecked: values, shape: outShape))
    }
}

/// dst[0..<count] = src[0..<count] (trivial Floats, so also for uninitialised dst), split across
/// the kernel threads from ~125k elements (a memory-bound pass): the attention's packed QKV
/// weight [3D, D] is one concat of three [D, D] weights per step, and its gradient three slices.
func copyFloats(_ src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int) {
    parallelElements(count: count, streams: 2) { r in
        (dst + r.lowerBound).update(from: src + r.lowerBound, count: r.count)
    }
}
