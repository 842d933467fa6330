/// Odometer loops over row-major index spaces with per-operand strides. These are the one
/// place where broadcasting, reductions and permutations turn into pointer offsets: every
/// loop walks all axes but the last, and hands the innermost contiguous run to a kernel.
enum StridedLoops {
    /// For each row (all axes except the last) of `shape`, calls
    /// `body(offsetA, offsetB, rowIndex)` where the offsets follow `stridesA` / `stridesB`.
    /// The output is assumed contiguous: row `r` starts at `r * shape.last`.
    @inline(__always)
    static func forEachRow(shape: [Int], stridesA: [Int], stridesB: [Int], _ body: (Int, Int, Int) -> Void) {
        let rank = shape.count
        if rank == 0 { body(0, 0, 0); return }
        let last = shape[rank - 1]
        guard last > 0 else { return }
        let total = Shape.count(shape)
        guard total > 0 else { return }
        let rows = total / last
        if rank == 1 { body(0, 0, 0); return }
        var index = [Int](repeating: 0, count: rank - 1)
        var offsetA = 0, offsetB = 0
        for row in 0..<rows {
            body(offsetA, offsetB, row)
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                offsetA += stridesA[axis]
                offsetB += stridesB[axis]
                if index[axis] < shape[axis] { break }
                offsetA -= stridesA[axis] * shape[axis]
                offsetB -= stridesB[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }

    /// Copies `source` (read with `sourceStrides`, possibly 0 for broadcast axes, or permuted)
    /// into a new contiguous array of `shape`.
    static func gather(_ source: [Float], shape: [Int], sourceStrides: [Int]) -> [Float] {
        let total = Shape.count(shape)
        guard total > 0 else { return [] }
        let last = shape.last ?? 1
        let lastStride = sourceStrides.last ?? 0
        // The rows cover the output exactly once: no zero-fill first.
        return [Float](unsafeUninitializedCapacity: total) { dst, initialized in
            defer { initialized = total }
            source.withUnsafeBufferPointer { src in
                forEachRow(shape: shape, stridesA: sourceStrides, stridesB: sourceStrides) { offset, _, row in
                    let base = row * last
                    if lastStride == 1 {
                        (dst.baseAddress! + base).update(from: src.baseAddress! + offset, count: last)
                    } else if lastStride == 0 {
                        (dst.baseAddress! + base).update(repeating: src[offset], count: last)
                    } else {
                        for j in 0..<last { (dst.baseAddress! + base + j).initialize(to: src[offset + j * lastStride]) }
                    }
                }
            }
        }
    }
}
