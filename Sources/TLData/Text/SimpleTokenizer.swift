/// A word- or character-level vocabulary built from training texts.
///
/// Id 0 is `[PAD]` and id 1 is `[UNK]`; the remaining ids go to the most frequent tokens
/// (ties broken alphabetically, so the vocabulary is deterministic), up to `maxVocabSize`
/// entries in total, keeping only tokens seen at least `minFrequency` times.
public struct SimpleTokenizer: Sendable, Equatable {
    public enum Level: String, Sendable, Codable { case word, character }

    public static let padToken = "[PAD]"
    public static let unknownToken = "[UNK]"
    public let level: Level
    public let lowercase: Bool
    /// Tokens by id.
    public private(set) var vocabulary: [String]
    private var ids: [String: Int]

    public var padID: Int { 0 }
    public var unknownID: Int { 1 }
    public var vocabularySize: Int { vocabulary.count }

    /// Builds the vocabulary from `texts` (the training split only).
    public init(training texts: [String], level: Level = .word, maxVocabSize: Int = 20_000,
                minFrequency: Int = 1, lowercase: Bool = true) throws {
        guard maxVocabSize >= 2 else { throw DataError(reason: "max vocabulary size must be at least 2 ([PAD], [UNK])") }
        var freq: [String: Int] = [:]
        for t in texts {
            for tok in Self.split(t, level: level, lowercase: lowercase) { freq[tok, default: 0] += 1 }
        }
        let ranked = freq.filter { $0.value >= max(1, minFrequency) }
            .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(maxVocabSize - 2)
        self.init(level: level, lowercase: lowercase, vocabulary: [Self.padToken, Self.unknownToken] + ranked.map(\.key))
    }

    /// Restores a tokenizer from a saved vocabulary (ids 0 and 1 must be `[PAD]` and `[UNK]`).
    public init(level: Level, lowercase: Bool, vocabulary: [String]) {
        self.level = level
        self.lowercase = lowercase
        self.vocabulary = vocabulary
        var ids: [String: Int] = [:]
        for (i, t) in vocabulary.enumerated() where ids[t] == nil { ids[t] = i }
        self.ids = ids
    }

    /// Splits text into tokens: words are runs of letters, digits and apostrophes; every other
    /// non-space character is its own token. Character level keeps every non-control character.
    public static func split(_ text: String, level: Level, lowercase: Bool) -> [String] {
        let t = lowercase ? text.lowercased() : text
        switch level {
        case .character:
            return t.filter { !$0.isNewline && $0 != "\t" }.map(String.init)
        case .word:
            var out: [String] = []
            var cur = ""
            for ch in t {
                if ch.isLetter || ch.isNumber || ch == "'" { cur.append(ch); continue }
                if !cur.isEmpty { out.append(cur); cur = "" }
                if !ch.isWhitespace { out.append(String(ch)) }
            }
            if !cur.isEmpty { out.append(cur) }
            return out
        }
    }

    public func tokens(_ text: String) -> [String] { Self.split(text, level: level, lowercase: lowercase) }

    /// Token ids of `text`; unknown tokens map to `[UNK]`. With `maxLength`, the ids are
    /// truncated and then padded with `[PAD]` to exactly that length.
    public func encode(_ text: String, maxLength: Int? = nil) -> [Int] {
        var out = tokens(text).map { ids[$0] ?? unknownID }
        if let m = maxLength {
            if out.count > m { out.removeLast(out.count - m) }
            out += [Int](repeating: padID, count: m - out.count)
        }
        return out
    }

    /// The id of `token`, or nil.
    public func id(of token: String) -> Int? { ids[token] }
}

extension Dataset {
    /// A text data set turned into fixed-length token-id features (`sampleShape == [maxLength]`,
    /// ids stored as Float, `[PAD]` = 0); the raw texts are kept.
    public func encodingTexts(with tokenizer: SimpleTokenizer, maxLength: Int) throws -> Dataset {
        guard let texts else { throw DataError(file: source, reason: "not a text data set (no texts)") }
        guard maxLength > 0 else { throw DataError(reason: "max length must be positive, got \(maxLength)") }
        var f = [Float]()
        f.reserveCapacity(texts.count * maxLength)
        for t in texts { f += tokenizer.encode(t, maxLength: maxLength).map(Float.init) }
        var d = self
        d.features = f
        d.sampleShape = [maxLength]
        return d
    }
}
