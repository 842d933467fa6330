import TLKernels

// The padding mask of token models travels as one trailing channel ([N, T, D + 1], see
// TLNN/MaskedSequence.swift). These two primitives split it off and put it back with one
// pass each way (forward and backward), rows split across threads: the generic slice's
// backward pads with a zero-filled buffer, and concat's backward slices again.

extension Tensor {
    /// The tensor without its last channel: [..., C + 1] → [..., C]. The gradient gets a zero
    /// last channel. Equals `sliced(axis: -1, 0..<C)` (values and gradients; tested).
    public func droppingLastChannel() throws -> Tensor {
        guard rank >= 1, let width = shape.last, width >= 2 else {
            throw TensorError.invalidArgument(operation: "droppingLastChannel", message: "needs a last axis of at least 2, got \(shape)")
        }
        let rows = count / width, cols = width - 1
        let out = uninitializedScalars(rows * cols) { po in
            scalars.withUnsafeBufferPointer { copyRows($0, sourceStride: width, into: po, destinationStride: cols, rows: rows, columns: cols) }
        }
        return Tensor.record(.fused(ChannelCopyRule(inputWidth: width, appended: false)), inputs: [self],
                             output: Tensor(unchecked: out, shape: Array(shape.dropLast()) + [cols]))
    }

    /// The tensor with one more last channel holding `channel` (one value per row, not
    /// differentiable): [..., C] → [..., C + 1]. Equals `concat([self, channel], axis: -1)`.
    public func appendingChannel(_ channel: [Float]) throws -> Tensor {
        guard rank >= 1, let width = shape.last, width >= 1 else {
            throw TensorError.invalidArgument(operation: "appendingChannel", message: "needs a last axis of at least 1, got \(shape)")
        }
        let rows = count / width
        guard channel.count == rows else {
            throw TensorError.invalidArgument(operation: "appendingChannel", message: "\(channel.count) channel values for \(rows) rows of \(shape)")
        }
        let out = uninitializedScalars(rows * (width + 1)) { po in
            scalars.withUnsafeBufferPointer { px in
                channel.withUnsafeBufferPointer { copyRows(px, sourceStride: width, into: po, destinationStride: width + 1, rows: rows, columns: width, trailing: $0) }
            }
        }
        return Tensor.record(.fused(ChannelCopyRule(inputWidth: width, appended: true)), inputs: [self],
                             output: Tensor(unchecked: out, shape: Array(shape.dropLast()) + [width + 1]))
    }
}

/// Backward of both: copy the kept channels back, with a zero channel for the dropped one.
struct ChannelCopyRule: FusedRule {
    let inputWidth: Int
    let appended: Bool

    func gradients(inputs x: [Tensor], upstream g: Tensor, needs: [Bool]) throws -> [Tensor?] {
        guard needs[0] else { return [nil] }
        let rows = x[0].count / inputWidth                          // inputWidth ≥ 1 (checked by both)
        let gWidth = appended ? inputWidth + 1 : inputWidth - 1
        let dx = uninitializedScalars(x[0].count) { pd in
            g.scalars.withUnsafeBufferPointer { pg in
                copyRows(pg, sourceStride: gWidth, into: pd, destinationStride: inputWidth, rows: rows,
                         columns: Swift.min(gWidth, inputWidth))
            }
        }
        return [Tensor(unchecked: dx, shape: x[0].shape)]
    }
}
