import TLTensor

/// One transformer encoder layer, laid out like BERT's `encoder.layer.N`:
///
///     attention      ↔ HF attention.self.{query,key,value} + attention.output.dense
///     attentionNorm  ↔ HF attention.output.LayerNorm
///     intermediate   ↔ HF intermediate.dense      (D → I, then GELU)
///     output         ↔ HF output.dense            (I → D)
///     outputNorm     ↔ HF output.LayerNorm
///
///     x: [N, T, D], attentionMask: [N, T] (1 attend / 0 pad) → [N, T, D]
///
/// Post-LayerNorm (BERT, default): x = LN(x + drop(attn(x))); x = LN(x + drop(FFN(x))).
/// Pre-LayerNorm (`preNorm: true`): x = x + drop(attn(LN(x))); x = x + drop(FFN(LN(x))).
public final class TransformerEncoderBlock: Module {
    public let attention: MultiHeadAttention
    public let attentionNorm: LayerNorm
    public let intermediate: Linear
    public let output: Linear
    public let outputNorm: LayerNorm
    /// Hidden dropout after the attention output and after the feed-forward output.
    public let dropout: Dropout
    public let preNorm: Bool

    public init(hiddenSize: Int, headCount: Int, intermediateSize: Int,
                dropout: Float = 0.1, attentionDropout: Float = 0.1,
                layerNormEpsilon: Float = 1e-12, preNorm: Bool = false,
                rng: inout SeededGenerator) throws {
        attention = try MultiHeadAttention(hiddenSize: hiddenSize, headCount: headCount,
                                           attentionDropout: attentionDropout, rng: &rng)
        attentionNorm = try LayerNorm(featureCount: hiddenSize, epsilon: layerNormEpsilon)
        intermediate = try Linear(inFeatures: hiddenSize, outFeatures: intermediateSize, rng: &rng)
        output = try Linear(inFeatures: intermediateSize, outFeatures: hiddenSize, rng: &rng)
        outputNorm = try LayerNorm(featureCount: hiddenSize, epsilon: layerNormEpsilon)
        self.dropout = try Dropout(probability: dropout, rng: &rng)
        self.preNorm = preNorm
    }

    public func forward(_ x: Tensor, attentionMask: Tensor? = nil) throws -> Tensor {
        // FFN: GELU fused into the first projection's GEMM epilogue, bias into both.
        func feedForward(_ h: Tensor) throws -> Tensor { try projection(output, projection(intermediate, h, activation: .gelu)) }
        if preNorm {
            let a = try x + dropout(attention(attentionNorm(x), attentionMask: attentionMask))
            return try a + dropout(feedForward(outputNorm(a)))
        }
        // Post-LN: dropout, residual sum and LayerNorm in one fused step each.
        let a = try residualNorm(x, attention(x, attentionMask: attentionMask), dropout: dropout, norm: attentionNorm)
        return try residualNorm(a, feedForward(a), dropout: dropout, norm: outputNorm)
    }

    /// The unfused composite the fused forward pass replaces (reference for tests); draws
    /// dropout masks from the same generators in the same order.
    func forwardComposite(_ x: Tensor, attentionMask: Tensor? = nil) throws -> Tensor {
        func feedForward(_ h: Tensor) throws -> Tensor { try output(intermediate(h).gelu()) }
        precondition(!preNorm, "forwardComposite covers the post-LN block")
        let drop = attention.attentionDropout.factors(count: x.shape[0] * attention.headCount * x.shape[1] * x.shape[1])
        let a = try attentionNorm(x + dropout(attention.attendComposite(x, attentionMask: attentionMask, dropout: drop)))
        return try outputNorm(a + dropout(feedForward(a)))
    }

    public func callAsFunction(_ x: Tensor, attentionMask: Tensor? = nil) throws -> Tensor {
        try forward(x, attentionMask: attentionMask)
    }
}

/// A stack of encoder blocks (`layers.N` ↔ HF `encoder.layer.N`), with an optional final
/// LayerNorm (used with pre-LayerNorm blocks).
///
///     x: [N, T, D], attentionMask: [N, T] → [N, T, D]
public final class TransformerEncoder: Module {
    public let layers: [TransformerEncoderBlock]
    public let finalNorm: LayerNorm?

    public init(layers: [TransformerEncoderBlock], finalNorm: LayerNorm? = nil) {
        self.layers = layers
        self.finalNorm = finalNorm
    }

    public override func blockList() -> [(path: String, module: Module)]? {
        layers.enumerated().map { ("layers.\($0.offset)", $0.element) }
    }

    public func forward(_ x: Tensor, attentionMask: Tensor? = nil) throws -> Tensor {
        var h = x
        for layer in layers { h = try layer(h, attentionMask: attentionMask) }
        if let finalNorm { h = try finalNorm(h) }
        return h
    }

    public func callAsFunction(_ x: Tensor, attentionMask: Tensor? = nil) throws -> Tensor {
        try forward(x, attentionMask: attentionMask)
    }
}
