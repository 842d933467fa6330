import Foundation
import TLIO
import TLTensor
import TLNN
import TLSafeTensors

/// Imports a Hugging Face style BERT folder (`config.json`, `model.safetensors`, `vocab.txt`,
/// e.g. sentence-transformers/all-MiniLM-L6-v2) as a normal `tl` checkpoint.
///
/// The architecture becomes a token `ModelSpec`:
///
///     embeddings  embedding (vocab, dim, max_length = max_position_embeddings, segments = type_vocab_size)
///     layer0 …    encoder (post-LayerNorm, heads, ffn = intermediate_size, GELU)
///     pool        pool (mean over non-padding tokens; cls if 1_Pooling/config.json asks for it)
///     head        linear "classes" — a 1-class placeholder named "(no head)"
///
/// so `--freeze 0..L` freezes the embeddings and all L encoder layers, and `tl finetune
/// --head auto` replaces the placeholder head. Weights are mapped by name from the published
/// layout (`[bert.]embeddings.*`, `[bert.]encoder.layer.N.*`, LayerNorm `weight/bias` or
/// `gamma/beta`); `embeddings.position_ids`, the pooler and pre-training heads are ignored.
/// Linear weights are `[out, in]` on both sides, so tensors are copied unchanged.
public enum HuggingFaceImporter {
    /// The class name of the placeholder head of an imported checkpoint.
    public static let placeholderClass = "(no head)"

    /// The parts of `config.json` the importer uses.
    public struct BertSettings: Sendable, Equatable {
        public var vocabSize: Int
        public var hiddenSize: Int
        public var layerCount: Int
        public var headCount: Int
        public var intermediateSize: Int
        public var maxPositions: Int
        public var typeVocabSize: Int
        public var layerNormEpsilon: Double
        public var hiddenDropout: Double

        public init(vocabSize: Int, hiddenSize: Int, layerCount: Int, headCount: Int, intermediateSize: Int,
                    maxPositions: Int = 512, typeVocabSize: Int = 2, layerNormEpsilon: Double = 1e-12, hiddenDropout: Double = 0.1) {
            self.vocabSize = vocabSize; self.hiddenSize = hiddenSize; self.layerCount = layerCount; self.headCount = headCount
            self.intermediateSize = intermediateSize; self.maxPositions = maxPositions; self.typeVocabSize = typeVocabSize
            self.layerNormEpsilon = layerNormEpsilon; self.hiddenDropout = hiddenDropout
        }
    }

    /// Reads and validates `config.json`: a BERT encoder (`model_type` "bert", or an
    /// `architectures` entry starting with "Bert") with exact-erf GELU, absolute positions and a
    /// hidden size divisible by the head count.
    public static func readConfig(_ url: URL) throws -> BertSettings {
        func fail(_ why: String) -> ImportError { ImportError(path: url.path, message: why) }
        guard FileManager.default.fileExists(atPath: url.path) else { throw fail("missing (a Hugging Face model folder needs config.json)") }
        let data = try RegularFile.read(url.path)
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw fail("not a JSON object")
        }
        let modelType = json["model_type"] as? String
        let architectures = json["architectures"] as? [String] ?? []
        guard modelType == "bert" || (modelType == nil && architectures.contains(where: { $0.hasPrefix("Bert") })) else {
            let what = modelType.map { "model_type '\($0)'" } ?? "no model_type"
            throw fail("unsupported architecture (\(what)\(architectures.isEmpty ? "" : ", architectures \(architectures.joined(separator: ","))")); only BERT encoders (model_type \"bert\") can be imported")
        }
        func int(_ key: String, default d: Int? = nil) throws -> Int {
            guard let v = json[key] else {
                if let d { return d }
                throw fail("missing required field '\(key)'")
            }
            guard let n = v as? NSNumber, n.doubleValue.rounded() == n.doubleValue, n.doubleValue >= 1, n.doubleValue <= 1e7 else {
                throw fail("'\(key)': expected a positive integer, got \(v)")
            }
            return n.intValue
        }
        func double(_ key: String, default d: Double, range: ClosedRange<Double>) throws -> Double {
            guard let v = json[key] else { return d }
            guard let n = v as? NSNumber, range.contains(n.doubleValue) else { throw fail("'\(key)': expected a number in \(range), got \(v)") }
            return n.doubleValue
        }
        let activation = json["hidden_act"] as? String ?? "gelu"
        guard activation == "gelu" else {
            throw fail("hidden_act '\(activation)' is not supported (tl's encoder uses the exact erf GELU, 'gelu')")
        }
        if let position = json["position_embedding_type"] as? String, position != "absolute" {
            throw fail("position_embedding_type '\(position)' is not supported (only 'absolute')")
        }
        let settings = BertSettings(
            vocabSize: try int("vocab_size"), hiddenSize: try int("hidden_size"), layerCount: try int("num_hidden_layers"),
            headCount: try int("num_attention_heads"), intermediateSize: try int("intermediate_size"),
            maxPositions: try int("max_position_embeddings", default: 512), typeVocabSize: try int("type_vocab_size", default: 2),
            layerNormEpsilon: try double("layer_norm_eps", default: 1e-12, range: 1e-30...0.1),
            hiddenDropout: try double("hidden_dropout_prob", default: 0.1, range: 0...0.99))
        guard settings.hiddenSize % settings.headCount == 0 else {
            throw fail("hidden_size \(settings.hiddenSize) is not divisible by num_attention_heads \(settings.headCount)")
        }
        guard settings.layerCount <= 256, settings.hiddenSize <= 16_384, settings.intermediateSize <= 65_536 else {
            throw fail("implausibly large configuration (\(settings.layerCount) layers, hidden \(settings.hiddenSize), intermediate \(settings.intermediateSize))")
        }
        return settings
    }

    /// The `tl` architecture for a BERT configuration, with `tokens`-long inputs (capped at the
    /// position table) and the given pooling.
    public static func spec(for config: BertSettings, name: String, tokens: Int, pool: SequencePool.Mode = .mean) -> ModelSpec {
        var blocks = [ModelSpec.BlockSpec(name: "embeddings", layers: [
            EmbeddingSpec(vocab: .fixed(config.vocabSize), dim: config.hiddenSize, maxLength: config.maxPositions,
                          segments: config.typeVocabSize, dropout: config.hiddenDropout, epsilon: config.layerNormEpsilon)])]
        for i in 0..<config.layerCount {
            blocks.append(.init(name: "layer\(i)", layers: [
                EncoderSpec(heads: config.headCount, ffn: config.intermediateSize, norm: .post,
                            dropout: config.hiddenDropout, epsilon: config.layerNormEpsilon)]))
        }
        blocks.append(.init(name: "pool", layers: [SequencePoolSpec(mode: pool)]))
        blocks.append(.init(name: "head", layers: [LinearSpec(out: .classes, bias: true)]))
        return ModelSpec(name: name, description: "BERT encoder imported from Hugging Face format (\(config.layerCount) layers, \(config.hiddenSize) wide, \(config.headCount) heads)",
                         input: .tokens(length: Swift.min(tokens, config.maxPositions)), blocks: blocks)
    }

    /// The Hugging Face tensor name of a `TransferModel` parameter path of an imported
    /// architecture, or nil for paths with no counterpart (the head).
    ///
    ///     blocks.0.0.embeddings.wordEmbeddings.weight  → embeddings.word_embeddings.weight
    ///     blocks.3.0.layer.attention.query.weight      → encoder.layer.2.attention.self.query.weight
    ///     blocks.3.0.layer.attentionNorm.bias          → encoder.layer.2.attention.output.LayerNorm.bias
    public static func huggingFaceName(forPath path: String, layerCount: Int) -> String? {
        let parts = path.split(separator: ".").map(String.init)
        guard parts.count >= 5, parts[0] == "blocks", let b = Int(parts[1]), parts[2] == "0" else { return nil }
        let rest = parts[4...].joined(separator: ".")
        if b == 0, parts[3] == "embeddings" { return BertModel.huggingFaceName(forPath: "embeddings." + rest) }
        if b >= 1, b <= layerCount, parts[3] == "layer" {
            return BertModel.huggingFaceName(forPath: "encoder.layers.\(b - 1)." + rest)
        }
        return nil
    }

    /// The canonical form of a published tensor name: without a `bert.` prefix, LayerNorm
    /// `gamma`/`beta` as `weight`/`bias`.
    public static func canonicalName(_ name: String) -> String {
        var n = name.hasPrefix("bert.") ? String(name.dropFirst(5)) : name
        if n.hasSuffix(".gamma") { n = String(n.dropLast(6)) + ".weight" }
        if n.hasSuffix(".beta") { n = String(n.dropLast(5)) + ".bias" }
        return n
    }

    /// What an import produced.
    public struct Result {
        public var checkpoint: Checkpoint
        /// Published tensors that were not used (position ids, pooler, pre-training heads).
        public var ignored: [String]
    }

    /// Reads `folder` and builds the checkpoint. `tokens` is the input length of the spec
    /// (texts are truncated or padded to it; capped at `max_position_embeddings`).
    public static func load(folder: URL, tokens: Int = 128, seed: UInt64 = 0) throws -> Result {
        guard tokens >= 2 else { throw ImportError(path: folder.path, message: "the input length must be at least 2 tokens ([CLS] and [SEP]), got \(tokens)") }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw ImportError(path: folder.path, message: "not a folder (expected a Hugging Face model folder with config.json, model.safetensors and vocab.txt)")
        }
        let config = try readConfig(folder.appendingPathComponent("config.json"))
        let vocabulary = try readVocabulary(folder.appendingPathComponent("vocab.txt"), config: config)
        try checkLowercasing(folder)
        let pool = try poolingMode(folder)
        let weightsURL = folder.appendingPathComponent("model.safetensors")
        guard FileManager.default.fileExists(atPath: weightsURL.path) else {
            let hint = FileManager.default.fileExists(atPath: folder.appendingPathComponent("pytorch_model.bin").path)
                ? " (only pytorch_model.bin is present; tl reads safetensors only)" : ""
            throw ImportError(path: weightsURL.path, message: "missing\(hint)")
        }
        let file = try SafeTensorsFile.read(from: weightsURL)
        // Check the size config.json implies against what the file really holds before
        // building anything, so a hostile or mistaken config cannot cause a huge allocation.
        let (d, f, layers) = (config.hiddenSize, config.intermediateSize, config.layerCount)
        let implied = (config.vocabSize + config.maxPositions + config.typeVocabSize + 2) * d
            + layers * (4 * (d * d + d) + 2 * d * f + f + d + 4 * d)
        // (Loose: a few missing tensors are reported by name below.)
        guard implied <= 2 * file.parameterCount + 1_000_000 else {
            throw ImportError(path: folder.appendingPathComponent("config.json").path,
                              message: "describes a model of \(implied) parameters but model.safetensors holds only \(file.parameterCount) values")
        }
        let name = folder.standardizedFileURL.lastPathComponent
        let spec = spec(for: config, name: name.isEmpty ? "bert" : name, tokens: tokens, pool: pool)
        var rng = SeededGenerator(seed: seed)
        let model = try TransferModel(spec: spec, classCount: 1, vocabularySize: vocabulary.count, rng: &rng)

        var published: [String: (original: String, tensor: StoredTensor)] = [:]
        for (original, tensor) in file.tensors { published[canonicalName(original)] = (original, tensor) }
        var state: [String: Tensor] = [:]
        var used = Set<String>()
        var missing: [String] = []
        let headPrefix = model.pathPrefix(ofBlock: model.headIndex)
        for (path, current) in model.namedState() {
            if path.hasPrefix(headPrefix) { state[path] = current; continue }
            guard let hfName = huggingFaceName(forPath: path, layerCount: config.layerCount) else {
                throw ImportError(path: folder.path, message: "internal: no Hugging Face name for \(path)")
            }
            guard let (original, stored) = published[hfName] else { missing.append(hfName); continue }
            guard stored.shape == current.shape else {
                throw ImportError(path: weightsURL.path, message: "tensor '\(original)' has shape \(stored.shape) but config.json implies \(current.shape)")
            }
            let values: [Float]
            do { values = try stored.floats() } catch { throw ImportError(path: weightsURL.path, message: "tensor '\(original)': \(error)") }
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw ImportError(path: weightsURL.path, message: "tensor '\(original)' holds a non-finite value at element \(bad)")
            }
            state[path] = try Tensor(values, shape: stored.shape)
            used.insert(hfName)
        }
        if !missing.isEmpty {
            let shown = missing.prefix(8).joined(separator: ", ")
            throw ImportError(path: weightsURL.path, message: "missing \(missing.count) tensor\(missing.count == 1 ? "" : "s") of a \(config.layerCount)-layer BERT: \(shown)\(missing.count > 8 ? ", …" : "")")
        }
        try model.loadState(state)
        let ignored = published.filter { !used.contains($0.key) }.map(\.value.original).sorted()

        var info = CheckpointInfo(kind: "import", classNames: [placeholderClass], seed: seed)
        info.vocabulary = vocabulary
        info.tokenizer = "wordpiece"
        info.data = nil
        info.parent = folder.path
        return Result(checkpoint: Checkpoint(model: model, info: info), ignored: ignored)
    }

    /// `vocab.txt`: one token per line, id = line number; at most `vocab_size` tokens, with
    /// [PAD] at id 0 (tl's padding id) and [CLS], [SEP], [UNK] present.
    static func readVocabulary(_ url: URL, config: BertSettings) throws -> [String] {
        func fail(_ why: String) -> ImportError { ImportError(path: url.path, message: why) }
        guard FileManager.default.fileExists(atPath: url.path) else { throw fail("missing (a WordPiece vocabulary, one token per line)") }
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        guard let size = attributes[.size] as? Int, size <= 64 << 20 else { throw fail("too large for a vocabulary (over 64 MiB)") }
        let text = String(decoding: try RegularFile.read(url.path), as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
        if lines.last == "" { lines.removeLast() }
        guard !lines.isEmpty else { throw fail("empty") }
        guard lines.count <= config.vocabSize else {
            throw fail("has \(lines.count) tokens but config.json vocab_size is \(config.vocabSize)")
        }
        guard lines[0] == "[PAD]" else { throw fail("the first token must be [PAD] (tl pads with id 0), got '\(lines[0])'") }
        for token in ["[CLS]", "[SEP]", "[UNK]"] where !lines.contains(token) { throw fail("has no \(token) token") }
        return lines
    }

    /// Rejects cased tokenizers (`tokenizer_config.json` with `do_lower_case: false`): tl's
    /// WordPiece encoding lower-cases.
    static func checkLowercasing(_ folder: URL) throws {
        let url = folder.appendingPathComponent("tokenizer_config.json")
        guard let data = try? RegularFile.read(url.path),
              let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let lower = json["do_lower_case"] as? Bool else { return }
        if !lower { throw ImportError(path: url.path, message: "do_lower_case is false; tl's WordPiece encoding supports uncased vocabularies only") }
    }

    /// sentence-transformers' pooling (`1_Pooling/config.json`); mean when absent.
    static func poolingMode(_ folder: URL) throws -> SequencePool.Mode {
        let url = folder.appendingPathComponent("1_Pooling/config.json")
        guard let data = try? RegularFile.read(url.path) else { return .mean }
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ImportError(path: url.path, message: "not a JSON object")
        }
        if json["pooling_mode_mean_tokens"] as? Bool == true { return .mean }
        if json["pooling_mode_cls_token"] as? Bool == true { return .cls }
        throw ImportError(path: url.path, message: "only mean-token or CLS-token pooling is supported")
    }
}

/// A model folder that cannot be imported, with the offending file named.
public struct ImportError: Error, CustomStringConvertible, LocalizedError {
    public let path: String
    public let message: String
    public var description: String { "\(path): \(message)" }
    public var errorDescription: String? { description }
}
