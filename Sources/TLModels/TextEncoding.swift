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
