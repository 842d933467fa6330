import Foundation
import TLTensor
import TLNN
import TLData

/// Training-ready data: numeric, fitted to the model's input, split and normalised.
public struct PreparedTask {
    public var train: Dataset
    public var validation: Dataset?
    public var normalization: Normalization?
    public var encoding: TextEncoding?
    public var classNames: [String]
    /// How samples were fitted to the model's input, when a rule changed them (one line).
    public var inputNote: String? = nil
}

/// The steps shared by `pretrain`, `finetune`, scratch baselines and the demo.
public enum TrainingPipeline {
    /// Makes training data for `spec`: encodes texts (building a word vocabulary from the
    /// training split when `encoding` is nil), adapts shapes, holds out a stratified
    /// validation split, and normalises with `normalization` (or statistics fitted on the
    /// training split only).
    public static func prepare(_ selected: Dataset, spec: ModelSpec, settings: TrainingSettings,
                               normalization: Normalization? = nil, encoding: TextEncoding? = nil) throws -> PreparedTask {
        try requireTwoClasses(selected)
        var train = selected, validation: Dataset? = nil
        if settings.validationSplit > 0 {
            guard settings.validationSplit < 1 else { throw TrainingError("--val-split must be in [0, 1), got \(settings.validationSplit)") }
            if selected.classCounts().allSatisfy({ $0 >= 2 }) {
                let split = try selected.stratifiedSplit(validationFraction: settings.validationSplit, seed: settings.seed &+ 17)
                train = split.train
                validation = split.validation
            }
        }
        var textEncoding = encoding
        if case .tokens(let length) = spec.input {
            if textEncoding == nil {
                let tokenizer = try SimpleTokenizer(training: train.texts ?? [], level: .word, maxVocabSize: 20_000, minFrequency: 1)
                textEncoding = .words(vocabulary: tokenizer.vocabulary)
            }
            train = try textEncoding!.encode(train, length: length)
            validation = try validation.map { try textEncoding!.encode($0, length: length) }
            return PreparedTask(train: train, validation: validation, normalization: nil, encoding: textEncoding,
                                classNames: selected.classNames)
        }
        let fitted = try spec.fittingInput(train)
        train = fitted.data
        validation = try validation.map { try spec.fitInput($0) }
        let norm = try normalization ?? Normalization.fit(train)
        train = try norm.apply(to: train)
        validation = try validation.map { try norm.apply(to: $0) }
        return PreparedTask(train: train, validation: validation, normalization: norm, encoding: nil, classNames: selected.classNames,
                            inputNote: fitted.note)
    }

    /// Training needs samples of at least two classes; the error says how the labels were read
    /// and which classes were kept, since one class usually means a wrong label column or selection.
    static func requireTwoClasses(_ data: Dataset) throws {
        let present = Array(Set(data.labels)).sorted()
        guard present.count < 2 else { return }
        let what = present.map { "'\(data.classNames[$0])'" }.joined(separator: ", ")
        let reading = data.reading.labels ?? "labels as loaded"
        let hint = reading.contains("column") ? "; another label column is chosen with label= in the data argument" : ""
        throw TrainingError("\(data.source): training needs at least two classes, the data has \(present.count)\(what.isEmpty ? "" : " (\(what))") — \(reading)\(hint)")
    }

    /// Makes evaluation data the same way a checkpoint's training data was made.
    public static func prepareForEvaluation(_ data: Dataset, model: TransferModel, info: CheckpointInfo) throws -> Dataset {
        if case .tokens(let length) = model.spec.input {
            guard let encoding = TextEncoding.from(kind: info.tokenizer, vocabulary: info.vocabulary) else {
                throw TrainingError("the checkpoint has no vocabulary for its token model")
            }
            return try encoding.encode(data, length: length)
        }
        let fitted = try model.spec.fitInput(data)
        return try info.normalization.map { try $0.apply(to: fitted) } ?? fitted
    }

    /// Class probabilities `[count, classes]` (eval mode, no gradients), in batches.
    public static func predictProbabilities(_ model: TransferModel, data: Dataset, batchSize: Int = 256) throws -> [Float] {
        model.eval()
        defer { model.train() }
        var result: [Float] = []
        result.reserveCapacity(data.count * model.classCount)
        try withNoGrad {
            var batches = try data.batches(size: batchSize, shuffle: false)
            while let batch = batches.next() {
                let logits = try model.forward(try Tensor(batch.features, shape: batch.shape))
                result += try logits.softmax(axis: 1).scalars
            }
        }
        return result
    }

    /// Metrics of a model on prepared data.
    public static func evaluate(_ model: TransferModel, data: Dataset) throws -> ClassificationMetrics {
        let p = try predictProbabilities(model, data: data)
        return ClassificationMetrics(probabilities: p, labels: data.labels, classes: model.classCount)
    }
}

/// Freezing requested on the command line: block selectors then path rules, in order.
public enum FreezeRequest {
    /// Parses one `--freeze` value into block indices: `0..3`, `0...3`, `0..<4`, `2`,
    /// `1,3`, `none`, `all-but-head`. Indices past the last block are an error listing the blocks.
    public static func blocks(_ text: String, model: TransferModel) throws -> [Int] {
        let t = text.trimmingCharacters(in: .whitespaces)
        func listing() -> String {
            (0..<model.blockCount).map { "\($0) \(model.spec.blocks[$0].name)" }.joined(separator: ", ")
        }
        if t == "none" { return [] }
        if t == "all-but-head" { return Array(0..<model.headIndex) }
        var result: [Int] = []
        for item in t.split(separator: ",").map({ String($0).trimmingCharacters(in: .whitespaces) }) {
            let normalized = item.replacingOccurrences(of: "...", with: "..")
            guard let selector = try? ParameterSelector.parse(normalized), case let .blocks(from, through) = selector else {
                throw TrainingError("--freeze: '\(item)' is not a block index or range (e.g. 0..3, 0..<4, 2, 1,3, none, all-but-head); blocks are: \(listing())")
            }
            let last = through ?? model.headIndex
            guard last < model.blockCount else {
                throw TrainingError("--freeze: '\(item)' reaches block \(last) but the model has blocks 0…\(model.blockCount - 1): \(listing())")
            }
            result += Array(from...last)
        }
        return Array(Set(result)).sorted()
    }

    /// Applies the freeze configuration of `settings` (block selectors, then path rules) and
    /// returns the frozen block indices.
    @discardableResult
    public static func apply(_ settings: TrainingSettings, to model: TransferModel) throws -> [Int] {
        let frozen = try Array(Set(settings.freeze.flatMap { try blocks($0, model: model) })).sorted()
        try apply(blocks: frozen, rules: settings.pathRules, to: model)
        return frozen
    }

    /// Applies `--freeze` block selectors and then path rules (`--freeze-path` / `--unfreeze-path`,
    /// in order). A glob that matches nothing is an error naming the nearest paths.
    public static func apply(blocks: [Int], rules: [TrainingSettings.PathRule], to model: TransferModel) throws {
        for b in blocks { for p in model.blocks[b].parameters() { p.freeze() } }
        for rule in rules {
            let option = rule.freeze ? "--freeze-path" : "--unfreeze-path"
            do {
                let selected = try model.selectParameters(.pattern(rule.pattern))
                for (_, p) in selected { if rule.freeze { p.freeze() } else { p.unfreeze() } }
            } catch {
                throw TrainingError("\(option): \(error)")
            }
        }
    }
}
