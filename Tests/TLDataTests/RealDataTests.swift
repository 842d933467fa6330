import Foundation
import Testing
@testable import TLData

@Suite struct BuiltinDatasetTests {
    @Test func mnist5kHasDocumentedCounts() throws {
        let start = ContinuousClock.now
        let d = try BuiltinDatasets.load(name: "mnist5k")
        print("note: mnist5k (1.1 MB gzip, 9.1 MB CSV) loaded in \(ContinuousClock.now - start)")
        #expect(d.count == 5000)
        #expect(d.sampleShape == [28, 28, 1])
        #expect(d.classNames == (0...9).map(String.init))
        #expect(d.classCounts() == [Int](repeating: 500, count: 10))
        #expect(d.labels == d.labels.sorted(), "rows are sorted by label")
        #expect(d.features.min()! >= 0 && d.features.max()! <= 1)
        #expect(d.features.max()! == 1, "some pixel is 255")
        // An average digit covers roughly 19 % of the 28x28 canvas.
        let ink = Double(d.features.filter { $0 > 0.5 }.count) / Double(d.features.count)
        #expect(ink > 0.05 && ink < 0.4)
    }

    @Test func digitsHasDocumentedCounts() throws {
        let d = try BuiltinDatasets.load(name: "digits")
        #expect(d.count == 1797)
        #expect(d.sampleShape == [8, 8, 1])
        #expect(d.classCount == 10)
        #expect(d.classCounts().allSatisfy { (174...183).contains($0) })
        #expect(d.features.max()! == 1 && d.features.min()! == 0)
        #expect(d.labels.prefix(10) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    }

    @Test func unknownNameAndOverride() throws {
        expectError(["unknown built-in data set", "mnist5k"]) { try BuiltinDatasets.load(name: "cifar") }
        let dir = try BuiltinDatasets.resourceDirectory()
        #expect(FileManager.default.fileExists(atPath: dir + "/digits.csv.gz"))
        print("note: built-in data found in \(dir)")
        // SwiftPM's resource bundle next to the test executable is found without the source-tree fallback.
        let beside = BuiltinDatasets.candidateDirectories(environment: [:], includeSourceTree: false)
        #expect(beside.contains { FileManager.default.fileExists(atPath: $0 + "/mnist_5k.csv.gz") }, "searched \(beside)")
        // TL_DATA_DIR takes precedence.
        let tmp = try Support.tempDir("tldata")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try FileManager.default.copyItem(atPath: dir + "/digits.csv.gz", toPath: tmp + "/digits.csv.gz")
        try FileManager.default.copyItem(atPath: dir + "/mnist_5k.csv.gz", toPath: tmp + "/mnist_5k.csv.gz")
        #expect(try BuiltinDatasets.resourceDirectory(environment: ["TL_DATA_DIR": tmp]) == tmp)
        #expect(try BuiltinDatasets.load(name: "digits", environment: ["TL_DATA_DIR": tmp]).count == 1797)
    }
}

/// Real data fetched by `Scripts/fetch-data.sh` into `data/`; skipped (with a note) when absent.
@Suite struct FetchedDataTests {
    static let data = Support.repoRoot + "/data"

    static func present(_ rel: String) -> Bool {
        if FileManager.default.fileExists(atPath: data + "/" + rel) { return true }
        print("note: \(data)/\(rel) not found — run Scripts/fetch-data.sh; skipping")
        return false
    }

    @Test func fashionMNIST() throws {
        guard Self.present("fashion-mnist/train-images-idx3-ubyte.gz") else { return }
        let start = ContinuousClock.now
        let (train, test) = try IDXLoader.loadDirectory(Self.data + "/fashion-mnist", classNames: IDXLoader.fashionMNISTClassNames)
        print("note: Fashion-MNIST train+test loaded in \(ContinuousClock.now - start)")
        #expect(train.count == 60_000)
        #expect(test.count == 10_000)
        #expect(train.sampleShape == [28, 28, 1])
        #expect(train.classCount == 10)
        #expect(train.classCounts() == [Int](repeating: 6000, count: 10))
        #expect(test.classCounts() == [Int](repeating: 1000, count: 10))
        #expect(train.features.max()! == 1)
    }

    /// Measures gunzip throughput on the largest real file (printed; reported by the author).
    @Test func deflateThroughput() throws {
        guard Self.present("fashion-mnist/train-images-idx3-ubyte.gz") else { return }
        let gz = try readFileBytes(Self.data + "/fashion-mnist/train-images-idx3-ubyte.gz")
        var best = Double.infinity
        var outCount = 0
        for _ in 0..<3 {
            let start = ContinuousClock.now
            let out = try Gzip.decompress(gz)
            let t = ContinuousClock.now - start
            best = min(best, Double(t.components.seconds) + Double(t.components.attoseconds) * 1e-18)
            outCount = out.count
        }
        #expect(outCount == 16 + 60_000 * 784)
        let mbIn = Double(gz.count) / 1e6, mbOut = Double(outCount) / 1e6
        print(String(format: "deflate throughput: %.1f MB compressed -> %.1f MB in %.3f s: %.0f MB/s output, %.0f MB/s input",
                     mbIn, mbOut, best, mbOut / best, mbIn / best))
    }

    @Test func rottenTomatoes() throws {
        guard Self.present("rotten_tomatoes.csv") else { return }
        let d = try TextClassificationLoader.load(Self.data + "/rotten_tomatoes.csv", labelColumn: .name("label"), textColumn: .name("text"))
        #expect(d.count == 4866)
        #expect(d.classNames == ["fresh", "rotten"])
        #expect(d.classCounts() == [2455, 2411])
        #expect(d.texts!.allSatisfy { !$0.isEmpty })
    }

    @Test func miniLMVocabulary() throws {
        guard Self.present("all-MiniLM-L6-v2/vocab.txt") else { return }
        let tok = try WordPieceTokenizer(vocabFile: Self.data + "/all-MiniLM-L6-v2/vocab.txt")
        #expect(tok.vocabularySize == 30522)
        #expect(tok.clsID == 101 && tok.sepID == 102 && tok.padID == 0 && tok.unknownID == 100)
        #expect(tok.tokenize("Héllo, WORLD!") == ["hello", ",", "world", "!"])
        #expect(tok.tokenize("unaffable") == ["una", "##ffa", "##ble"])
        // Expected tokens produced by BERT's reference Python BasicTokenizer + WordpieceTokenizer
        // (transformers' tokenization_bert_legacy.py) with this vocab.txt; the same comparison
        // over all 4,866 Rotten Tomatoes snippets matched exactly when this was written.
        let cases: [(String, [String])] = [
            ("Héllo, WORLD!", ["hello", ",", "world", "!"]),
            ("naïve café's", ["naive", "cafe", "'", "s"]),
            ("中国abc", ["中", "国", "abc"]),
            ("a\u{0}b\u{200B}c\u{FFFD}d", ["abc", "##d"]),
            ("x$y^z`w~v", ["x", "$", "y", "^", "z", "`", "w", "~", "v"]),
            ("“quoted”—dash¿", ["“", "quoted", "”", "—", "dash", "¿"]),
            ("x\u{2028}y", ["x", "y"]),
            ("", []),
            ("ÅNGSTRÖM", ["ang", "##strom"]),
            ("İstanbul ΟΔΟΣ straße", ["istanbul", "ο", "##δ", "##ος", "st", "##raße"]),
            ("e\u{301}\u{327} ﬁ ½ ① Ⅻ", ["e", "ﬁ", "½", "[UNK]", "[UNK]"]),
            ("tab\u{9}here\u{D}\u{A}new\u{B}line\u{C}\u{1C}", ["tab", "here", "new", "##line"]),
            ("emoji 😀👍🏽 done", ["em", "##oj", "##i", "[UNK]", "done"]),
            (String(repeating: "a", count: 120), ["[UNK]"]),
            ("ｆｕｌｌｗｉｄｔｈ！", ["[UNK]", "！"]),
            ("กำ ไทย", ["[UNK]", "[UNK]"]),
            ("日本語のテキスト", ["日", "本", "語", "の", "##テ", "##キ", "##ス", "##ト"]),
            ("한국어 텍스트", ["ᄒ", "##ᅡ", "##ᆫ", "##ᄀ", "##ᅮ", "##ᆨ", "##ᄋ", "##ᅥ", "ᄐ", "##ᅦ", "##ᆨ", "##ᄉ", "##ᅳ", "##ᄐ", "##ᅳ"]),
            ("x\u{AD}y", ["x", "##y"]),
            ("ab\u{300}\u{301}cd", ["abc", "##d"]),

        ]
        for (text, expected) in cases {
            let got = tok.tokenize(text)
            #expect(got.map { Array($0.unicodeScalars) } == expected.map { Array($0.unicodeScalars) }, "\(text.debugDescription): \(got)")
        }
        let e = tok.encode("Hello world", maxLength: 8)
        #expect(e.ids == [101, 7592, 2088, 102, 0, 0, 0, 0])
        #expect(e.attentionMask == [1, 1, 1, 1, 0, 0, 0, 0])
    }
}
