import TLTensor

// Token models are built from single-tensor blocks like every other model, so freezing,
// block indexing and frozen-prefix caching work the same way. The padding mask travels with
// the activations as one extra trailing channel:
//
//     ids [N, T] (as Float) → embeddings → [N, T, D + 1]   (channel D = 1 for tokens, 0 for padding)
//     encoder layer:  [N, T, D + 1] → [N, T, D + 1]       (mask passed through unchanged)
//     pool:           [N, T, D + 1] → [N, D]
//
// Id 0 is padding, as in BERT's vocabulary and tl's own word vocabularies.

/// Splits `[N, T, D + 1]` into the hidden states `[N, T, D]` and the mask `[N, T]`.
func splitMaskChannel(_ x: Tensor, layer: String) throws -> (hidden: Tensor, mask: Tensor) {
    guard x.rank == 3, x.shape[2] >= 2 else {
        throw ModuleError.invalidInput(layer: layer, message: "expected [N, T, D + 1] activations with a mask channel, got \(x.shape)")
    }
    // One-pass copies (Tensor+MaskChannel) in place of the generic slice and concat.
    let width = x.shape[2], rows = x.shape[0] * x.shape[1]
    let hidden = try x.droppingLastChannel()
    let mask = x.scalars.withUnsafeBufferPointer { p in (0..<rows).map { p[$0 * width + width - 1] } }
    return (hidden, try Tensor(mask, shape: [x.shape[0], x.shape[1]]))
}

/// Re-attaches the mask channel.
func joinMaskChannel(_ hidden: Tensor, _ mask: Tensor) throws -> Tensor {
    try hidden.appendingChannel(mask.scalars)
}

/// BERT-style embeddings block: token + position (+ token type) embeddings → LayerNorm →
/// dropout, with the padding mask appended as a channel.
///
///     x: [N, T] token ids (Float) → [N, T, D + 1]
public final class TokenEmbeddingBlock: Layer {
    public let embeddings: BertEmbeddings

    public init(embeddings: BertEmbeddings) { self.embeddings = embeddings }

    public override func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank == 2 else {
            throw ModuleError.invalidInput(layer: "TokenEmbeddingBlock", message: "expected token ids [N, T], got \(x.shape)")
        }
        let ids = x.scalars.map { Int($0) }
        try embeddings.checkTokenIDs(ids)
        let hidden = try embeddings.forward(tokenIDs: ids, shape: x.shape)
        let mask = x.detached().mapped { $0 != 0 ? 1 : 0 }
        return try joinMaskChannel(hidden, mask)
    }
}

/// A transformer encoder layer over masked activations.
///
///     x: [N, T, D + 1] → [N, T, D + 1]
public final class MaskedEncoderLayer: Layer {
    public let layer: TransformerEncoderBlock

    public init(layer: TransformerEncoderBlock) { self.layer = layer }

    public override func forward(_ x: Tensor) throws -> Tensor {
        let (hidden, mask) = try splitMaskChannel(x, layer: "MaskedEncoderLayer")
        return try joinMaskChannel(layer.forward(hidden, attentionMask: mask), mask)
    }
}

/// Reduces a masked sequence to one vector per example.
///
///     x: [N, T, D + 1] → [N, D]   (mean over non-padding tokens, or the first token)
public final class SequencePool: Layer {
    /// Mean over the non-padding tokens, or the first ([CLS]) token.
    public enum Mode: String, Sendable, CaseIterable { case cls, mean }

    public let mode: Mode

    public init(mode: Mode) { self.mode = mode }

    public override func forward(_ x: Tensor) throws -> Tensor {
        switch mode {
        case .cls:
            let (hidden, _) = try splitMaskChannel(x, layer: "SequencePool")
            return try hidden.sliced(axis: 1, 0..<1).reshaped([hidden.shape[0], hidden.shape[2]])
        case .mean:
            guard x.rank == 3, x.shape[2] >= 2 else {
                throw ModuleError.invalidInput(layer: "SequencePool", message: "expected [N, T, D + 1] activations with a mask channel, got \(x.shape)")
            }
            return try x.maskedMeanPool()                                          // one pass each way, in place
        }
    }

    /// The composite the fused mean pool replaces (reference for tests).
    func meanComposite(_ x: Tensor) throws -> Tensor {
        let (hidden, mask) = try splitMaskChannel(x, layer: "SequencePool")
        let m = try mask.unsqueezed(axis: 2)                                       // [N, T, 1]
        let total = try (hidden * m).sum(axis: 1)                                  // [N, D]
        let count = try m.sum(axis: 1).clamp(min: 1e-9)                             // [N, 1]
        return try total / count
    }
}

extension BertEmbeddings {
    /// Throws the one-line error of a token id outside the vocabulary (the padded
    /// `TokenEmbeddingBlock.forward` and the packed path of `PackedTokenEncoder` alike).
    func checkTokenIDs(_ ids: [Int]) throws {
        let vocab = wordEmbeddings.count
        if let bad = ids.first(where: { $0 < 0 || $0 >= vocab }) {
            throw ModuleError.invalidInput(layer: "TokenEmbeddingBlock", message: "token id \(bad) outside the vocabulary of \(vocab)")
        }
    }
}
