import Foundation
import TLTensor
import TLTransfer
import TLSafeTensors
import TLModels

/// `tl merge --from ADAPTED --out FULL`: folds LoRA adapters into their layers' weights
/// (W + (α/r)·B·A), giving a full checkpoint that needs no base.
struct MergeCommand: Command {
    static let from = Option<String>("from", valueName: "checkpoint",
        help: "The adapter checkpoint (written by tl finetune --lora); its base checkpoint must be present with the recorded sha256.")
    static let output = OutputOptions(product: .requiredCheckpoint)

    var name: String { "merge" }
    var abstract: String { "Fold LoRA adapters into a full checkpoint." }
    var discussion: String {
        """
        Loads the adapter checkpoint over its base (refusing a missing base or one whose sha256 differs), \
        replaces every adapted weight W by W + (alpha/rank)·B·A, drops the adapters and writes a full checkpoint \
        with the same blocks, head and metadata. Its outputs equal the adapter checkpoint's (to float rounding).
        Example: tl merge --from adapted.safetensors --out full.safetensors
        """
    }
    var arguments: [any ArgumentDefinition] { [Self.from] }
    var groups: [any OptionGroup] { [Self.output] }

    func run(_ a: ParsedArguments, context: CommandContext) throws -> ExitCode {
        let outURL = Self.output.outURL(a)!
        let url = URL(fileURLWithPath: a[Self.from])
        let file = try SafeTensorsFile.read(from: url)
        let header = try Checkpoint.header(of: file, path: url.path)
        guard let adapters = header.info.adapters else {
            throw TrainingError("\(url.path): holds no LoRA adapters, so there is nothing to merge (it is already a full checkpoint)")
        }
        var rng = SeededGenerator(seed: 0)
        let adapted = try Checkpoint.decode(file, path: url.path, rng: &rng)
        var merged = try adapted.merged()
        merged.info.command = TrainingOptions.commandLine
        try merged.write(to: outURL)
        let size = (try? FileManager.default.attributesOfItem(atPath: outURL.path)[.size] as? Int) ?? 0
        if a[OutputOptions.json] {
            context.print(jsonText(["checkpoint": outURL.path, "merged_layers": adapters.modules.count, "rank": adapters.rank,
                                    "alpha": adapters.alpha, "base": adapters.base, "parameters": merged.model.parameterCount, "bytes": size]))
        }
        if Self.output.showsProgress(a) {
            context.printError("merged \(adapters.modules.count) LoRA adapters (rank \(adapters.rank), alpha \(fixed(adapters.alpha, 3))) of \(url.lastPathComponent) into its base \(adapters.base): wrote \(outURL.path) (\(grouped(merged.model.parameterCount)) parameters, \(byteSize(size)))")
        }
        return .success
    }
}
