import Foundation
import TLTensor
import TLTransfer
import TLModels
import TLSafeTensors

/// `tl embed`: L2-normalised sentence embeddings (pool block output) and cosine similarities.
struct EmbedCommand: Command {
    enum Format: String, ChoiceArgument { case json, csv }

    static let model = Option<String>("model", short: "m", valueName: "checkpoint", help: "A token-model checkpoint (e.g. from 'tl import').")
    static let text = RepeatedOption<String>("text", short: "t", valueName: "sentence", help: "A sentence to embed (repeatable).")
    static let file = OptionalOption<String>("file", short: "f", valueName: "lines.txt", help: "Embed every non-empty line of this UTF-8 file (after any --text).")
    static let similarity = Flag("similarity", help: "Print the cosine similarity matrix of the inputs instead of the embeddings.")
    static let format = Option<Format>("format", default: .json, help: "Output format.")
    static let maxTokens = OptionalOption<Int>("max-tokens", valueName: "n", help: "Truncate texts to n tokens (default: the model's input length).")
    static let batchSize = Option<Int>("batch-size", default: 32, help: "Texts per forward pass.")
    static let out = OptionalOption<String>("out", short: "o", valueName: "file", help: "Write to this file (atomically) instead of stdout.")

    var name: String { "embed" }
    var abstract: String { "Sentence embeddings (mean-pooled, L2-normalised) and cosine similarities." }
    var discussion: String {
        """
        Runs the model up to its pool block (mean over non-padding tokens for imported sentence-transformers \
        models) and L2-normalises the result. JSON: {"model", "dimension", "texts", "embeddings"} or, with \
        --similarity, {"texts", "similarity"}; CSV: one row per text (text, then the values), or the matrix.
        Example: tl embed --model minilm.safetensors --text "The weather is lovely today." --text "It's so sunny outside!" --similarity
        """
    }
    var arguments: [any ArgumentDefinition] {
        [Self.model, Self.text, Self.file, Self.similarity, Self.format, Self.maxTokens, Self.batchSize, TrainingOptions.threads, Self.out]
    }

    func run(_ a: ParsedArguments, context: CommandContext) throws -> ExitCode {
        try TrainingOptions.applyThreads(a)
        guard a[Self.batchSize] >= 1 else { throw UsageError(.invalidValue(option: "--batch-size", expected: "a positive integer", got: String(a[Self.batchSize]))) }
        var texts = a[Self.text]
        if let path = a[Self.file] {
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
                throw UsageError(.invalidValue(option: "--file", expected: "a readable text file", got: path))
            }
            guard let content = String(data: data, encoding: .utf8) else { throw TrainingError("\(path): not UTF-8 text") }
            texts += content.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        }
        guard !texts.isEmpty else { throw UsageError(.missingRequired("some input: --text <sentence> (repeatable) or --file <lines.txt>")) }
        var rng = SeededGenerator(seed: 0)
        let checkpoint = try Checkpoint.read(from: URL(fileURLWithPath: a[Self.model]), rng: &rng)
        let embedder = try SentenceEmbedder(checkpoint: checkpoint, maxTokens: a[Self.maxTokens])
        let embeddings = try embedder.embed(texts, batchSize: a[Self.batchSize])
        let output: String
        func csvField(_ s: String) -> String {
            s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        if a[Self.similarity] {
            let matrix = SentenceEmbedder.similarities(embeddings)
            switch a[Self.format] {
            case .json:
                output = jsonText(["model": a[Self.model], "texts": texts, "similarity": matrix.map { $0.map { ($0 * 1e6).rounded() / 1e6 } }])
            case .csv:
                var lines = [([""] + texts).map(csvField).joined(separator: ",")]
                for (i, row) in matrix.enumerated() { lines.append(([csvField(texts[i])] + row.map { String(format: "%.6f", $0) }).joined(separator: ",")) }
                output = lines.joined(separator: "\n")
            }
        } else {
            switch a[Self.format] {
            case .json:
                output = jsonText(["model": a[Self.model], "dimension": embeddings.first?.count ?? 0, "texts": texts,
                                   "embeddings": embeddings.map { $0.map(Double.init) }])
            case .csv:
                let d = embeddings.first?.count ?? 0
                var lines = [(["text"] + (0..<d).map { "e\($0)" }).joined(separator: ",")]
                for (i, e) in embeddings.enumerated() { lines.append(([csvField(texts[i])] + e.map { String(format: "%.8g", $0) }).joined(separator: ",")) }
                output = lines.joined(separator: "\n")
            }
        }
        if let out = a[Self.out] { try writeAtomically(output + "\n", to: URL(fileURLWithPath: out)) } else { context.print(output) }
        return .success
    }
}
