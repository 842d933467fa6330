import Foundation
import Testing
@testable import TLData

@Suite struct TokenizerTests {
    @Test func simpleWordAndCharVocabularies() throws {
        let texts = ["The cat sat.", "the CAT ran!", "a dog"]
        let w = try SimpleTokenizer(training: texts, level: .word)
        #expect(w.vocabulary.prefix(4) == ["[PAD]", "[UNK]", "cat", "the"])
        #expect(w.tokens("The cat, sat.") == ["the", "cat", ",", "sat", "."])
        #expect(w.encode("the zebra") == [w.id(of: "the")!, 1])
        #expect(w.encode("the cat", maxLength: 4) == [3, 2, 0, 0])
        #expect(w.encode("the the the the the", maxLength: 2) == [3, 3])
        #expect(w.encode("") == [])
        let small = try SimpleTokenizer(training: texts, level: .word, maxVocabSize: 4)
        #expect(small.vocabularySize == 4)
        let frequent = try SimpleTokenizer(training: texts, level: .word, minFrequency: 2)
        #expect(frequent.vocabulary == ["[PAD]", "[UNK]", "cat", "the"])
        let c = try SimpleTokenizer(training: ["abba", "cab"], level: .character)
        #expect(c.vocabulary == ["[PAD]", "[UNK]", "a", "b", "c"])
        #expect(c.encode("abz") == [2, 3, 1])
        expectError(["at least 2"]) { try SimpleTokenizer(training: [], maxVocabSize: 1) }
        let ds = try Dataset(features: [], sampleShape: [0], labels: [0, 1], classNames: ["a", "b"], texts: ["the cat", "zebra"], source: "t")
        let enc = try ds.encodingTexts(with: w, maxLength: 3)
        #expect(enc.sampleShape == [3] && enc.features == [3, 2, 0, 1, 0, 0] && enc.texts == ds.texts)
    }

    static let vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "un", "##aff", "##able",
                        ",", "!", "'", "s", "the", "cafe", "##s", "中", "国", "a", "##b", "naive", "-", "$"]

    func tokenizer() throws -> WordPieceTokenizer {
        let dir = try Support.tempDir("vocab")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Support.write(Self.vocab.joined(separator: "\n") + "\n", dir + "/vocab.txt")
        return try WordPieceTokenizer(vocabFile: dir + "/vocab.txt")
    }

    @Test func basicTokenizerFollowsBERT() {
        #expect(BasicTokenizer.tokenize("Héllo, WORLD!") == ["hello", ",", "world", "!"])
        #expect(BasicTokenizer.tokenize("  \tHeLLo\n\u{00A0}wOrld  ") == ["hello", "world"])
        #expect(BasicTokenizer.tokenize("naïve café's") == ["naive", "cafe", "'", "s"])
        #expect(BasicTokenizer.tokenize("中国abc") == ["中", "国", "abc"])
        #expect(BasicTokenizer.tokenize("a\u{0000}b\u{200B}c\u{FFFD}d") == ["abcd"])  // NUL, ZWSP (Cf), U+FFFD dropped
        #expect(BasicTokenizer.tokenize("x$y^z`w~v") == ["x", "$", "y", "^", "z", "`", "w", "~", "v"])  // ASCII symbols count
        #expect(BasicTokenizer.tokenize("“quoted”—dash¿") == ["“", "quoted", "”", "—", "dash", "¿"])
        #expect(BasicTokenizer.tokenize("x\u{2028}y") == ["x", "y"])
        #expect(BasicTokenizer.tokenize("") == [])
        // Python's lower() applies Final_Sigma; BERT inherits it.
        #expect(BasicTokenizer.tokenize("ΟΔΟΣ ΣΑΣ") == ["οδος", "σας"])
        #expect(BasicTokenizer.tokenize("İstanbul") == ["istanbul"])
        #expect(BasicTokenizer.tokenize("ÅNGSTRÖM", lowercase: false) == ["ÅNGSTRÖM"])
    }

    @Test func wordPieceGreedyLongestMatch() throws {
        let t = try tokenizer()
        #expect(t.tokenize("unaffable") == ["un", "##aff", "##able"])
        #expect(t.tokenize("Héllo, World!") == ["hello", ",", "world", "!"])
        #expect(t.tokenize("cafés") == ["cafe", "##s"])
        #expect(t.tokenize("unknownword hello") == ["[UNK]", "hello"])
        #expect(t.tokenize("abbb") == ["a", "##b", "##b", "##b"])
        #expect(t.tokenize(String(repeating: "a", count: 100)) == ["[UNK]"])  // "a" + 99 × "##a" is not in vocab
        #expect(t.tokenize("a" + String(repeating: "b", count: 99)).count == 100)
        #expect(t.tokenize("a" + String(repeating: "b", count: 100)) == ["[UNK]"])  // 101 chars > 100
        #expect(t.tokenize("") == [])
    }

    /// BERT's rule: a word over 100 characters is [UNK] without matching, so a hostile
    /// 1M-character word costs linear time (the greedy longest match is quadratic per word).
    @Test func hugeWordsAreUnknownInLinearTime() throws {
        let t = try WordPieceTokenizer(vocabulary: Self.vocab)
        func seconds(_ n: Int) -> (Double, [String]) {
            let word = String(repeating: "ab", count: n / 2)
            var best = Double.infinity, tokens: [String] = []
            for _ in 0..<3 {
                let start = Date()
                tokens = t.tokenize("hello " + word + " world")
                best = min(best, Date().timeIntervalSince(start))
            }
            return (best, tokens)
        }
        let (small, smallTokens) = seconds(250_000), (large, largeTokens) = seconds(1_000_000)
        #expect(smallTokens == ["hello", "[UNK]", "world"] && largeTokens == smallTokens)
        // 4× the length: about 4× the time when linear, 16× when quadratic.
        #expect(large < small * 10 + 0.05, "250k chars: \(small) s, 1M chars: \(large) s")
    }

    @Test func encodeTruncatePadBatch() throws {
        let t = try tokenizer()
        let e = t.encode("hello world!", maxLength: 8)
        #expect(e.ids == [2, 5, 6, 11, 3, 0, 0, 0])
        #expect(e.attentionMask == [1, 1, 1, 1, 1, 0, 0, 0])
        #expect(e.tokenTypeIDs == [Int](repeating: 0, count: 8))
        let cut = t.encode("hello world hello world", maxLength: 4)
        #expect(cut.ids == [2, 5, 6, 3] && cut.attentionMask == [1, 1, 1, 1])
        #expect(t.encode("", maxLength: 4).ids == [2, 3, 0, 0])
        #expect(t.encode("zzz", maxLength: 3).ids == [2, 1, 3])
        let batch = t.encodeBatch(["hello", "hello world !"], maxLength: 16, padToLongest: true)
        #expect(batch.map(\.ids) == [[2, 5, 3, 0, 0], [2, 5, 6, 11, 3]])
        #expect(batch[0].attentionMask == [1, 1, 1, 0, 0])
        #expect(t.encodeBatch(["hello"], maxLength: 6)[0].ids.count == 6)
        expectError(["no [CLS]"]) { try WordPieceTokenizer(vocabulary: ["[PAD]", "[UNK]"]) }
    }
}
