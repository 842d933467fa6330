import Foundation
import Testing
@testable import TLData

/// `text:` files: header, delimiter and label/text columns detected or given, odd files refused.
@Suite struct TextDetectionTests {
    let dir: String
    init() throws { dir = try Support.tempDir("textdetect") }

    func file(_ name: String, _ text: String) throws -> String {
        try Support.write(text, dir + "/" + name)
        return dir + "/" + name
    }

    static let long = ["a truly wonderful film with heart", "dull and far too long for its plot", "the actors shine in every scene",
                       "i would not watch this again", "a charming story well told", "flat jokes and a weak ending"]

    @Test func headerlessLabelTabTextKeepsItsFirstRow() throws {
        let rows = (0..<6).map { "\($0 % 2 == 0 ? "pos" : "neg")\t\(Self.long[$0])" }
        let d = try TextClassificationLoader.load(try file("plain.tsv", rows.joined(separator: "\n") + "\n"))
        #expect(d.count == 6 && d.texts?.first == Self.long[0] && d.classNames == ["neg", "pos"])
        #expect(d.reading.labels == "labels from column 1 of 2, texts from column 2 of 2, no header row")
    }

    @Test func textThenLabelColumnsAreFoundByContentOrName() throws {
        // No header, comma-separated with quotes, text first: the label is the column with few values.
        let rows = (0..<30).map { "\"\(Self.long[$0 % 6]), take \($0)\",\($0 % 3)" }
        let d = try TextClassificationLoader.load(try file("tl.csv", rows.joined(separator: "\n") + "\n"))
        #expect(d.count == 30 && d.classNames == ["0", "1", "2"] && d.texts?[1] == "\(Self.long[1]), take 1")
        // A header names the columns in any order (and any case).
        let named = try TextClassificationLoader.load(try file("named.csv", "Review,Sentiment\n" + rows.joined(separator: "\n") + "\n"))
        #expect(named.count == 30 && named.classNames == ["0", "1", "2"])
        #expect(named.reading.labels?.hasPrefix("labels from column 'Sentiment' (column 2 of 2), texts from column 'Review'") == true)
    }

    @Test func explicitOptionsWinOverDetection() throws {
        let rows = ["id\tbody\ttag"] + (0..<6).map { "\($0)\t\(Self.long[$0])\t\($0 % 2 == 0 ? "x" : "y")" }
        let p = try file("three.tsv", rows.joined(separator: "\n") + "\n")
        let d = try DataSource.parse("text:\(p),label=3,text=2,header=yes").load()
        #expect(d.classNames == ["x", "y"] && d.texts?[0] == Self.long[0])
        let byName = try DataSource.parse("text:\(p),label=tag,text=body").load()
        #expect(byName.labels == d.labels)
        // header=no keeps the first row as data (then "tag" is one more class).
        #expect(try DataSource.parse("text:\(p),label=3,text=2,header=no").load().classNames == ["tag", "x", "y"])
        expectError(["no header column named \"topic\""]) { try DataSource.parse("text:\(p),label=topic,text=body").load() }
        expectError(["named but the file has no header"]) { try DataSource.parse("text:\(p),label=tag,header=no").load() }
        expectError(["both column 2"]) { try DataSource.parse("text:\(p),label=2,text=2").load() }
    }

    @Test func filesWithoutLabelsAreRefused() throws {
        let one = try file("one.txt", Self.long.joined(separator: "\n") + "\n")
        expectError([one, "one column", "training needs a label"]) { try TextClassificationLoader.load(one) }
        // One text per line, some with commas: not a label,text table.
        let lines = try file("lines.txt", "first line\nsecond, with a comma\nthird\nfourth, a, b\n")
        expectError([lines, "plain lines (1–3 comma-separated parts per row)", "label=N,text=N"]) { try TextClassificationLoader.load(lines) }
        // A header of one known name is one column too.
        let header = try file("h.csv", "text\n" + Self.long.joined(separator: "\n") + "\n")
        expectError([header, "one column"]) { try TextClassificationLoader.load(header) }
    }

    @Test func asManyClassesAsRowsIsSuspicious() throws {
        // Every row splits evenly at one comma, but both halves are free text.
        let rows = (0..<6).map { "\(Self.long[$0]), part \($0),\(Self.long[5 - $0])" }
        let p = try file("free.csv", rows.joined(separator: "\n") + "\n")
        expectError([p, "6 classes in 6 rows", "label=N,text=N", "header=yes|no"]) { try TextClassificationLoader.load(p) }
        // More than half as many classes as rows, from 20 rows on.
        let many = (0..<20).map { "c\($0 % 11)\t\(Self.long[$0 % 6]) #\($0)" }
        let m = try file("many.tsv", many.joined(separator: "\n") + "\n")
        expectError([m, "11 classes in 20 rows"]) { try TextClassificationLoader.load(m) }
        // An explicit label column is taken at its word.
        #expect(try DataSource.parse("text:\(m),label=1,text=2").load().classCount == 11)
    }
}
