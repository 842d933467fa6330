import Foundation
import Testing
@testable import TLSafeTensors

@Suite struct AtomicFileTests {
    func entries(_ folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    }

    @Test func writesAndReplaces() throws {
        let folder = try makeTempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("out.csv")
        try writeAtomically("a,b\n1,2\n", to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == "a,b\n1,2\n")
        try writeAtomically(Data([1, 2, 3]), to: url)
        #expect(try Data(contentsOf: url) == Data([1, 2, 3]))
        #expect(try entries(folder) == ["out.csv"], "no temporary files left behind")
    }

    struct Boom: Error {}

    @Test func failureKeepsThePreviousFileAndCleansUp() throws {
        let folder = try makeTempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("model.safetensors")
        try writeAtomically("old", to: url)
        #expect(throws: AtomicWriteError.self) {
            try AtomicFileWriter(destination: url).write { handle in
                try handle.write(contentsOf: Data("half of the new con".utf8))
                // A crash here would leave the destination as it was: it has not been touched.
                #expect(try String(contentsOf: url, encoding: .utf8) == "old")
                #expect(try entries(folder).count == 2, "the partial data lives in a temporary sibling")
                throw Boom()
            }
        }
        #expect(try String(contentsOf: url, encoding: .utf8) == "old")
        #expect(try entries(folder) == ["model.safetensors"])
    }

    @Test func safetensorsWriteFailureKeepsPreviousCheckpoint() throws {
        let folder = try makeTempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("ckpt.safetensors")
        var good = SafeTensorsFile()
        try good.setFloats("w", [1, 2], shape: [2])
        try good.write(to: url)
        var bad = SafeTensorsFile()
        try bad.setFloats("__metadata__", [1], shape: [1])
        #expect { try bad.write(to: url) } throws: { "\($0)".hasPrefix(url.path) }
        #expect(try SafeTensorsFile.read(from: url) == good)
        #expect(try entries(folder) == ["ckpt.safetensors"])
    }

    @Test func missingFolderGivesOneLineError() throws {
        let url = URL(fileURLWithPath: "/nonexistent-\(getpid())/out.json")
        #expect { try writeAtomically("{}", to: url) } throws: { error in
            let text = "\(error)"
            return text.hasPrefix(url.path) && !text.contains("\n")
        }
    }
}
