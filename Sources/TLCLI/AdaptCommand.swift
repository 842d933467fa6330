import Foundation
import TLTensor
import TLTransfer
import TLData
import TLModels
import TLSafeTensors
import TLNN

/// `tl adapt`: AdaBN as a step of its own — a checkpoint's BatchNorm statistics re-estimated on
/// unlabeled target data, every weight unchanged.
struct AdaptCommand: Command {
    static let from = OptionalOption<String>("from", valueName: "checkpoint", help: FinetuneCommand.from.info.help)
    static let unlabeled = AdaptationOptions.unlabeled
    static let compute = ComputeOptions()
    static let output = OutputOptions(product: .requiredCheckpoint)

    var name: String { "adapt" }
    var abstract: String { "Re-estimate a checkpoint's BatchNorm statistics on unlabeled target data (AdaBN)." }
    var discussion: String {
        """
        AdaBN (Li et al., 2016): every BatchNorm's running mean and variance become the exact mean and \
        unbiased variance of its inputs over all --unlabeled samples (labels ignored), layer by layer in \
        forward order with the layers before already adapted — not a momentum blend. Weights are unchanged; \
        the checkpoint's settings record the step. tl finetune --adapt-bn does the same after training.
        Example: tl adapt --from target.safetensors --unlabeled mnist5k,invert=yes --out adapted.safetensors
        """
    }
    var arguments: [any ArgumentDefinition] { [Self.from, Self.unlabeled] }
    var groups: [any OptionGroup] { [Self.compute, Self.output] }

    func run(_ a: ParsedArguments, context: CommandContext) throws -> ExitCode {
        guard let fromPath = a[Self.from] else { throw UsageError(.missingRequired("required option --from <checkpoint>")) }
        guard let unlabeledText = a[Self.unlabeled] else { throw UsageError(.missingRequired("required option --unlabeled <source>")) }
        let unlabeledSource = try DataOptions.parse(unlabeledText, option: "--unlabeled")
        let out = Self.output.outURL(a)!
        let lock = try OutputLock(destination: out)
        defer { lock.release() }
        var rng = SeededGenerator(seed: 0)
        var checkpoint = try Checkpoint.read(from: URL(fileURLWithPath: fromPath), rng: &rng)
        let info = checkpoint.info
        let norms = checkpoint.model.namedModules().filter { $0.module is TLNN.BatchNorm }.count
        guard norms > 0 else { throw TrainingError("\(fromPath): the model has no BatchNorm layer, so AdaBN changes nothing") }
        let source = unlabeledSource.preparingImages(ImagePreparation.forModel(checkpoint.model.spec, info: info))
        let data = try UnlabeledData.prepare(source, spec: checkpoint.model.spec, normalization: info.normalization,
                                             encoding: TextEncoding.from(kind: info.tokenizer, vocabulary: info.vocabulary))
        let summary = try AdaptiveBatchNorm.adapt(checkpoint.model, on: data, batchSize: Swift.max(try ComputeOptions.batchSize(a), 256))
        if var settings = info.settings {
            var adaptation = settings.adaptation ?? DomainAdaptationSettings()
            adaptation.unlabeled = unlabeledSource.description
            adaptation.unlabeledCount = data.count
            adaptation.adaptBatchNorm = true
            settings.adaptation = adaptation
            checkpoint.info.settings = settings
        }
        checkpoint.info.parent = fromPath
        checkpoint.info.command = TrainingOptions.commandLine
        try checkpoint.write(to: out)
        if Self.output.wantsJSON(a) {
            context.print(jsonText(["checkpoint": out.path, "from": fromPath, "unlabeled": unlabeledSource.description, "samples": data.count,
                                    "layers": summary.layers, "mean_shift": summary.meanShift, "variance_shift": summary.varianceShift]))
        }
        if Self.output.showsProgress(a) { context.printError(Self.describe(summary) + "; wrote \(out.path)") }
        return .success
    }

    /// "AdaBN: re-estimated 7 BatchNorm layers on 4,900 unlabeled samples (mean |Δmean| 0.41, mean |Δvar| 0.12)"
    static func describe(_ s: AdaptiveBatchNorm.Summary) -> String {
        "AdaBN: re-estimated \(s.layers) BatchNorm layer\(s.layers == 1 ? "" : "s") on \(grouped(s.samples)) unlabeled samples (exact statistics; mean |Δ running mean| "
            + String(format: "%.3g, mean |Δ running variance| %.3g)", s.meanShift, s.varianceShift)
    }
}
