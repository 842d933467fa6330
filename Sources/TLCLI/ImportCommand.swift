import Foundation
import TLTensor
import TLTransfer
import TLSafeTensors
import TLModels

/// `tl import DIR --out FILE`: a Hugging Face BERT folder as a `tl` checkpoint.
struct ImportCommand: Command {
    static let folder = Positional<String>("folder", help: "A Hugging Face model folder: config.json, model.safetensors, vocab.txt.")
    static let tokens = Option<Int>("tokens", default: 128,
        help: "Input length of the imported model: texts are truncated/padded to this many WordPiece tokens (capped at max_position_embeddings).")
    static let output = OutputOptions(product: .requiredCheckpoint)

    var name: String { "import" }
    var abstract: String { "Import a Hugging Face BERT encoder (e.g. all-MiniLM-L6-v2) as a tl checkpoint." }
    var discussion: String {
        """
        Validates config.json (model_type bert, hidden_act gelu, hidden size divisible by the heads), maps the \
        published tensor names (embeddings.*, encoder.layer.N.*, with or without a bert. prefix, LayerNorm \
        weight/bias or gamma/beta) onto tl's blocks, ignores embeddings.position_ids and the pooler, and writes \
        a checkpoint with the WordPiece vocabulary of vocab.txt. Blocks: embeddings, layer0…layerN-1, pool \
        (mean over tokens), head. The head is a 1-class placeholder named "(no head)": fine-tune with \
        --head auto (the default) to replace it, or use the encoder directly with 'tl embed'.
        Example: tl import data/all-MiniLM-L6-v2 --out minilm.safetensors && tl finetune --from minilm.safetensors --freeze 0..6 ...
        """
    }
    var arguments: [any ArgumentDefinition] { [Self.folder, Self.tokens] }
    var groups: [any OptionGroup] { [Self.output] }

    func run(_ a: ParsedArguments, context: CommandContext) throws -> ExitCode {
        let outURL = Self.output.outURL(a)!
        let outPath = outURL.path
        guard a[Self.tokens] >= 2, a[Self.tokens] <= 65_536 else {
            throw UsageError(.invalidValue(option: "--tokens", expected: "an integer from 2 to the model's positions", got: String(a[Self.tokens])))
        }
        let result = try HuggingFaceImporter.load(folder: URL(fileURLWithPath: a[Self.folder]), tokens: a[Self.tokens])
        var checkpoint = result.checkpoint
        checkpoint.info.command = TrainingOptions.commandLine
        try checkpoint.write(to: outURL)
        if a[OutputOptions.json] {
            let model = checkpoint.model
            context.print(jsonText(["checkpoint": outPath, "parameters": model.parameterCount, "vocabulary": checkpoint.info.vocabulary?.count ?? 0,
                                    "blocks": model.spec.blocks.map(\.name), "ignored": result.ignored]))
        }
        if Self.output.showsProgress(a) {
            let model = checkpoint.model
            let blocks = model.spec.blocks.map(\.name).joined(separator: ", ")
            context.printError("imported \(a[Self.folder]): \(grouped(model.parameterCount)) parameters, \(checkpoint.info.vocabulary?.count ?? 0)-token WordPiece vocabulary, input \(model.spec.input.summary); blocks \(blocks)")
            if !result.ignored.isEmpty {
                context.printError("ignored \(result.ignored.count) tensor\(result.ignored.count == 1 ? "" : "s") tl's encoder does not use: \(result.ignored.joined(separator: ", "))")
            }
            context.printError("head: 1-class placeholder \"\(HuggingFaceImporter.placeholderClass)\" (replaced by 'tl finetune --head auto'); wrote \(outPath)")
        }
        return .success
    }
}
