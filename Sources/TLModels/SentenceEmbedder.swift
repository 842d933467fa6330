import Foundation
import TLTensor
import TLNN
import TLData
import TLKernels

/// Sentence embeddings from a token model: the output of its `pool` block (mean over the
/// non-padding tokens for imported sentence-transformers models), L2-normalised, as
/// sentence-transformers' `encode(..., normalize_embeddings=True)`.
///
///     texts → ids [N, T] → blocks 0…pool → [N, D] → x / ‖x‖₂
///
/// Texts are batched longest first and each batch is padded only to its longest text: padding
/// is masked out of attention and of the mean, so neither the batching nor the length chosen
/// changes the result (beyond float rounding). When the blocks up to the pool are the standard
/// token stack (`PackedTokenEncoder`), a batch runs without padding at all, as one [ΣLᵢ, D]
/// token matrix, with the same result bit for bit; other models take the padded path.
public struct SentenceEmbedder {
    public let model: TransferModel
    public let encoding: TextEncoding
    /// Index of the block holding the sequence pool; blocks `0...poolBlock` run.
    public let poolBlock: Int
    /// Texts are truncated to this many tokens ([CLS] and [SEP] included for WordPiece).
    public let maxTokens: Int

    /// - Parameter maxTokens: overrides the model's input length (up to its position table).
    public init(checkpoint: Checkpoint, maxTokens: Int? = nil) throws {
        model = checkpoint.model
        guard case .tokens(let length) = model.spec.input else {
            throw ModelError("model '\(model.spec.name)' takes \(model.spec.input.summary) inputs; sentence embeddings need a token model")
        }
        guard let encoding = TextEncoding.from(kind: checkpoint.info.tokenizer, vocabulary: checkpoint.info.vocabulary) else {
            throw ModelError("the checkpoint records no vocabulary for its token model")
        }
        self.encoding = encoding
        guard let pool = model.spec.blocks.firstIndex(where: { $0.layers.contains { $0 is SequencePoolSpec } }) else {
            throw ModelError("model '\(model.spec.name)' has no pool block to take sentence embeddings from")
        }
        poolBlock = pool
        var positions = Int.max
        for block in model.spec.blocks { for case let embedding as EmbeddingSpec in block.layers { positions = Swift.min(positions, embedding.maxLength) } }
        let limit = maxTokens ?? length
        guard limit >= 2, limit <= positions else {
            throw ModelError("the token limit must be from 2 to the model's \(positions) positions, got \(limit)")
        }
        self.maxTokens = limit
    }

    /// L2-normalised embeddings `[texts.count][D]` (eval mode, no gradients).
    public func embed(_ texts: [String], batchSize: Int = 32) throws -> [[Float]] {
        try embed(texts, batchSize: batchSize, packed: true)
    }

    /// The layers from the embeddings to the pool, in order (each block's layers).
    var layersToPool: [Layer] {
        (0...poolBlock).flatMap { (model.blocks[$0] as? Sequential)?.layers ?? [model.blocks[$0]] }
    }

    /// `packed: false` keeps every batch on the padded path (the reference the packed path is tested against).
    func embed(_ texts: [String], batchSize: Int, packed: Bool) throws -> [[Float]] {
        guard batchSize >= 1 else { throw ModelError("batch size must be at least 1") }
        let tokenizer: WordPieceTokenizer? = if case .wordPiece(let v) = encoding { try WordPieceTokenizer(vocabulary: v) } else { nil }
        let words: SimpleTokenizer? = if case .words(let v) = encoding { SimpleTokenizer(level: .word, lowercase: true, vocabulary: v) } else { nil }
        func ids(_ text: String) -> [Int] {
            if let tokenizer { return tokenizer.encode(text, maxLength: maxTokens, pad: false).ids }
            return Array(words!.encode(text, maxLength: maxTokens).prefix(maxTokens)).filter { $0 != 0 }
        }
        // Every text tokenised first, then batched longest first (as sentence-transformers'
        // encode does), so each batch pads to a length close to all of its texts; the
        // embeddings go back in the input order.
        // Tokenising is independent across texts: chunks of texts on the kernel threads (1,024
        // sentences took about 0.1 s on one core, ~100 µs a text ≈ 12M FLOPs of GEMM time in
        // `parallelChunks`' work units). Each chunk writes only its own slots.
        var tokenized = [[Int]](repeating: [], count: texts.count)
        tokenized.withUnsafeMutableBufferPointer { out in
            parallelChunks(units: texts.count, work: texts.count * 12_000_000) { range in
                for i in range { out[i] = ids(texts[i]) }
            }
        }
        let order = tokenized.indices.sorted { (tokenized[$0].count, $1) > (tokenized[$1].count, $0) }
        model.eval()
        defer { model.train() }
        // Built after eval(): the packed path runs only on a model in eval mode.
        let encoder = packed ? try PackedTokenEncoder.make(layers: layersToPool) : nil
        var result = [[Float]](repeating: [], count: texts.count)
        try withNoGrad {
            var start = 0
            while start < order.count {
                let members = order[start..<Swift.min(start + batchSize, order.count)]
                let batch = members.map { tokenized[$0] }
                let pooled: Tensor                                                                            // [B, D]
                if let encoder, encoder.supports(batch) {
                    pooled = try encoder.pooled(batch)                                                        // no padding
                } else {
                    let t = Swift.max(1, batch.map(\.count).max() ?? 1)
                    var flat = [Float](repeating: 0, count: batch.count * t)
                    for (i, row) in batch.enumerated() { for (j, id) in row.enumerated() { flat[i * t + j] = Float(id) } }
                    pooled = try model.forward(Tensor(flat, shape: [batch.count, t]), blocks: 0..<(poolBlock + 1))
                }
                let d = pooled.shape[1]
                let values = pooled.scalars
                for (i, index) in members.enumerated() {
                    let row = Array(values[(i * d)..<((i + 1) * d)])
                    let norm = row.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
                    // sentence-transformers' Normalize: x / max(‖x‖, 1e-12).
                    result[index] = row.map { $0 / Swift.max(norm, 1e-12) }
                }
                start += batchSize
            }
        }
        return result
    }

    /// Cosine similarities of L2-normalised embeddings (their dot products), `[n][n]`.
    public static func similarities(_ embeddings: [[Float]]) -> [[Double]] {
        embeddings.map { a in embeddings.map { b in zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } } }
    }
}
