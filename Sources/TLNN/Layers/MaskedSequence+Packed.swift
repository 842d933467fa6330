import TLTensor

// Padding-free (packed-sequence) inference through a token model's standard layers. The padded
// path (MaskedSequence.swift) runs a batch as [N, T, D + 1], padded to its longest text, the mask
// as a trailing channel that every encoder layer splits off and re-attaches; every token-wise
// step also runs on the padding rows. The packed path keeps the hidden states as one token
// matrix and the sequence boundaries beside it:
//
//     ids of N texts → embeddings [ΣLᵢ, D] → encoder layers [ΣLᵢ, D] → pool [N, D]
//
// Linear layers, LayerNorm and GELU run on the [ΣLᵢ, D] rows as they are; attention runs per
// sequence over its own tokens (Tensor.packedSequenceAttention); the pool reduces per sequence.
// Inference only (eval mode, no graph); the same embeddings as the padded path bit for bit
// (PackedTokenEncoderTests; conditions in TLKernels/Attention+Sequences.swift).

/// Where each sequence's rows are in a packed [ΣLᵢ, D] token matrix.
public struct PackedLayout: Sendable, Equatable {
    /// Sequence i holds rows offsets[i]..<offsets[i + 1].
    public let offsets: [Int]
    /// The longest sequence: the length the padded path pads the batch to.
    public let paddedLength: Int

    public init(lengths: [Int]) {
        var offsets = [0]
        for n in lengths { offsets.append(offsets[offsets.count - 1] + n) }
        self.offsets = offsets
        paddedLength = lengths.max() ?? 0
    }

    public var rows: Int { offsets[offsets.count - 1] }
}

/// A token model's layers from the embeddings up to the sequence pool, run on packed sequences.
///
///     token ids of N texts (`supports(_:)`: Lᵢ ≥ 1, no padding id 0) → [N, D]
///
/// Built only for the standard stack — a `TokenEmbeddingBlock`, `MaskedEncoderLayer`s and a
/// `SequencePool` last (dropout layers allowed in between), every module in eval mode, no
/// LoRA adapter — else `make` returns nil and callers keep the padded path. Captures the
/// fused Q|K|V weights once: rebuild it after changing the model's weights.
public struct PackedTokenEncoder {
    private let embeddings: BertEmbeddings
    /// Encoder blocks with their fused Q|K|V weights, and dropout layers (identity in eval mode).
    private let steps: [Step]
    private let pool: SequencePool.Mode

    private enum Step {
        case encoder(TransformerEncoderBlock, qkv: (weight: Tensor, bias: Tensor))
        case dropout(Dropout)
    }

    /// The packed path for `layers` (in application order, ending with the pool), or nil.
    public static func make(layers: [Layer]) throws -> PackedTokenEncoder? {
        guard let first = layers.first as? TokenEmbeddingBlock, let pool = layers.last as? SequencePool, layers.count >= 2 else { return nil }
        for layer in layers {
            for (_, module) in layer.namedModules() {
                if module.isTraining { return nil }
                if let linear = module as? Linear, linear.adapter != nil { return nil }
            }
        }
        var steps: [Step] = []
        for layer in layers.dropFirst().dropLast() {
            if let encoder = layer as? MaskedEncoderLayer {
                guard let qkv = try encoder.layer.attention.fusedQKVWeights() else { return nil }
                steps.append(.encoder(encoder.layer, qkv: qkv))
            } else if let dropout = layer as? Dropout {
                steps.append(.dropout(dropout))
            } else {
                return nil
            }
        }
        return PackedTokenEncoder(embeddings: first.embeddings, steps: steps, pool: pool.mode)
    }

    /// Whether this batch runs packed with the padded path's result: `supports(lengths:)`, and
    /// no id 0 (the padded path masks id 0 as padding wherever it stands).
    public func supports(_ sequences: [[Int]]) -> Bool {
        supports(lengths: sequences.map(\.count)) && !sequences.contains { $0.contains(0) }
    }

    /// Whether a batch of these lengths runs packed with the padded path's result: at least one
    /// sequence, none empty, and no linear layer's product small enough for the GEMM's
    /// tiny-product loops on the ΣL packed rows but not on the N·T padded rows (possible only
    /// for models of width ≤ 64; such a batch keeps the padded path).
    public func supports(lengths: [Int]) -> Bool {
        guard let longest = lengths.max(), lengths.allSatisfy({ $0 > 0 }) else { return false }
        let packedRows = lengths.reduce(0, +), paddedRows = lengths.count * longest
        return linearSizes.allSatisfy { size in
            Tensor.linearRunsUnpacked(rows: packedRows, inFeatures: size.in, outFeatures: size.out)
                == Tensor.linearRunsUnpacked(rows: paddedRows, inFeatures: size.in, outFeatures: size.out)
        }
    }

    /// (in, out) of every linear layer the encoder blocks run (the fused Q|K|V as one).
    private var linearSizes: [(in: Int, out: Int)] {
        steps.flatMap { step -> [(in: Int, out: Int)] in
            guard case .encoder(let block, let qkv) = step else { return [] }
            return [(qkv.weight.shape[1], qkv.weight.shape[0])]
                + [block.attention.output, block.intermediate, block.output].map { ($0.inFeatures, $0.outFeatures) }
        }
    }

    /// The pooled vectors [N, D] of `sequences` (token ids), as the padded layers give for the
    /// same batch; the batch must be `supports(_:)`.
    public func pooled(_ sequences: [[Int]]) throws -> Tensor {
        guard supports(sequences) else {
            throw ModuleError.invalidInput(layer: "PackedTokenEncoder", message: "a batch of \(sequences.count) sequences of lengths \(sequences.map(\.count).prefix(8))… does not run packed (an empty sequence, a padding id 0, or tiny products)")
        }
        let layout = PackedLayout(lengths: sequences.map(\.count))
        var h = try embedded(sequences, layout: layout)                                   // [ΣL, D]
        for step in steps {
            switch step {
            case .encoder(let block, let qkv): h = try block.packedForward(h, layout: layout, fusedQKV: qkv)
            case .dropout(let dropout): h = try dropout(h)
            }
        }
        switch pool {
        case .mean: return try h.packedMeanPool(offsets: layout.offsets)                  // [N, D]
        case .cls: return try h.packedFirstRows(offsets: layout.offsets)
        }
    }

    /// BertEmbeddings on packed sequences: positions restart at 0 for each; the same sums
    /// (word + position, then + type 0), LayerNorm and dropout as `forward(tokenIDs:shape:)`.
    ///
    ///     ids of N sequences → [ΣL, D]
    private func embedded(_ sequences: [[Int]], layout: PackedLayout) throws -> Tensor {
        let ids = sequences.flatMap { $0 }
        try embeddings.checkTokenIDs(ids)
        guard layout.paddedLength <= embeddings.positionEmbeddings.count else {
            throw ModuleError.invalidInput(layer: "BertEmbeddings", message: "sequence length \(layout.paddedLength) exceeds the \(embeddings.positionEmbeddings.count) positions")
        }
        let positions = sequences.flatMap { 0..<$0.count }
        let words = try embeddings.wordEmbeddings(ids, shape: [ids.count])                // [ΣL, D]
        let placed = try embeddings.positionEmbeddings(positions, shape: [ids.count])     // [ΣL, D]
        let types = try embeddings.tokenTypeEmbeddings([0], shape: [1])                   // [1, D]
        return try embeddings.dropout(embeddings.layerNorm(words + placed + types))
    }
}
