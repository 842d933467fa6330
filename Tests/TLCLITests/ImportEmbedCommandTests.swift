import Foundation
import Testing
import TLTransfer
import TLSafeTensors
import TLModels
@testable import TLCLI

@Suite struct ImportEmbedCommandTests {
    @Test func importThenEmbedEndToEnd() throws {
        let folder = try makeTempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let hf = try TinyBertFolder().write(to: folder.appendingPathComponent("tiny-bert"))
        let checkpoint = folder.appendingPathComponent("tiny.safetensors").path

        let imported = runTool(makeTool(), ["import", hf.path, "--out", checkpoint, "--tokens", "12"])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stderr.contains("ignored 3 tensors") && imported.stderr.contains("(no head)"))

        let inspect = runTool(makeTool(), ["inspect", checkpoint])
        #expect(inspect.stdout.contains("embeddings") && inspect.stdout.contains("layer1") && inspect.stdout.contains("pool"))

        let texts = ["The cat sat on the mat.", "It's fun!", "a big dog ran"]
        let json = runTool(makeTool(), ["embed", "--model", checkpoint, "--json"] + texts.flatMap { ["--text", $0] })
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["dimension"] as? Int == 8)
        let embeddings = try #require(object["embeddings"] as? [[Double]])
        #expect(embeddings.count == 3)
        for e in embeddings { #expect(abs(e.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5) }

        // --file: one text per non-empty line; --similarity as CSV.
        let lines = folder.appendingPathComponent("lines.txt")
        try (texts.joined(separator: "\n") + "\n\n").write(to: lines, atomically: true, encoding: .utf8)
        let csv = runTool(makeTool(), ["embed", "--model", checkpoint, "--file", lines.path, "--similarity"])
        #expect(csv.status == 0, "\(csv.stderr)")
        let rows = csv.stdout.split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        #expect(rows.count == 4)
        #expect(rows[1].last == rows[3][1] || rows[1][3] == rows[3][1])   // symmetric
        #expect(rows[2][2] == "1.000000")
        let dot = zip(embeddings[0], embeddings[2]).reduce(0) { $0 + $1.0 * $1.1 }
        #expect(abs(Double(rows[1][3])! - dot) < 1e-5)

        // Embeddings CSV to a file.
        let out = folder.appendingPathComponent("e.csv")
        #expect(runTool(makeTool(), ["embed", "--model", checkpoint, "--text", "the dog", "--out", out.path]).status == 0)
        let written = try String(contentsOf: out, encoding: .utf8)
        #expect(written.hasPrefix("text,e0,e1,") && written.contains("\nthe dog,"))
        // A .json --out name writes JSON (the same as --json).
        let outJSON = folder.appendingPathComponent("e.json")
        #expect(runTool(makeTool(), ["embed", "--model", checkpoint, "--text", "the dog", "--out", outJSON.path]).status == 0)
        let writtenJSON = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: outJSON)) as? [String: Any])
        #expect(writtenJSON["texts"] as? [String] == ["the dog"])

        // Errors: no input (usage), bad checkpoint (one line, exit 1), bad import folder.
        #expect(runTool(makeTool(), ["embed", "--model", checkpoint]).status == 2)
        let bad = runTool(makeTool(), ["embed", "--model", lines.path, "--text", "x"])
        #expect(bad.status == 1 && bad.stderr.split(separator: "\n").count == 1)
        let elsewhere = try makeTempFolder("import-out")
        defer { try? FileManager.default.removeItem(at: elsewhere) }
        let missing = runTool(makeTool(), ["import", folder.path, "--out", elsewhere.appendingPathComponent("x.safetensors").path])
        #expect(missing.status == 1 && missing.stderr.contains("config.json"))
    }
}
