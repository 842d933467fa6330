import Foundation
import Testing
@testable import TLModels
@testable import TLNN
import TLTensor

/// SentenceEmbedder's packed (padding-free) path gives the padded path's embeddings bit for bit,
/// and a model it does not support still embeds through the padded path.
@Suite("Sentence embeddings, packed path")
struct SentenceEmbedderPackedTests {
    /// The tiny BERT with a 64-position table (head size 4: products of t·t·4 ≤ 4096 take the
    /// GEMM's unpacked path up to t = 32, so 1–62-word texts mix both sides of that cut-off).
    func tinyCheckpoint(_ folder: URL) throws -> Checkpoint {
        var tiny = TinyBertFolder()
        tiny.withPositionIDsAndPooler = false
        tiny.config["max_position_embeddings"] = 64
        let d = TinyBertFolder.hidden
        tiny.tensors["embeddings.position_embeddings.weight"] = ([64, d], (0..<(64 * d)).map { Float(($0 * 29) % 31) / 31 - 0.5 })
        return try HuggingFaceImporter.load(folder: tiny.write(to: folder), tokens: 64).checkpoint
    }

    /// Texts of 1 to 62 words (3 to 64 tokens, one truncated) over the tiny vocabulary.
    static let texts: [String] = {
        let words = ["the", "cat", "sat", "on", "a", "mat", "dog", "ran", "big", "fun", "it", "is"]
        return [1, 62, 70, 5, 31, 30, 29, 2, 12, 40, 3, 9, 33, 17, 50, 8, 1].enumerated().map { i, n in
            (0..<n).map { words[($0 * 7 + i) % words.count] }.joined(separator: " ") + (i % 2 == 0 ? "!" : ".")
        }
    }()

    @Test(arguments: [1, 3, 32])
    func packedEqualsPaddedBitForBit(batchSize: Int) throws {
        let folder = try makeTempFolder("packed-embed")
        defer { try? FileManager.default.removeItem(at: folder) }
        let embedder = try SentenceEmbedder(checkpoint: tinyCheckpoint(folder))
        embedder.model.eval()
        #expect(try PackedTokenEncoder.make(layers: embedder.layersToPool) != nil, "the imported BERT takes the packed path")
        embedder.model.train()
        let packed = try embedder.embed(Self.texts, batchSize: batchSize)
        let padded = try embedder.embed(Self.texts, batchSize: batchSize, packed: false)
        #expect(packed.count == Self.texts.count && packed[0].count == TinyBertFolder.hidden)
        #expect(packed.map { $0.map(\.bitPattern) } == padded.map { $0.map(\.bitPattern) })
    }

    @Test func unsupportedModelFallsBackToThePaddedPath() throws {
        let folder = try makeTempFolder("packed-embed")
        defer { try? FileManager.default.removeItem(at: folder) }
        let embedder = try SentenceEmbedder(checkpoint: tinyCheckpoint(folder))
        let plain = try embedder.embed(Self.texts, batchSize: 4)
        // LoRA adapters on the attention projections, with non-zero updates.
        var rng = SeededGenerator(seed: 3)
        try embedder.model.attachLoRA(LoRAConfig(rank: 2), rng: &rng)
        for (_, module) in embedder.model.namedModules() {
            if let adapter = module as? LoRAAdapter { try adapter.b.assign(Tensor.uniform(adapter.b.shape, low: -0.5, high: 0.5, using: &rng)) }
        }
        embedder.model.eval()
        #expect(try PackedTokenEncoder.make(layers: embedder.layersToPool) == nil)
        embedder.model.train()
        let adapted = try embedder.embed(Self.texts, batchSize: 4)
        let padded = try embedder.embed(Self.texts, batchSize: 4, packed: false)
        #expect(adapted.map { $0.map(\.bitPattern) } == padded.map { $0.map(\.bitPattern) })
        #expect(adapted != plain, "the adapters change the embeddings")
        for e in adapted { #expect(abs(e.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5) }
    }

    @Test(.enabled(if: miniLMAvailable, "data/all-MiniLM-L6-v2 is not fetched; skipping the real-model check"))
    func miniLMPackedEqualsPadded() throws {
        let embedder = try SentenceEmbedder(checkpoint: HuggingFaceImporter.load(folder: miniLMFolder).checkpoint)
        let texts = ["Fine.", "A triumph.", "An ambitious, sprawling and at times exhausting film that never quite earns its running time, though its last act almost does.",
                     "The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium.", "ok",
                     "a thoughtful, funny, unsentimental look at growing up, with two wonderful performances"]
        for batchSize in [1, 3, 32] {
            let packed = try embedder.embed(texts, batchSize: batchSize)
            let padded = try embedder.embed(texts, batchSize: batchSize, packed: false)
            #expect(packed.map { $0.map(\.bitPattern) } == padded.map { $0.map(\.bitPattern) }, "batch size \(batchSize)")
        }
    }
}
