import TLTensor

// Packed-sequence (padding-free) inference for MultiHeadAttention: see MaskedSequence+Packed.swift.

extension MultiHeadAttention {
    /// The query, key and value projections as one: weight [3D, D] and bias [3D] (rows Q | K | V),
    /// or nil when a projection has a LoRA adapter or no bias. The padded path's `attend` builds
    /// the same concatenation per call; the packed path builds it once per embedding run.
    func fusedQKVWeights() throws -> (weight: Tensor, bias: Tensor)? {
        let projections = [query, key, value]
        guard projections.allSatisfy({ $0.adapter == nil && $0.bias != nil }) else { return nil }
        return (try Tensor.concat(projections.map(\.weight.value), axis: 0),
                try Tensor.concat(projections.compactMap { $0.bias?.value }, axis: 0))
    }

    /// Self-attention of each packed sequence over its own tokens (eval mode, no graph):
    /// the same projections and fused attention as `forward(_:attentionMask:)` on the padded batch.
    ///
    ///     x: [ΣL, D] → [ΣL, D]
    func packedForward(_ x: Tensor, layout: PackedLayout, fusedQKV: (weight: Tensor, bias: Tensor)) throws -> Tensor {
        guard x.rank == 2, x.shape[1] == hiddenSize else {
            throw ModuleError.invalidInput(layer: "MultiHeadAttention(\(hiddenSize))", message: "expected packed [ΣL, \(hiddenSize)], got \(x.shape)")
        }
        let scale = 1 / Float(hiddenSize / headCount).squareRoot()
        let context = try Tensor.packedSequenceAttention(packed: x.linear(weight: fusedQKV.weight, bias: fusedQKV.bias),
                                                         offsets: layout.offsets, paddedLength: layout.paddedLength,
                                                         heads: headCount, scale: scale)                  // [ΣL, D]
        return try projection(output, context)
    }
}
