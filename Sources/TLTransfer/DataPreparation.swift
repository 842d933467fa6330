import Foundation
import TLData

/// How texts become token ids for a token model.
public enum TextEncoding: Sendable {
    /// Lower-cased words; vocabulary built from the training texts (`[PAD]` = 0, `[UNK]` = 1).
    case words(vocabulary: [String])
    /// BERT uncased WordPiece with `[CLS] … [SEP]` (a pretrained encoder's vocabulary).
    case wordPiece(vocabulary: [String])

    /// The name stored in checkpoints.
    public var kind: String { if case .words = self { return "words" }; return "wordpiece" }
    public var vocabulary: [String] {
        switch self { case .words(let v), .wordPiece(let v): return v }
    }

    /// Restores the encoding recorded in a checkpoint.
    public static func from(kind: String?, vocabulary: [String]?) -> TextEncoding? {
        guard let vocabulary else { return nil }
        return kind == "wordpiece" ? .wordPiece(vocabulary: vocabulary) : .words(vocabulary: vocabulary)
    }

    /// Encodes every text of `data` to `length` ids (truncated, padded with 0).
    ///
    ///     texts → features [count, length] of ids (as Float)
    public func encode(_ data: Dataset, length: Int) throws -> Dataset {
        guard let texts = data.texts else {
            throw DataError(file: data.source, reason: "a token model needs a text data set (text:FILE)")
        }
        var features = [Float](repeating: 0, count: texts.count * length)
        switch self {
        case .words(let vocabulary):
            let tokenizer = SimpleTokenizer(level: .word, lowercase: true, vocabulary: vocabulary)
            for (i, text) in texts.enumerated() {
                for (j, id) in tokenizer.encode(text, maxLength: length).prefix(length).enumerated() { features[i * length + j] = Float(id) }
            }
        case .wordPiece(let vocabulary):
            let tokenizer = try WordPieceTokenizer(vocabulary: vocabulary)
            for (i, text) in texts.enumerated() {
                for (j, id) in tokenizer.encode(text, maxLength: length, pad: false).ids.enumerated() { features[i * length + j] = Float(id) }
            }
        }
        return try Dataset(features: features, sampleShape: [length], labels: data.labels, classNames: data.classNames,
                           texts: texts, source: data.source)
    }
}

/// Turns a data argument plus `--classes` / `--per-class` into the samples a command uses.
public struct TaskData {
    /// The selected samples (the few-shot draw when `perClass` is set), raw (not normalised).
    public var selected: Dataset
    /// Samples of the selected classes that the few-shot draw left out (empty without `perClass`).
    public var rest: Dataset
    public var selection: DataSelection
    public var source: DataSource

    /// Loads `source`, keeps `classes` (relabelled 0…), draws `perClass` samples per class with `seed`.
    public static func load(_ source: DataSource, classes: String?, perClass: Int?, seed: UInt64) throws -> TaskData {
        let all = try source.load()
        let classIndices = try classes.map { try ClassSelection.resolve($0, classNames: all.classNames) }
        return try select(all, source: source, selection: DataSelection(classes: classIndices, perClass: perClass, seed: seed))
    }

    /// Applies a recorded selection to a loaded data set.
    public static func select(_ all: Dataset, source: DataSource, selection: DataSelection) throws -> TaskData {
        let data = try selection.classes.map { try all.selectingClasses($0) } ?? all
        guard let perClass = selection.perClass else {
            return TaskData(selected: data, rest: data.subset([]), selection: selection, source: source)
        }
        let chosen = try data.fewShotIndices(perClass: perClass, seed: selection.seed)
        let chosenSet = Set(chosen)
        let rest = (0..<data.count).filter { !chosenSet.contains($0) }
        var selected = data.subset(chosen)
        selected.source = data.source + " [\(perClass) per class, seed \(selection.seed)]"
        return TaskData(selected: selected, rest: data.subset(rest), selection: selection, source: source)
    }
}
