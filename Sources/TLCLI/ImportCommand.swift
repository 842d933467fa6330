import Foundation
import TLTensor
import TLTransfer
import TLSafeTensors
import TLModels

/// `tl import DIR|FILE.pth --out FILE`: a Hugging Face BERT folder or a PyTorch EfficientNet-Lite0
/// state dict as a `tl` checkpoint.
struct ImportCommand: Command {
    static let folder = Positional<String>("folder", help: "A Hugging Face model folder (config.json, model.safetensors, vocab.txt), or a PyTorch EfficientNet-Lite0 checkpoint (.pth).")
    static let classNames = OptionalOption<String>("class-names", valueName: "names.json",
        help: "For a .pth: a JSON array of the classifier's class names in index order (default: imagenet-classes.json beside the .pth, as Scripts/fetch-data.sh puts it).")
    static let tokens = Option<Int>("tokens", default: 128,
        help: "Input length of the imported model: texts are truncated/padded to this many WordPiece tokens (capped at max_position_embeddings).")
    static let output = OutputOptions(product: .requiredCheckpoint)

    var name: String { "import" }
    var abstract: String { "Import a Hugging Face BERT encoder (e.g. all-MiniLM-L6-v2) or EfficientNet-Lite0 (.pth) as a tl checkpoint." }
    var discussion: String {
        """
        Validates config.json (model_type bert, hidden_act gelu, hidden size divisible by the heads), maps the \
        published tensor names (embeddings.*, encoder.layer.N.*, with or without a bert. prefix, LayerNorm \
        weight/bias or gamma/beta) onto tl's blocks, ignores embeddings.position_ids and the pooler, and writes \
        a checkpoint with the WordPiece vocabulary of vocab.txt. Blocks: embeddings, layer0…layerN-1, pool \
        (mean over tokens), head. The head is a 1-class placeholder named "(no head)": fine-tune with \
        --head auto (the default) to replace it, or use the encoder directly with 'tl embed'.
        Example: tl import data/all-MiniLM-L6-v2 --out minilm.safetensors && tl finetune --from minilm.safetensors --freeze 0..6 ...
        A PyTorch checkpoint (.pth, zip or legacy torch.save format) is read without running its pickle (only state-dict \
        globals are allowed) and must be an EfficientNet-Lite0 state dict (_conv_stem, _blocks.N, _conv_head, _fc). Blocks: \
        stem, stage1…stage7, head_conv, pool, classifier (--freeze 0..5 freezes through stage 5). The checkpoint records \
        its preprocessing (224×224 RGB, (x − 127) / 128 on 0–255 pixels), which finetune, eval and predict apply.
        Example: tl import data/efficientnet-lite0/efficientnet-lite0-57934424.pth --out lite0.safetensors
        """
    }
    var arguments: [any ArgumentDefinition] { [Self.folder, Self.tokens, Self.classNames] }
    var groups: [any OptionGroup] { [Self.output] }

    func run(_ a: ParsedArguments, context: CommandContext) throws -> ExitCode {
        let outURL = Self.output.outURL(a)!
        let outPath = outURL.path
        guard a[Self.tokens] >= 2, a[Self.tokens] <= 65_536 else {
            throw UsageError(.invalidValue(option: "--tokens", expected: "an integer from 2 to the model's positions", got: String(a[Self.tokens])))
        }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: a[Self.folder], isDirectory: &isFolder), !isFolder.boolValue {
            return try importPyTorch(a, outURL: outURL, context: context)
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

    /// A PyTorch EfficientNet-Lite0 state dict (.pth).
    func importPyTorch(_ a: ParsedArguments, outURL: URL, context: CommandContext) throws -> ExitCode {
        let path = a[Self.folder]
        let file = try PyTorchCheckpoint.read(from: URL(fileURLWithPath: path))
        let namesURL = a[Self.classNames].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("imagenet-classes.json")
        let classCount = file["_fc.weight"]?.shape.first ?? 0
        var names: [String]
        var numbered = false
        if a[Self.classNames] != nil || FileManager.default.fileExists(atPath: namesURL.path) {
            names = try EfficientNetImporter.readClassNames(namesURL)
        } else {
            names = (0..<classCount).map { "class \($0)" }
            numbered = true
        }
        var checkpoint = try EfficientNetImporter.checkpoint(from: file, path: path, classNames: names)
        checkpoint.info.command = TrainingOptions.commandLine
        try checkpoint.write(to: outURL)
        let model = checkpoint.model
        if a[OutputOptions.json] {
            context.print(jsonText(["checkpoint": outURL.path, "parameters": model.parameterCount, "classes": names.count,
                                    "blocks": model.spec.blocks.map(\.name), "format": "pytorch-\(file.format)",
                                    "preprocessing": checkpoint.info.preprocessing?.summary ?? ""]))
        }
        if Self.output.showsProgress(a) {
            context.printError("imported \(path) (PyTorch \(file.format) format, \(file.entries.count) tensors): \(grouped(model.parameterCount)) parameters, "
                               + "\(names.count) classes\(numbered ? " (numbered: no \(namesURL.lastPathComponent) beside the file; see --class-names)" : "")")
            context.printError("blocks \(model.spec.blocks.map(\.name).joined(separator: ", ")); preprocessing \(checkpoint.info.preprocessing?.summary ?? "none"); wrote \(outURL.path)")
        }
        return .success
    }
}
