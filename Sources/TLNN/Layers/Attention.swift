import Foundation
import TLTensor

/// Multi-head scaled dot-product self-attention with separate query/key/value/output
/// projections (each a `Linear` with bias), laid out like BERT's so checkpoints map 1:1:
/// `query`, `key`, `value` ↔ HF `attention.self.{query,key,value}`, `output` ↔ HF
/// `attention.output.dense`.
///
///     x: [N, T, D], attentionMask: [N, T] of 1 (attend) / 0 (padding) → [N, T, D]
///     scores = (Q·Kᵀ) / √(D/H) + (1 − mask)·(−1e9)   per head: [N, H, T, T]
///
/// The additive mask is large and finite rather than −∞: masked keys get weight exactly 0
/// after the max-subtracted exp (e^(−1e9) underflows to 0 in Float32), and a row whose keys
/// are all masked still gives finite (uniform) weights instead of NaN.
public final class MultiHeadAttention: Module {
    public let query: Linear
    public let key: Linear
    public let value: Linear
    public let output: Linear
    /// Dropout on the attention probabilities (BERT's `attention_probs_dropout_prob`).
    public let attentionDropout: Dropout
    public let hiddenSize: Int, headCount: Int

    /// The additive score for masked keys.
    public static let maskedScore: Float = -1e9

    public init(hiddenSize: Int, headCount: Int, attentionDropout: Float = 0, rng: inout SeededGenerator) throws {
        guard hiddenSize > 0, headCount > 0, hiddenSize % headCount == 0 else {
            throw ModuleError.invalidConfiguration(layer: "MultiHeadAttention",
                message: "hidden size \(hiddenSize) must be a positive multiple of the head count \(headCount)")
        }
        self.hiddenSize = hiddenSize; self.headCount = headCount
        query = try Linear(inFeatures: hiddenSize, outFeatures: hiddenSize, rng: &rng)
        key = try Linear(inFeatures: hiddenSize, outFeatures: hiddenSize, rng: &rng)
        value = try Linear(inFeatures: hiddenSize, outFeatures: hiddenSize, rng: &rng)
        output = try Linear(inFeatures: hiddenSize, outFeatures: hiddenSize, rng: &rng)
        self.attentionDropout = try Dropout(probability: attentionDropout, rng: &rng)
    }

    /// The [N, 1, 1, T] additive mask for a [N, T] 0/1 attention mask.
    public static func additiveMask(_ mask: Tensor, batch: Int, length: Int) throws -> Tensor {
        guard mask.shape == [batch, length] else {
            throw ModuleError.invalidInput(layer: "MultiHeadAttention", message: "attention mask must be [\(batch), \(length)], got \(mask.shape)")
        }
        let additive = mask.scalars.map { $0 == 0 ? maskedScore : Float(0) }
        return try Tensor(additive, shape: [batch, 1, 1, length])
    }

    /// Attention probabilities [N, H, T, T] (after masking and softmax, before dropout).
    public func attentionWeights(_ x: Tensor, attentionMask: Tensor? = nil) throws -> Tensor {
        try attend(x, attentionMask: attentionMask).weights
    }

    public func forward(_ x: Tensor, attentionMask: Tensor? = nil) throws -> Tensor {
        try attend(x, attentionMask: attentionMask).output
    }

    public func callAsFunction(_ x: Tensor, attentionMask: Tensor? = nil) throws -> Tensor {
        try forward(x, attentionMask: attentionMask)
    }

    private func attend(_ x: Tensor, attentionMask: Tensor?) throws -> (output: Tensor, weights: Tensor) {
        guard x.rank == 3, x.shape[2] == hiddenSize else {
            throw ModuleError.invalidInput(layer: "MultiHeadAttention(\(hiddenSize))", message: "expected [N, T, \(hiddenSize)], got \(x.shape)")
        }
        let (n, t) = (x.shape[0], x.shape[1])
        var keyMask: [Float]? = nil
        if let attentionMask {
            let additive = try Self.additiveMask(attentionMask, batch: n, length: t).scalars
            if additive.contains(where: { $0 != 0 }) { keyMask = additive }              // all attend: no mask pass
        }
        let dropout = attentionDropout.factors(count: n * headCount * t * t)             // [N, H, T, T] or nil
        let scale = 1 / Float(hiddenSize / headCount).squareRoot()
        let context: Tensor, weights: Tensor
        let projections = [query, key, value]
        if projections.allSatisfy({ $0.adapter == nil && $0.bias != nil }) {
            // One QKV GEMM: [N, T, D]·[3D, D]ᵀ → [N, T, 3D], read in place by the fused attention.
            let w = try Tensor.concat(projections.map(\.weight.value), axis: 0)
            let b = try Tensor.concat(projections.compactMap { $0.bias?.value }, axis: 0)
            (context, weights) = try Tensor.multiHeadAttention(packed: x.linear(weight: w, bias: b), heads: headCount,
                                                               scale: scale, keyMask: keyMask, dropout: dropout)
        } else {
            // LoRA adapters (or no biases): each projection on its own.
            let q = try projection(query, x), k = try projection(key, x), v = try projection(value, x)
            (context, weights) = try Tensor.multiHeadAttention(query: q, key: k, value: v, heads: headCount, scale: scale,
                                                               keyMask: keyMask, dropout: dropout)
        }
        return (try projection(output, context), weights)                                // [N, T, D]
    }

    /// The composite it replaces (split heads, matmul, scale, mask, softmax, dropout, matmul,
    /// merge heads), kept as the reference for the fused path; `dropout` as in the fused call.
    func attendComposite(_ x: Tensor, attentionMask: Tensor?, dropout: [Float]?) throws -> Tensor {
        let (n, t, h) = (x.shape[0], x.shape[1], headCount)
        let dh = hiddenSize / h
        // [N, T, D] → [N, T, H, dh] → [N, H, T, dh]
        func heads(_ y: Tensor) throws -> Tensor { try y.reshaped([n, t, h, dh]).permuted([0, 2, 1, 3]) }
        let q = try heads(query(x)), k = try heads(key(x)), v = try heads(value(x))
        var scores = try q.matmul(k, transposeOther: true) * (1 / Float(dh).squareRoot())   // [N, H, T, T]
        if let attentionMask { scores = try scores + Self.additiveMask(attentionMask, batch: n, length: t) }
        var weights = try scores.softmax(axis: -1)
        if let dropout { weights = try weights * Tensor(dropout, shape: weights.shape) }
        let context = try weights.matmul(v)                                                 // [N, H, T, dh]
        let merged = try context.permuted([0, 2, 1, 3]).reshaped([n, t, hiddenSize])         // [N, T, D]
        return try output(merged)
    }
}
