import Foundation
import TLTensor
import TLNN
import TLData
import TLModels

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
        var (train, validation) = try split(selected, settings: settings)
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

    /// The stratified validation split `prepare` holds out (nil when the settings ask for none
    /// or a class has fewer than two samples). `tl eval` recomputes it to find held-out samples.
    public static func split(_ selected: Dataset, settings: TrainingSettings) throws -> (train: Dataset, validation: Dataset?) {
        guard settings.validationSplit > 0 else { return (selected, nil) }
        guard settings.validationSplit < 1 else { throw TrainingError("the validation split must be in [0, 1), got \(settings.validationSplit)") }
        guard selected.classCounts().allSatisfy({ $0 >= 2 }) else { return (selected, nil) }
        let split = try selected.stratifiedSplit(validationFraction: settings.validationSplit, seed: settings.seed &+ 17)
        return (split.train, split.validation)
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
    public static func evaluate(_ model: TransferModel, data: Dataset, batchSize: Int = 256) throws -> ClassificationMetrics {
        let p = try predictProbabilities(model, data: data, batchSize: batchSize)
        return ClassificationMetrics(probabilities: p, labels: data.labels, classes: model.classCount)
    }
}
