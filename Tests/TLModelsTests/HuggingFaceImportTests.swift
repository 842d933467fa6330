import Foundation
import Testing
@testable import TLModels
import TLTensor
import TLNN
import TLData

@Suite("Hugging Face import")
struct HuggingFaceImportTests {
    /// Explicit expectations, written out by hand (not via the mapping function under test).
    static let expectedPairs: [(path: String, hf: String)] = [
        ("blocks.0.0.embeddings.wordEmbeddings.weight", "embeddings.word_embeddings.weight"),
        ("blocks.0.0.embeddings.positionEmbeddings.weight", "embeddings.position_embeddings.weight"),
        ("blocks.0.0.embeddings.tokenTypeEmbeddings.weight", "embeddings.token_type_embeddings.weight"),
        ("blocks.0.0.embeddings.layerNorm.weight", "embeddings.LayerNorm.weight"),
        ("blocks.0.0.embeddings.layerNorm.bias", "embeddings.LayerNorm.bias"),
        ("blocks.2.0.layer.attention.query.weight", "encoder.layer.1.attention.self.query.weight"),
        ("blocks.2.0.layer.attention.query.bias", "encoder.layer.1.attention.self.query.bias"),
        ("blocks.2.0.layer.attention.key.weight", "encoder.layer.1.attention.self.key.weight"),
        ("blocks.2.0.layer.attention.value.bias", "encoder.layer.1.attention.self.value.bias"),
        ("blocks.2.0.layer.attention.output.weight", "encoder.layer.1.attention.output.dense.weight"),
        ("blocks.2.0.layer.attention.output.bias", "encoder.layer.1.attention.output.dense.bias"),
        ("blocks.2.0.layer.attentionNorm.weight", "encoder.layer.1.attention.output.LayerNorm.weight"),
        ("blocks.2.0.layer.attentionNorm.bias", "encoder.layer.1.attention.output.LayerNorm.bias"),
        ("blocks.2.0.layer.intermediate.weight", "encoder.layer.1.intermediate.dense.weight"),
        ("blocks.2.0.layer.intermediate.bias", "encoder.layer.1.intermediate.dense.bias"),
        ("blocks.2.0.layer.output.weight", "encoder.layer.1.output.dense.weight"),
        ("blocks.2.0.layer.output.bias", "encoder.layer.1.output.dense.bias"),
        ("blocks.2.0.layer.outputNorm.weight", "encoder.layer.1.output.LayerNorm.weight"),
        ("blocks.1.0.layer.outputNorm.bias", "encoder.layer.0.output.LayerNorm.bias"),
    ]

    @Test func mapsEveryPublishedTensorToItsPath() throws {
        let tiny = TinyBertFolder()
        let folder = try tiny.write(to: makeTempFolder("hf-import"))
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try HuggingFaceImporter.load(folder: folder, tokens: 12)
        let model = result.checkpoint.model
        #expect(model.spec.blocks.map(\.name) == ["embeddings", "layer0", "layer1", "pool", "head"])
        #expect(model.spec.input == .tokens(length: 12))
        #expect(result.ignored == ["embeddings.position_ids", "pooler.dense.bias", "pooler.dense.weight"])
        let state = model.stateDictionary()
        for (path, hf) in Self.expectedPairs {
            let t = try #require(state[path], "no model path \(path)")
            #expect(t.scalars == tiny.tensors[hf]!.values, "\(path) should hold \(hf)")
            #expect(HuggingFaceImporter.huggingFaceName(forPath: path, layerCount: 2) == hf)
        }
        // Every published weight is used exactly once: 5 embedding + 16 per layer tensors.
        let nonHead = state.keys.filter { !$0.hasPrefix("blocks.4.") }
        #expect(nonHead.count == 5 + 16 * 2)
        for path in nonHead {
            let hf = try #require(HuggingFaceImporter.huggingFaceName(forPath: path, layerCount: 2))
            #expect(state[path]!.scalars == tiny.tensors[hf]!.values, "\(path)")
        }
        let info = result.checkpoint.info
        #expect(info.kind == "import")
        #expect(info.tokenizer == "wordpiece")
        #expect(info.classNames == [HuggingFaceImporter.placeholderClass])
        #expect(info.vocabulary == TinyBertFolder.vocabulary)
        let e = try #require(model.spec.blocks[0].layers[0] as? EmbeddingSpec, "block 0 is not an embedding")
        #expect(e.vocab == .fixed(20) && e.dim == 8 && e.maxLength == 16 && e.segments == 2 && e.dropout == 0.1 && e.epsilon == 1e-12)
        #expect(model.spec.blocks[3].layers.map { $0 as? SequencePoolSpec } == [SequencePoolSpec(mode: .mean)])
    }

    @Test func acceptsBertPrefixAndGammaBeta() throws {
        let tiny = TinyBertFolder(prefix: "bert.", oldLayerNormNames: true)
        let folder = try tiny.write(to: makeTempFolder("hf-import"))
        defer { try? FileManager.default.removeItem(at: folder) }
        let state = try HuggingFaceImporter.load(folder: folder).checkpoint.model.stateDictionary()
        #expect(state["blocks.0.0.embeddings.layerNorm.weight"]!.scalars == tiny.tensors["bert.embeddings.LayerNorm.gamma"]!.values)
        #expect(state["blocks.1.0.layer.attentionNorm.bias"]!.scalars == tiny.tensors["bert.encoder.layer.0.attention.output.LayerNorm.beta"]!.values)
    }

    @Test func missingTensorIsNamed() throws {
        var tiny = TinyBertFolder()
        tiny.tensors["encoder.layer.1.output.dense.weight"] = nil
        let folder = try tiny.write(to: makeTempFolder("hf-import"))
        defer { try? FileManager.default.removeItem(at: folder) }
        let error = #expect(throws: ImportError.self) { try HuggingFaceImporter.load(folder: folder) }
        #expect(error?.description.contains("missing 1 tensor") == true)
        #expect(error?.description.contains("encoder.layer.1.output.dense.weight") == true)
        #expect(error?.description.contains("model.safetensors") == true)
    }

    @Test func unknownArchitectureAndBadConfigsAreRejected() throws {
        func failure(_ edit: (inout [String: Any]) -> Void) throws -> String {
            var tiny = TinyBertFolder()
            edit(&tiny.config)
            let folder = try tiny.write(to: makeTempFolder("hf-import"))
            defer { try? FileManager.default.removeItem(at: folder) }
            do { _ = try HuggingFaceImporter.load(folder: folder); return "no error" } catch { return "\(error)" }
        }
        let gpt = try failure { $0["model_type"] = "gpt2"; $0["architectures"] = ["GPT2Model"] }
        #expect(gpt.contains("config.json") && gpt.contains("gpt2") && gpt.contains("only BERT"))
        let act = try failure { $0["hidden_act"] = "relu" }
        #expect(act.contains("hidden_act 'relu'"))
        let heads = try failure { $0["num_attention_heads"] = 3 }
        #expect(heads.contains("not divisible"))
        let missing = try failure { $0["intermediate_size"] = nil }
        #expect(missing.contains("intermediate_size"))
        let shape = try failure { $0["intermediate_size"] = 12 }
        #expect(shape.contains("intermediate.dense.weight") && shape.contains("shape"))
        let huge = try failure { $0["vocab_size"] = 9_000_000; $0["hidden_size"] = 16_000; $0["num_attention_heads"] = 16 }
        #expect(huge.contains("config.json") && huge.contains("holds only"))
        let noFolder = try makeTempFolder("hf-import").appendingPathComponent("absent")
        #expect(throws: ImportError.self) { try HuggingFaceImporter.load(folder: noFolder) }
    }

    /// The imported TransferModel computes the same mean-pooled states as TLNN's own
    /// `BertModel` loaded through its independent name mapping.
    @Test func embeddingsMatchBertModel() throws {
        let tiny = TinyBertFolder()
        let folder = try tiny.write(to: makeTempFolder("hf-import"))
        defer { try? FileManager.default.removeItem(at: folder) }
        let checkpoint = try HuggingFaceImporter.load(folder: folder, tokens: 12).checkpoint
        let embedder = try SentenceEmbedder(checkpoint: checkpoint)
        let texts = ["The cat sat on the mat.", "It's fun!", "a big dog ran"]
        let batched = try embedder.embed(texts)
        let single = try texts.map { try embedder.embed([$0])[0] }
        // Batches of two: texts are batched longest first, results come back in input order.
        let pairs = try embedder.embed(texts + texts.reversed(), batchSize: 2)
        #expect(pairs.count == 2 * texts.count)

        var rng = SeededGenerator(seed: 1)
        let bert = try BertModel(config: BertConfig(vocabSize: 20, hiddenSize: 8, layerCount: 2, headCount: 2, intermediateSize: 16,
                                                    maxPositions: 16, typeVocabSize: 2), rng: &rng)
        var state: [String: Tensor] = [:]
        for (name, t) in tiny.tensors { state[try #require(bert.path(forHuggingFaceName: name))] = try Tensor(t.values, shape: t.shape) }
        try bert.loadState(state)
        bert.eval()
        let tokenizer = try WordPieceTokenizer(vocabulary: TinyBertFolder.vocabulary)
        for (i, text) in texts.enumerated() {
            let ids = tokenizer.encode(text, maxLength: 12, pad: false).ids
            let mask = try Tensor([Float](repeating: 1, count: ids.count), shape: [1, ids.count])
            let hidden = try withNoGrad { try bert.forward(tokenIDs: ids, shape: [1, ids.count], attentionMask: mask) }
            let pooled = try BertModel.meanPooled(hidden, attentionMask: mask).scalars
            let norm = pooled.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for j in 0..<8 {
                #expect(abs(pooled[j] / norm - batched[i][j]) < 1e-5, "text \(i) dim \(j)")
                #expect(abs(single[i][j] - batched[i][j]) < 1e-5, "padding changed text \(i) dim \(j)")
                #expect(abs(pairs[i][j] - single[i][j]) < 1e-5, "batch order changed text \(i) dim \(j)")
                #expect(abs(pairs[2 * texts.count - 1 - i][j] - single[i][j]) < 1e-5, "reversed copy of text \(i) dim \(j)")
            }
            #expect(abs(batched[i].reduce(0) { $0 + $1 * $1 } - 1) < 1e-5)
        }
        let s = SentenceEmbedder.similarities(batched)
        #expect(abs(s[0][0] - 1) < 1e-5 && abs(s[0][1] - s[1][0]) < 1e-9)
    }
}

/// The package root (three folders above this file), where `data/` lives.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let miniLMFolder = packageRoot.appendingPathComponent("data/all-MiniLM-L6-v2")
let miniLMAvailable = FileManager.default.fileExists(atPath: miniLMFolder.appendingPathComponent("model.safetensors").path)

@Suite("MiniLM exactness")
struct MiniLMExactnessTests {
    /// The model card's example: cosine similarities of sentence-transformers' normalised
    /// mean-pooled embeddings (0.6660, 0.1046, 0.1411).
    @Test(.enabled(if: miniLMAvailable, "data/all-MiniLM-L6-v2 is not fetched (run Scripts/fetch-data.sh); skipping the real-model check"))
    func modelCardSimilarities() throws {
        let checkpoint = try HuggingFaceImporter.load(folder: miniLMFolder).checkpoint
        let embedder = try SentenceEmbedder(checkpoint: checkpoint)
        let e = try embedder.embed(["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."])
        #expect(e[0].count == 384)
        let s = SentenceEmbedder.similarities(e)
        #expect(abs(s[0][1] - 0.6660) <= 0.002, "similarity(1, 2) = \(s[0][1])")
        #expect(abs(s[0][2] - 0.1046) <= 0.002, "similarity(1, 3) = \(s[0][2])")
        #expect(abs(s[1][2] - 0.1411) <= 0.002, "similarity(2, 3) = \(s[1][2])")
    }
}
