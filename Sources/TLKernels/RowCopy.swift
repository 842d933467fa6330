// Copies between row layouts of different widths: the masked token sequences keep their
// padding mask as one extra trailing channel ([N, T, D + 1], TLNN/MaskedSequence), and the
// encoder works on the [N, T, D] hidden part.

/// dst[r, 0..<columns] = src[r, 0..<columns] for `rows` rows with the given row strides; when
/// the destination is wider, its extra columns get `trailing[r]` (or 0 without `trailing`).
/// Every destination element of the rows is written. Rows are split across threads.
/// - src: rows × sourceStride (≥ columns); dst: rows × destinationStride (≥ columns); trailing: [rows].
public func copyRows(_ src: UnsafeBufferPointer<Float>, sourceStride: Int, into dst: UnsafeMutableBufferPointer<Float>,
                     destinationStride: Int, rows: Int, columns: Int, trailing: UnsafeBufferPointer<Float>? = nil) {
    copyRows(.current, src, sourceStride: sourceStride, into: dst, destinationStride: destinationStride, rows: rows,
             columns: columns, trailing: trailing)
}

func copyRows(_ ctx: KernelContext, _ src: UnsafeBufferPointer<Float>, sourceStride: Int, into dst: UnsafeMutableBufferPointer<Float>,
              destinationStride: Int, rows: Int, columns: Int, trailing: UnsafeBufferPointer<Float>? = nil) {
    guard rows > 0, destinationStride > 0 else { return }
    precondition(columns >= 0 && sourceStride >= columns && destinationStride >= columns
                 && src.count >= (rows - 1) * sourceStride + columns && dst.count >= rows * destinationStride
                 && (trailing?.count ?? rows) >= rows, "copyRows: buffer smaller than its rows")
    let s = src.baseAddress, d = dst.baseAddress!, extra = destinationStride - columns, t = trailing?.baseAddress
    // A memory-bound copy (two streams): split from ~125k elements like the other streaming
    // passes (a MiniLM activation, 2048 × 384, was copied on one thread at cost 1).
    parallelRows(ctx, rows: rows, cols: destinationStride, costPerElement: memoryBoundWeight) { range in
        for r in range {
            let row = d + r * destinationStride
            if columns > 0, let s { row.update(from: s + r * sourceStride, count: columns) }
            if extra > 0 { (row + columns).update(repeating: t?[r] ?? 0, count: extra) }
        }
    }
}

/// Naive twin of `copyRows` (element by element).
public func copyRowsReference(_ src: UnsafeBufferPointer<Float>, sourceStride: Int, into dst: UnsafeMutableBufferPointer<Float>,
                              destinationStride: Int, rows: Int, columns: Int, trailing: UnsafeBufferPointer<Float>? = nil) {
    for r in 0..<rows {
        for j in 0..<destinationStride {
            dst[r * destinationStride + j] = j < columns ? src[r * sourceStride + j] : (trailing?[r] ?? 0)
        }
    }
}
