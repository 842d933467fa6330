import Foundation
import TLIO
import TLTensor
import TLTransfer
import TLModels
import TLSafeTensors
import TLData

/// `tl embed`: L2-normalised sentence embeddings (pool block output) and cosine similarities
/// for token models; pooled block features of image files for image models (see
/// `EmbedCommand+Images.swift`).
struct EmbedCommand: Command {
    static let model = SharedOptions.model(.checkpoint("of a token model (e.g. from 'tl import')"))
    static let text = SharedOptions.text
    static let file = SharedOptions.file
    static let similarity = Flag("similarity", help: "Print the cosine similarity matrix of the inputs instead of the embeddings.")
    static let maxTokens = OptionalOption<Int>("max-tokens", valueName: "n", help: "Truncate texts to n tokens (default: the model's input length).")
    static let compute = ComputeOptions()
    static let output = OutputOptions(product: .printedResult)

    var name: String { "embed" }
    static let inputs = RepeatedPositional<String>("image", help: "Image files or folders to embed (image models).")
    static let block = OptionalOption<String>("block", valueName: "index|name",
        help: "Image models: the block whose output is the embedding (default: the block before the head); feature maps are average-pooled.")

    var abstract: String { "Sentence embeddings and similarities (token models), or image features (image models), as CSV, JSON or NPY." }
    var discussion: String {
        """
        Runs the model up to its pool block (mean over non-padding tokens for imported sentence-transformers \
        models) and L2-normalises the result. CSV (the default): one row per text (text, then the values), or with \
        --similarity the matrix. --json: {"model", "dimension", "texts", "embeddings"} or {"texts", "similarity"}.
        Image models: tl embed --model M photo.jpg photos/ [--block N|name] writes one row per image (file, then the \
        values) of the block before the head (or --block), average-pooled over height and width; --out FILE.npy writes \
        a float32 [images, dimension] NumPy array instead (row order: the files as listed, folders sorted).
        Example: tl embed --model minilm.safetensors --text "The weather is lovely today." --text "It's so sunny outside!" --similarity
        """
    }
    var arguments: [any ArgumentDefinition] { [Self.model, Self.text, Self.file, Self.similarity, Self.maxTokens, Self.block, Self.inputs] }
    var groups: [any OptionGroup] { [Self.compute, Self.output] }

    func run(_ a: ParsedArguments, context: CommandContext) throws -> ExitCode {
        let texts = try SharedOptions.texts(a)
        var rng = SeededGenerator(seed: 0)
        let modelPath = a.value(of: Self.model, as: String.self)!
        let checkpoint = try Checkpoint.read(from: URL(fileURLWithPath: modelPath), rng: &rng)
        if case .dense = checkpoint.model.spec.input { return try embedImages(a, checkpoint: checkpoint, modelPath: modelPath, context: context) }
        guard a[Self.inputs].isEmpty else {
            throw UsageError("image files were given, but \(modelPath) is a token model: embed sentences with --text or --file")
        }
        guard a[Self.block] == nil else { throw UsageError("--block applies to image models; token models embed at their pool block") }
        guard !texts.isEmpty else { throw UsageError(.missingRequired("some input: --text <sentence> (repeatable) or --file <lines.txt>")) }
        let embedder: SentenceEmbedder
        do { embedder = try SentenceEmbedder(checkpoint: checkpoint, maxTokens: a[Self.maxTokens]) } catch let e as ModelError where a[Self.maxTokens] != nil {
            throw UsageError("--max-tokens: \(e)")
        }
        let embeddings = try embedder.embed(texts, batchSize: ComputeOptions.batchSize(a))
        let output: String
        let json = Self.output.wantsJSON(a)
        if a[Self.similarity] {
            let matrix = SentenceEmbedder.similarities(embeddings)
            if json {
                output = jsonText(["model": modelPath, "texts": texts, "similarity": matrix.map { $0.map { ($0 * 1e6).rounded() / 1e6 } }])
            } else {
                var lines = [([""] + texts).map(CSV.field).joined(separator: ",")]
                for (i, row) in matrix.enumerated() { lines.append(([CSV.field(texts[i])] + row.map { String(format: "%.6f", $0) }).joined(separator: ",")) }
                output = lines.joined(separator: "\n")
            }
        } else if json {
            output = jsonText(["model": modelPath, "dimension": embeddings.first?.count ?? 0, "texts": texts,
                               "embeddings": embeddings.map { $0.map(Double.init) }])
        } else {
            let d = embeddings.first?.count ?? 0
            var lines = [(["text"] + (0..<d).map { "e\($0)" }).joined(separator: ",")]
            for (i, e) in embeddings.enumerated() { lines.append(([CSV.field(texts[i])] + e.map(CSV.value)).joined(separator: ",")) }
            output = lines.joined(separator: "\n")
        }
        if let url = Self.output.outURL(a), url.pathExtension.lowercased() == "npy", !a[Self.similarity] {
            try writeAtomically(NPY.encode(embeddings.flatMap { $0 }, shape: [embeddings.count, embeddings.first?.count ?? 0]), to: url)
            return .success
        }
        try Self.output.emit(output, a, context: context)
        return .success
    }
}
