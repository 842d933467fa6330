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
/// FFN(h) = output(drop′(GELU(intermediate(h)))), where drop′ (`activationDropout`) is PyTorch's
/// `nn.TransformerEncoderLayer` dropout inside the feed-forward block; BERT has none (nil).
public final class TransformerEncoderBlock: Module {
    public let attention: MultiHeadAttention
    public let attentionNorm: LayerNorm
    public let intermediate: Linear
    public let output: Linear
    public let outputNorm: LayerNorm
    /// Hidden dropout after the attention output and after the feed-forward output.
    public let dropout: Dropout
    /// Dropout on the GELU output inside the feed-forward block (PyTorch's
    /// `nn.TransformerEncoderLayer` has it, BERT does not); nil when its probability is 0, so
    /// blocks without it have the same modules, generator draws and random states as before.
    public let activationDropout: Dropout?
    public let preNorm: Bool

    public init(hiddenSize: Int, headCount: Int, intermediateSize: Int,
                dropout: Float = 0.1, attentionDropout: Float = 0.1, activationDropout: Float = 0,
                layerNormEpsilon: Float = 1e-12, preNorm: Bool = false,
                rng: inout SeededGenerator) throws {
        attention = try MultiHeadAttention(hiddenSize: hiddenSize, headCount: headCount,
                                           attentionDropout: attentionDropout, rng: &rng)
        attentionNorm = try LayerNorm(featureCount: hiddenSize, epsilon: layerNormEpsilon)
        intermediate = try Linear(inFeatures: hiddenSize, outFeatures: intermediateSize, rng: &rng)
        output = try Linear(inFeatures: intermediateSize, outFeatures: hiddenSize, rng: &rng)
        outputNorm = try LayerNorm(featureCount: hiddenSize, epsilon: layerNormEpsilon)
        self.dropout = try Dropout(probability: dropout, rng: &rng)
        // Last, so the other components draw exactly what they drew before this option existed.
        self.activationDropout = activationDropout == 0 ? nil : try Dropout(probability: activationDropout, rng: &rng)
        self.preNorm = preNorm
    }

    /// The feed-forward block: GELU fused into the first projection's GEMM epilogue, bias into
    /// both, `activationDropout`'s mask (if any) applied in that epilogue too.
    ///
    ///     h: [..., D] → [..., D]   (through [..., I])
    func feedForward(_ h: Tensor) throws -> Tensor {
        try projection(output, projection(intermediate, h, activation: .gelu, dropout: activationDropout))
    }

    public func forward(_ x: Tensor, attentionMask: Tensor? = nil) throws -> Tensor {
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
        func feedForward(_ h: Tensor) throws -> Tensor {
            let hidden = try intermediate(h).gelu()
            return try output(activationDropout.map { try $0(hidden) } ?? hidden)
        }
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
