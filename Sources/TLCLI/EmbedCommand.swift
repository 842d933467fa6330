import Foundation
import TLIO
import TLTensor
import TLTransfer
import TLModels
import TLSafeTensors

/// `tl embed`: L2-normalised sentence embeddings (pool block output) and cosine similarities.
struct EmbedCommand: Command {
    static let model = SharedOptions.model(.checkpoint("of a token model (e.g. from 'tl import')"))
    static let text = RepeatedOption<String>("text", short: "t", valueName: "sentence", help: "A sentence to embed.")
    static let file = OptionalOption<String>("file", short: "f", valueName: "lines.txt", help: "Embed every non-empty line of this UTF-8 file (after any --text).")
    static let similarity = Flag("similarity", help: "Print the cosine similarity matrix of the inputs instead of the embeddings.")
    static let maxTokens = OptionalOption<Int>("max-tokens", valueName: "n", help: "Truncate texts to n tokens (default: the model's input length).")
    static let compute = ComputeOptions()
    static let output = OutputOptions(product: .printedResult)

    var name: String { "embed" }
    var abstract: String { "Sentence embeddings (mean-pooled, L2-normalised) and cosine similarities." }
    var discussion: String {
        """
        Runs the model up to its pool block (mean over non-padding tokens for imported sentence-transformers \
        models) and L2-normalises the result. CSV (the default): one row per text (text, then the values), or with \
        --similarity the matrix. --json: {"model", "dimension", "texts", "embeddings"} or {"texts", "similarity"}.
        Example: tl embed --model minilm.safetensors --text "The weather is lovely today." --text "It's so sunny outside!" --similarity
        """
    }
    var arguments: [any ArgumentDefinition] { [Self.model, Self.text, Self.file, Self.similarity, Self.maxTokens] }
    var groups: [any OptionGroup] { [Self.compute, Self.output] }

    func run(_ a: ParsedArguments, context: CommandContext) throws -> ExitCode {
        var texts = a[Self.text]
        if let path = a[Self.file] {
            let data: Data
            do { data = try RegularFile.read(path) } catch let e as FileAccessError {
                throw UsageError("--file: \(e)")
            }
            guard let content = String(data: data, encoding: .utf8) else { throw TrainingError("\(path): not UTF-8 text") }
            texts += content.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        }
        guard !texts.isEmpty else { throw UsageError(.missingRequired("some input: --text <sentence> (repeatable) or --file <lines.txt>")) }
        var rng = SeededGenerator(seed: 0)
        let modelPath = a.value(of: Self.model, as: String.self)!
        let checkpoint = try Checkpoint.read(from: URL(fileURLWithPath: modelPath), rng: &rng)
        let embedder: SentenceEmbedder
        do { embedder = try SentenceEmbedder(checkpoint: checkpoint, maxTokens: a[Self.maxTokens]) } catch let e as ModelError where a[Self.maxTokens] != nil {
            throw UsageError("--max-tokens: \(e)")
        }
        let embeddings = try embedder.embed(texts, batchSize: ComputeOptions.batchSize(a))
        let output: String
        func csvField(_ s: String) -> String {
            s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        let json = Self.output.wantsJSON(a)
        if a[Self.similarity] {
            let matrix = SentenceEmbedder.similarities(embeddings)
            if json {
                output = jsonText(["model": modelPath, "texts": texts, "similarity": matrix.map { $0.map { ($0 * 1e6).rounded() / 1e6 } }])
            } else {
                var lines = [([""] + texts).map(csvField).joined(separator: ",")]
                for (i, row) in matrix.enumerated() { lines.append(([csvField(texts[i])] + row.map { String(format: "%.6f", $0) }).joined(separator: ",")) }
                output = lines.joined(separator: "\n")
            }
        } else if json {
            output = jsonText(["model": modelPath, "dimension": embeddings.first?.count ?? 0, "texts": texts,
                               "embeddings": embeddings.map { $0.map(Double.init) }])
        } else {
            let d = embeddings.first?.count ?? 0
            var lines = [(["text"] + (0..<d).map { "e\($0)" }).joined(separator: ",")]
            for (i, e) in embeddings.enumerated() { lines.append(([csvField(texts[i])] + e.map { String(format: "%.8g", $0) }).joined(separator: ",")) }
            output = lines.joined(separator: "\n")
        }
        try Self.output.emit(output, a, context: context)
        return .success
    }
}
