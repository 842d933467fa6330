import Foundation
import Testing
@testable import TLData
import TLTestSupport

/// Expects `body` to throw a `DataSourceError` whose one-line message mentions every fragment.
func expectSourceError(_ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Any) {
    do {
        let value = try body()
        Issue.record("expected an error mentioning \(fragments), got \(value)", sourceLocation: sourceLocation)
    } catch let error as DataSourceError {
        #expect(!error.message.contains("\n"), "message is not one line: \(error.message)", sourceLocation: sourceLocation)
        for f in fragments {
            #expect(error.message.contains(f), "error \"\(error.message)\" does not mention \"\(f)\"", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("unexpected error type: \(error)", sourceLocation: sourceLocation)
    }
}

@Suite struct DataSourceGrammarTests {
    /// One argument per format, every option of the format given (a value other than its default).
    static let fullySpecified = DataArgumentFixtures.fullySpecified

    @Test func everyFormatRoundTripsThroughItsDescription() throws {
        // The table's formats are all covered here (a new format must add its line above).
        let covered = Set(try Self.fullySpecified.map { try DataSource.parse($0).format })
        #expect(covered == Set(DataFormat.all.map(\.name)))
        for text in Self.fullySpecified {
            let source = try DataSource.parse(text)
            let again = try DataSource.parse(source.description)
            #expect(again == source, "\(text) → \(source.description)")
            #expect(source.description == text, "canonical form of \(text)")
        }
        // Every option of every format appears in some fully specified argument.
        for format in DataFormat.all {
            let given = try Self.fullySpecified.map { try DataSource.parse($0) }.filter { $0.format == format.name }.flatMap(\.options.keys)
            #expect(Set(given) == Set(format.options.map(\.key)), "\(format.name)")
        }
    }

    @Test func olderRecordedArgumentsKeepTheirMeaning() throws {
        let idxTest = try DataSource.parse("idx:DIR@test")
        #expect(idxTest.paths == ["DIR"] && idxTest.options == ["split": "test"])
        #expect(idxTest.description == "idx:DIR,split=test")
        #expect(try DataSource.parse("idx:DIR@train").options == ["split": "train"])
        #expect(try DataSource.parse("idx:DIR").options.isEmpty)
        #expect(try DataSource.parse("idx:IMAGES,LABELS").paths == ["IMAGES", "LABELS"])
        for (text, format, paths) in [("csv:FILE", "csv", ["FILE"]), ("npy:X,Y", "npy", ["X", "Y"]), ("npz:FILE", "npz", ["FILE"]),
                                      ("folder:DIR", "folder", ["DIR"]), ("text:FILE", "text", ["FILE"]), ("mnist5k", "mnist5k", []),
                                      ("digits", "digits", [])] {
            let s = try DataSource.parse(text)
            #expect(s.format == format && s.paths == paths && s.options.isEmpty, "\(text)")
            #expect(s.description == text)
        }
        // A single-path format keeps commas (and '=' in its first part) in the path.
        #expect(try DataSource.parse("csv:a,b.csv").paths == ["a,b.csv"])
        #expect(try DataSource.parse("csv:k=v.csv,label=first").paths == ["k=v.csv"])
        #expect(try DataSource.parse("text:a,b.tsv,header=no").description == "text:a,b.tsv,header=no")
    }

    @Test func malformedArgumentsSayWhatWasExpected() {
        expectSourceError(["unknown option 'lable'", "did you mean 'label'?", "label, header, shape, scale, sep, layout"]) {
            try DataSource.parse("csv:f.csv,lable=first")
        }
        expectSourceError(["unknown option 'size'", "npy: options are layout"]) { try DataSource.parse("npy:x,y,size=3x3") }
        expectSourceError(["header=maybe", "yes|no|auto"]) { try DataSource.parse("csv:f.csv,header=maybe") }
        expectSourceError(["label=0", "first|last|N|NAME"]) { try DataSource.parse("csv:f.csv,label=0") }
        expectSourceError(["scale=-1"]) { try DataSource.parse("csv:f.csv,scale=-1") }
        expectSourceError(["size=64", "HxW"]) { try DataSource.parse("folder:d,size=64") }
        expectSourceError(["shape=28x0"]) { try DataSource.parse("csv:f.csv,shape=28x0") }
        expectSourceError(["channels=2", "1|3"]) { try DataSource.parse("folder:d,channels=2") }
        expectSourceError(["unknown format 'csb'", "did you mean 'csv:'?"]) { try DataSource.parse("csb:f.csv") }
        expectSourceError(["'mnist5' is neither", "did you mean 'mnist5k'?"]) { try DataSource.parse("mnist5") }
        expectSourceError(["did you mean 'csv:train.csv'?"]) { try DataSource.parse("train.csv") }
        expectSourceError(["'npz:' needs a path"]) { try DataSource.parse("npz:") }
        expectSourceError(["npy: takes npy:X.npy,Y.npy", "1 path"]) { try DataSource.parse("npy:x.npy") }
        expectSourceError(["npy: takes npy:X.npy,Y.npy", "3 path"]) { try DataSource.parse("npy:a,b,c") }
        expectSourceError(["split applies to idx:DIR"]) { try DataSource.parse("idx:a,b,split=test") }
        expectSourceError(["'b.npy' follows an option"]) { try DataSource.parse("npy:a.npy,layout=flat,b.npy") }
        expectSourceError(["'layout' is given twice"]) { try DataSource.parse("npy:a,b,layout=flat,layout=nchw") }
        expectSourceError(["'@test' and split=train disagree"]) { try DataSource.parse("idx:DIR@test,split=train") }
        expectSourceError(["empty path"]) { try DataSource.parse("npy:a,") }
        expectSourceError(["--data: unknown format"], ) { try DataSource.parse("zzz:q", option: "--data") }
    }

    @Test func helpListsEveryFormatAndOptionFromTheTable() {
        let help = DataSource.helpLines().joined(separator: "\n")
        for format in DataFormat.all {
            #expect(help.contains(format.grammar + " — "), "\(format.name)")
            for o in format.options { #expect(help.contains("\(o.key)=\(o.value.grammar) — \(o.help)"), "\(format.name) \(o.key)") }
        }
        #expect(help.contains("idx:DIR | idx:IMAGES,LABELS") && help.contains("idx:DIR@test is short for split=test"))
    }
}

@Suite struct DataSourceLoadingTests {
    @Test func csvOptionsReachTheLoader() throws {
        let dir = try Support.tempDir("source")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Support.write("y;a;b\n2;255;51\n0;0;102\n", dir + "/semi.csv")
        let d = try DataSource.parse("csv:\(dir)/semi.csv,label=first,header=yes,scale=255,sep=semicolon,shape=2x1").load()
        #expect(d.labels == [2, 0] && d.sampleShape == [2, 1])
        #expect(zip(d.features, [1, 0.2, 0, 0.4]).allSatisfy { abs($0 - $1) < 1e-6 }, "\(d.features)")
        #expect(d.reading.labels == "labels from the first column 'y' (column 1 of 3)")
        // label=N is 1-based; label=NAME finds a header cell.
        try Support.write("a,b,c\n1,5,9\n2,6,8\n", dir + "/abc.csv")
        #expect(try DataSource.parse("csv:\(dir)/abc.csv,label=2").load().labels == [5, 6])
        #expect(try DataSource.parse("csv:\(dir)/abc.csv,label=a").load().features == [5, 9, 6, 8])
        // layout= is recorded on the data set for the input rule.
        #expect(try DataSource.parse("csv:\(dir)/abc.csv,layout=nchw").load().reading.layout == .nchw)
        #expect(try DataSource.parse("csv:\(dir)/abc.csv").load().reading.layout == nil)
    }

    @Test func csvFindsALabelColumnByNameWhereverItIs() throws {
        let dir = try Support.tempDir("kaggle")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Kaggle MNIST style: label first, pixel columns after.
        try Support.write("label,pixel0,pixel1,pixel2\n3,0,128,255\n7,255,0,0\n", dir + "/k.csv")
        let k = try CSVLoader.load(dir + "/k.csv")
        #expect(k.labels == [3, 7] && k.features == [0, 128, 255, 255, 0, 0])
        #expect(k.reading.labels == "labels from column 'label' (column 1 of 4)")
        // Case-insensitive, in the middle, other names.
        try Support.write("x,Class,z\n1,1,3\n4,0,6\n", dir + "/mid.csv")
        #expect(try CSVLoader.load(dir + "/mid.csv").labels == [1, 0])
        try Support.write("TARGET,x\n1,9\n0,8\n", dir + "/t.csv")
        #expect(try CSVLoader.load(dir + "/t.csv").features == [9, 8])
        // label=last on the Kaggle file says it read the last pixel column.
        let last = try DataSource.parse("csv:\(dir)/k.csv,label=last").load()
        #expect(last.reading.labels == "labels from the last column 'pixel2' (column 4 of 4)")
        // No header: the last column, and the reading says no header name matched.
        try Support.write("1,2,0\n3,4,1\n", dir + "/plain.csv")
        let plain = try CSVLoader.load(dir + "/plain.csv")
        #expect(plain.labels == [0, 1] && plain.reading.labels?.hasPrefix("labels from the last column (column 3 of 3") == true)
        // header=no with a named label column is an error; a missing name lists the columns.
        expectError(["no header"]) { try DataSource.parse("csv:\(dir)/k.csv,header=no,label=label").load() }
        expectError(["no header column named \"digit\"", "label, pixel0"]) { try DataSource.parse("csv:\(dir)/k.csv,label=digit").load() }
        expectError(["label column 10 (index 9) out of range"]) { try DataSource.parse("csv:\(dir)/k.csv,label=10").load() }
    }

    @Test func npzKeysFolderSizeAndIdxSplit() throws {
        let dir = try Support.tempDir("npzkeys")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = """
        import numpy as np
        np.savez("d.npz", images=np.arange(12, dtype="<f4").reshape(3, 2, 2), targets=np.array([1, 0, 1]))
        """
        if try Support.python(script, in: dir) {
            let d = try DataSource.parse("npz:\(dir)/d.npz,x=images,y=targets").load()
            #expect(d.sampleShape == [2, 2] && d.labels == [1, 0, 1] && d.features == (0..<12).map(Float.init))
            #expect(d.reading.labels == "labels from array 'targets' of \(dir)/d.npz")
            expectError(["no array \"x\"", "images, targets"]) { try DataSource.parse("npz:\(dir)/d.npz").load() }
        }
        for c in ["a", "b"] { try FileManager.default.createDirectory(atPath: "\(dir)/img/\(c)", withIntermediateDirectories: true) }
        try Support.write(Array("P5 2 1 255 ".utf8) + [0, 255], dir + "/img/a/1.pgm")
        try Support.write(Array("P5 2 1 255 ".utf8) + [255, 0], dir + "/img/b/1.pgm")
        let f = try DataSource.parse("folder:\(dir)/img,size=4x2,channels=3").load()
        #expect(f.sampleShape == [4, 2, 3] && f.labels == [0, 1] && f.reading.labels?.contains("subfolder names") == true)
        // idx split=test reads the t10k files.
        func idx(_ dims: [Int], _ values: [UInt8]) -> [UInt8] {
            [0, 0, 8, UInt8(dims.count)] + dims.flatMap { d in [0, 0, UInt8(d >> 8), UInt8(d & 0xFF)] } + values
        }
        try FileManager.default.createDirectory(atPath: dir + "/mn", withIntermediateDirectories: true)
        try Support.write(idx([2, 1, 1], [10, 20]), dir + "/mn/train-images-idx3-ubyte")
        try Support.write(idx([2], [0, 1]), dir + "/mn/train-labels-idx1-ubyte")
        try Support.write(idx([1, 1, 1], [30]), dir + "/mn/t10k-images-idx3-ubyte")
        try Support.write(idx([1], [1]), dir + "/mn/t10k-labels-idx1-ubyte")
        #expect(try DataSource.parse("idx:\(dir)/mn").load().count == 2)
        #expect(try DataSource.parse("idx:\(dir)/mn,split=test").load().count == 1)
        #expect(try DataSource.parse("idx:\(dir)/mn@test").load().labels == [1])
    }

    @Test func channelsFirstTransposeMovesEveryValue() throws {
        // [C=2, H=2, W=3] with value 100·c + 10·y + x → [H, W, C].
        var f: [Float] = []
        for c in 0..<2 { for y in 0..<2 { for x in 0..<3 { f.append(Float(100 * c + 10 * y + x)) } } }
        let d = try Dataset(features: f + f.map { $0 + 1000 }, sampleShape: [2, 2, 3], labels: [0, 1], classNames: ["a", "b"], source: "t")
        let t = try d.channelsFirstToLast()
        #expect(t.sampleShape == [2, 3, 2])
        var expected: [Float] = []
        for y in 0..<2 { for x in 0..<3 { for c in 0..<2 { expected.append(Float(100 * c + 10 * y + x)) } } }
        #expect(t.features == expected + expected.map { $0 + 1000 })
        expectError(["[C, H, W]"]) { try Dataset(features: [1, 2], sampleShape: [2], labels: [0], classNames: ["a"], source: "t").channelsFirstToLast() }
    }
}
