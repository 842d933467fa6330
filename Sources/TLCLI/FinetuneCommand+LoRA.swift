import Foundation
import TLNN
import TLTransfer
import TLModels
import TLSafeTensors

/// `--lora RANK`, `--lora-alpha A`, `--lora-targets GLOBS`: low-rank adapters (Hu et al., 2021)
/// on the matching linear and 1×1 convolution layers; only the adapters and the head train, and
/// the checkpoint stores only what changed plus the base checkpoint's path and sha256.
extension FinetuneCommand {
    static let lora = OptionalOption<Int>("lora", valueName: "rank",
        help: "Train LoRA adapters of this rank (W x + (alpha/rank)·B A x, B = 0 at the start) on the --lora-targets layers; every other weight but the head stays frozen, and --out stores only the adapters, the head and what else changed, with the base checkpoint's path and sha256 (fold them into a full checkpoint with tl merge).")
    static let loraAlpha = OptionalOption<Double>("lora-alpha", valueName: "alpha",
        help: "The LoRA scale numerator alpha (the update is scaled by alpha/rank; default: the rank).")
    static let loraTargets = OptionalOption<String>("lora-targets", valueName: "globs",
        help: "Comma-separated globs over dotted module paths naming the linear or 1×1 convolution layers that get adapters (* matches dots too; default: \(LoRAConfig.defaultTargets.joined(separator: ","))).")

    static var loraArguments: [any ArgumentDefinition] { [lora, loraAlpha, loraTargets] }

    /// The validated LoRA options, or nil without `--lora`.
    static func loraConfig(_ a: ParsedArguments) throws -> LoRAConfig? {
        guard let rank = a[lora] else {
            if a[loraAlpha] != nil { throw UsageError("--lora-alpha needs --lora RANK") }
            if a[loraTargets] != nil { throw UsageError("--lora-targets needs --lora RANK") }
            return nil
        }
        guard rank >= 1 else { throw UsageError(.invalidValue(option: "--lora", expected: "a rank ≥ 1", got: String(rank))) }
        if let alpha = a[loraAlpha], !(alpha > 0 && alpha.isFinite) {
            throw UsageError(.invalidValue(option: "--lora-alpha", expected: "a positive number", got: "\(alpha)"))
        }
        var targets = LoRAConfig.defaultTargets
        if let text = a[loraTargets] {
            targets = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard !targets.isEmpty, !targets.contains(where: \.isEmpty) else {
                throw UsageError(.invalidValue(option: "--lora-targets", expected: "comma-separated globs over module paths (e.g. *.attention.query,*.attention.value)", got: text))
            }
        }
        return LoRAConfig(rank: rank, alpha: a[loraAlpha], targets: targets)
    }

    /// A source that is itself an adapter checkpoint cannot be fine-tuned directly.
    static func checkNotAdapters(_ source: CheckpointInfo, path: String) throws {
        guard source.adapters != nil else { return }
        throw UsageError("--from: \(path) holds LoRA adapters over \(source.adapters?.base ?? "a base checkpoint"); fold them into a full checkpoint first with 'tl merge --from \(path) --out full.safetensors'")
    }

    /// "LoRA: rank 8, alpha 8 on 24 layers (…): 147,456 adapter parameters (0.65% of 22,713,216)"
    static func describeAdapters(_ adapters: AdapterInfo, model: TransferModel) -> String {
        let trainable = model.trainableParameters().reduce(0) { $0 + $1.count }
        let share = Double(trainable) / Double(max(model.parameterCount, 1)) * 100
        return "LoRA: rank \(adapters.rank), alpha \(fixed(adapters.alpha, 3)) on \(adapters.modules.count) layers (\(adapters.targets.joined(separator: ","))): "
            + "\(grouped(adapters.parameterCount)) adapter parameters; \(grouped(trainable)) trainable with the head "
            + "(\(String(format: "%.2f", share))% of \(grouped(model.parameterCount)))"
    }
}
