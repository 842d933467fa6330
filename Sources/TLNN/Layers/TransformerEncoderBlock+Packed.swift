import TLTensor

// Packed-sequence (padding-free) inference for TransformerEncoderBlock: see MaskedSequence+Packed.swift.

extension TransformerEncoderBlock {
    /// The block on packed sequences (eval mode, no graph): every step as in
    /// `forward(_:attentionMask:)`, token-wise steps on the [ΣL, D] rows, attention per sequence.
    ///
    ///     x: [ΣL, D] → [ΣL, D]
    func packedForward(_ x: Tensor, layout: PackedLayout, fusedQKV: (weight: Tensor, bias: Tensor)) throws -> Tensor {
        if preNorm {
            let a = try x + dropout(attention.packedForward(attentionNorm(x), layout: layout, fusedQKV: fusedQKV))
            return try a + dropout(feedForward(outputNorm(a)))
        }
        let a = try residualNorm(x, attention.packedForward(x, layout: layout, fusedQKV: fusedQKV), dropout: dropout, norm: attentionNorm)
        return try residualNorm(a, feedForward(a), dropout: dropout, norm: outputNorm)
    }
}
