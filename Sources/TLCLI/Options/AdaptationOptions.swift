import Foundation
import TLTransfer
import TLModels
import TLData
import TLNN

/// `--class-weights`: `balanced` (n / (k · n_c)) or one weight per class (`1,2,…`).
enum ClassWeightsArgument: ArgumentValue, Equatable {
    case balanced, explicit([Double])

    static var valueName: String { "weights" }
    static var expectation: String { "balanced, or one non-negative number per class separated by commas (1,2,…)" }
    init?(argument text: String) {
        if text == "balanced" { self = .balanced; return }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.contains(nil) else { return nil }
        let values = parts.compactMap { $0 }
        guard values.allSatisfy({ $0 >= 0 && $0.isFinite }), values.contains(where: { $0 > 0 }) else { return nil }
        self = .explicit(values)
    }
    var argumentDescription: String {
        switch self {
        case .balanced: return "balanced"
        case .explicit(let w): return w.map { $0.argumentDescription }.joined(separator: ",")
        }
    }
}

/// Domain adaptation and re-weighting: unlabeled target data (`--unlabeled`) for AdaBN
/// (`--adapt-bn`) and CORAL (`--coral`, `--coral-block`) in `tl finetune`; class weights
/// (`--class-weights`) in both training commands; importance weights toward a target
/// (`--reweight-to`, `--reweight-clip`) in `tl pretrain`. All end up in
/// `TrainingSettings.adaptation`, which the checkpoint records.
struct AdaptationOptions: OptionGroup {
    enum Role: Sendable { case finetune, pretrain }
    let role: Role

    static let unlabeled = OptionalOption<String>("unlabeled", valueName: "source",
        help: "Unlabeled target data (any data source; its labels are ignored) for --adapt-bn and --coral, or the data tl adapt re-estimates BatchNorm statistics on.")
    static let adaptBN = Flag("adapt-bn",
        help: "AdaBN: after training, re-estimate every BatchNorm's running mean and variance on the --unlabeled data (exact statistics over all its samples, not a momentum blend).")
    static let coral = OptionalOption<Double>("coral", valueName: "weight",
        help: "Deep CORAL: add weight × ‖C_s − C_t‖²_F / (4d²), the distance between the feature covariances of each labelled batch and a batch of --unlabeled data, to the loss.")
    static let coralBlock = OptionalOption<Int>("coral-block", valueName: "block",
        help: "The block whose output CORAL aligns (image features are averaged over space first); default: the last block below the head.")
    static let classWeights = OptionalOption<ClassWeightsArgument>("class-weights", valueName: "weights",
        help: "Weight the cross-entropy per class: balanced (n / (k·n_c) from the training split's counts) or one weight per class (1,2,…).")
    static let reweightTo = OptionalOption<String>("reweight-to", valueName: "source",
        help: "Weight each training sample by p_target(x) / p_source(x) from a logistic-regression domain classifier on the flattened inputs against this data (labels ignored); the plan shows the effective sample size.")
    static let reweightClip = Option<Double>("reweight-clip", default: 95,
        help: "Clip importance weights at this percentile of their values (then normalise to mean 1).")

    var arguments: [any ArgumentDefinition] {
        switch role {
        case .finetune: return [Self.unlabeled, Self.adaptBN, Self.coral, Self.coralBlock, Self.classWeights]
        case .pretrain: return [Self.classWeights, Self.reweightTo, Self.reweightClip]
        }
    }

    func prepare(_ a: ParsedArguments) throws {
        if role == .finetune {
            if let u = a[Self.unlabeled] { _ = try DataOptions.parse(u, option: "--unlabeled") }
            if a[Self.unlabeled] == nil && (a[Self.adaptBN] || a[Self.coral] != nil) {
                throw UsageError("\(a[Self.adaptBN] ? "--adapt-bn" : "--coral") needs --unlabeled <source> (the target inputs to adapt to)")
            }
            if let w = a[Self.coral], w <= 0 { throw UsageError.invalid("--coral", expected: "a positive weight", got: w) }
            if let b = a[Self.coralBlock] {
                guard a[Self.coral] != nil else { throw UsageError("--coral-block needs --coral <weight>") }
                _ = try Check.atLeast(0, b, Self.coralBlock, what: "a block index ≥ 0")
            }
        } else {
            if let t = a[Self.reweightTo] { _ = try DataOptions.parse(t, option: "--reweight-to") }
            let clip = a[Self.reweightClip]
            guard clip > 0, clip <= 100 else { throw UsageError.invalid("--reweight-clip", expected: "a percentile in (0, 100]", got: clip) }
        }
    }

    /// Records the options in `settings.adaptation` (class weights resolved on the training
    /// split); `model` tells the head's position (the default CORAL block).
    func record(_ a: ParsedArguments, in settings: inout TrainingSettings, train: Dataset, model: TransferModel) throws {
        var s = DomainAdaptationSettings()
        if role == .finetune {
            s.unlabeled = try a[Self.unlabeled].map { try DataOptions.parse($0, option: "--unlabeled").description }
            s.adaptBatchNorm = a[Self.adaptBN]
            if let w = a[Self.coral] {
                let block = a[Self.coralBlock] ?? (model.headIndex - 1)
                guard block < model.headIndex else {
                    throw UsageError("--coral-block: \(block) is not below the head; blocks are: \(model.spec.blocks.enumerated().map { "\($0.offset) \($0.element.name)" }.joined(separator: ", "))")
                }
                s.coral = .init(weight: w, block: block)
            }
        }
        switch a[Self.classWeights] {
        case nil: break
        case .balanced?:
            s.classWeights = .init(rule: "balanced", weights: Loss.balancedClassWeights(counts: train.classCounts()))
        case .explicit(let w)?:
            guard w.count == model.classCount else {
                throw UsageError("--class-weights: \(w.count) weights for \(model.classCount) classes (\(train.classNames.joined(separator: ",")))")
            }
            s.classWeights = .init(rule: "explicit", weights: w)
        }
        if role == .pretrain, let t = a[Self.reweightTo] {
            s.importance = .init(target: try DataOptions.parse(t, option: "--reweight-to").description, targetCount: 0,
                                 clipPercentile: a[Self.reweightClip], clipValue: 0, effectiveSampleSize: 0, sampleCount: 0,
                                 classifier: ImportanceWeights.classifierDescription, domainAccuracy: 0)
        }
        settings.adaptation = s == DomainAdaptationSettings() ? nil : s
    }

    /// The inputs the recorded settings need: the prepared unlabeled data (AdaBN, CORAL) and the
    /// importance weights of the training samples (whose figures are filled into `settings`).
    static func inputs(for settings: inout TrainingSettings, train: Dataset, spec: ModelSpec, normalization: Normalization?,
                       encoding: TextEncoding?, image: ImagePreparation?) throws -> DomainInputs {
        guard var s = settings.adaptation else { return DomainInputs() }
        var inputs = DomainInputs()
        if let u = s.unlabeled {
            let source = try DataSource.parse(u, option: "--unlabeled").preparingImages(image)
            let data = try UnlabeledData.prepare(source, spec: spec, normalization: normalization, encoding: encoding)
            s.unlabeledCount = data.count
            inputs.unlabeled = data
        }
        if var i = s.importance {
            if encoding != nil { throw UsageError("--reweight-to: importance weights need numeric inputs (images or arrays), not text") }
            let source = try DataSource.parse(i.target, option: "--reweight-to").preparingImages(image)
            let target = try UnlabeledData.prepare(source, spec: spec, normalization: normalization, encoding: nil)
            let estimate = try ImportanceWeights.estimate(source: train, target: target, clipPercentile: i.clipPercentile)
            i.targetCount = target.count
            i.clipValue = estimate.clipValue
            i.effectiveSampleSize = estimate.effectiveSampleSize
            i.sampleCount = train.count
            i.domainAccuracy = estimate.domainAccuracy
            s.importance = i
            inputs.sampleWeights = estimate.weights
        }
        settings.adaptation = s
        return inputs
    }

    /// The `--json` summary of the run's adaptation.
    static func json(_ s: DomainAdaptationSettings?, adaBN: AdaptiveBatchNorm.Summary?) -> Any {
        guard let s else { return NSNull() }
        var d: [String: Any] = ["adapt_bn": s.adaptBatchNorm]
        if let u = s.unlabeled { d["unlabeled"] = u; d["unlabeled_samples"] = s.unlabeledCount ?? 0 }
        if let c = s.coral { d["coral"] = ["weight": c.weight, "block": c.block] as [String: Any] }
        if let w = s.classWeights { d["class_weights"] = ["rule": w.rule, "weights": w.weights] as [String: Any] }
        if let i = s.importance {
            d["importance"] = ["target": i.target, "target_samples": i.targetCount, "clip_percentile": i.clipPercentile,
                               "clip_value": i.clipValue, "effective_sample_size": i.effectiveSampleSize, "samples": i.sampleCount,
                               "domain_accuracy": i.domainAccuracy] as [String: Any]
        }
        if let b = adaBN { d["adabn"] = ["layers": b.layers, "samples": b.samples, "mean_shift": b.meanShift, "variance_shift": b.varianceShift] as [String: Any] }
        return d
    }
}
