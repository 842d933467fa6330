/// The encoding of one text for a BERT-style encoder.
public struct Encoding: Sendable, Equatable {
    /// `[CLS] tokens… [SEP]` ids, padded with `[PAD]` when a fixed length is requested.
    public var ids: [Int]
    /// 1 for real tokens, 0 for padding.
    public var attentionMask: [Int]
    /// All zeros (single-segment input).
    public var tokenTypeIDs: [Int]
}

/// WordPiece tokenizer compatible with BERT uncased models (`vocab.txt`, one token per line,
/// id = line number). Text goes through `BasicTokenizer`, then each word is split greedily
/// into the longest vocabulary pieces, continuation pieces prefixed `##`; a word longer than
/// `maxCharactersPerWord` scalars, or one that cannot be covered, becomes `[UNK]`.
public struct WordPieceTokenizer: Sendable {
    public let vocabulary: [String]
    private let ids: [String: Int]
    public let lowercase: Bool
    public let maxCharactersPerWord: Int
    public let clsID: Int, sepID: Int, padID: Int, unknownID: Int

    /// Loads `vocab.txt`.
    public init(vocabFile path: String, lowercase: Bool = true) throws {
        let bytes = try readFileBytes(path)
        var lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
        if lines.last == "" { lines.removeLast() }
        do { try self.init(vocabulary: lines, lowercase: lowercase) } catch let e as DataError { throw e.inFile(path) }
    }

    /// Uses `vocabulary` (token at index i has id i); it must contain [CLS], [SEP], [PAD], [UNK].
    public init(vocabulary: [String], lowercase: Bool = true, maxCharactersPerWord: Int = 100) throws {
        var ids: [String: Int] = [:]
        for (i, t) in vocabulary.enumerated() where ids[t] == nil { ids[t] = i }
        func need(_ t: String) throws -> Int {
            guard let i = ids[t] else { throw DataError(reason: "vocabulary has no \(t) token") }
            return i
        }
        self.vocabulary = vocabulary
        self.ids = ids
        self.lowercase = lowercase
        self.maxCharactersPerWord = maxCharactersPerWord
        clsID = try need("[CLS]"); sepID = try need("[SEP]"); padID = try need("[PAD]"); unknownID = try need("[UNK]")
    }

    public var vocabularySize: Int { vocabulary.count }

    /// WordPiece tokens of `text` (no [CLS]/[SEP]). A word longer than `maxCharactersPerWord`
    /// (100, BERT's own rule) becomes [UNK] without matching: the greedy longest-match is
    /// quadratic in a word's length, so the cap keeps tokenisation linear in the text's length.
    public func tokenize(_ text: String) -> [String] {
        var out: [String] = []
        for word in BasicTokenizer.tokenize(text, lowercase: lowercase) {
            let chars = Array(word.unicodeScalars)
            if chars.count > maxCharactersPerWord { out.append("[UNK]"); continue }
            var pieces: [String] = []
            var start = 0
            var bad = false
            while start < chars.count {
                var end = chars.count
                var found: String? = nil
                while start < end {
                    var piece = String(String.UnicodeScalarView(chars[start..<end]))
                    if start > 0 { piece = "##" + piece }
                    if ids[piece] != nil { found = piece; break }
                    end -= 1
                }
                guard let f = found else { bad = true; break }
                pieces.append(f)
                start = end
            }
            if bad { out.append("[UNK]") } else { out.append(contentsOf: pieces) }
        }
        return out
    }

    /// Ids of `[CLS] tokens [SEP]`, truncated to `maxLength` (the [SEP] is kept), and padded to
    /// exactly `maxLength` when `pad` is true.
    public func encode(_ text: String, maxLength: Int = 128, pad: Bool = true) -> Encoding {
        let body = tokenize(text).prefix(max(0, maxLength - 2)).map { ids[$0] ?? unknownID }
        var idsOut = [clsID] + body + [sepID]
        if maxLength < 2 { idsOut = Array(idsOut.prefix(max(0, maxLength))) }
        var mask = [Int](repeating: 1, count: idsOut.count)
        if pad && idsOut.count < maxLength {
            let extra = maxLength - idsOut.count
            idsOut += [Int](repeating: padID, count: extra)
            mask += [Int](repeating: 0, count: extra)
        }
        return Encoding(ids: idsOut, attentionMask: mask, tokenTypeIDs: [Int](repeating: 0, count: idsOut.count))
    }

    /// Encodes several texts to a common length: `maxLength`, or with `padToLongest` the length
    /// of the longest encoding (capped at `maxLength`).
    public func encodeBatch(_ texts: [String], maxLength: Int = 128, padToLongest: Bool = false) -> [Encoding] {
        let raw = texts.map { encode($0, maxLength: maxLength, pad: false) }
        let target = padToLongest ? (raw.map(\.ids.count).max() ?? 0) : maxLength
        return raw.map { e in
            var e = e
            let extra = target - e.ids.count
            if extra > 0 {
                e.ids += [Int](repeating: padID, count: extra)
                e.attentionMask += [Int](repeating: 0, count: extra)
                e.tokenTypeIDs += [Int](repeating: 0, count: extra)
            }
            return e
        }
    }

    /// The id of `token`, or nil.
    public func id(of token: String) -> Int? { ids[token] }
}
