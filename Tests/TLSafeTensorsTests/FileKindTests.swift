import Foundation
import Testing
@testable import TLSafeTensors

/// Files that are not safetensors are named for what they are, in one line with the path.
@Suite struct FileKindTests {
    static let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Models")

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var bytes: [UInt8]
        var kind: FileKind
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "spec.json", bytes: Array(#"{"name": "x", "input": [4], "blocks": []}"#.utf8), kind: .modelSpecJSON),
        Case(name: "config.json", bytes: Array("{\n  \"model_type\": \"bert\", \"hidden_size\": 8\n}\n".utf8), kind: .modelConfigJSON),
        Case(name: "other.json", bytes: Array(#"  {"a": [1, 2]}"#.utf8), kind: .json),
        Case(name: "model.pt", bytes: [0x50, 0x4B, 0x03, 0x04, 0x00, 0x00] + Array("archive/data.pklFB".utf8), kind: .pytorchZip),
        Case(name: "pytorch_model.bin", bytes: [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8], kind: .pickle),
        Case(name: "arrays.npz", bytes: [0x50, 0x4B, 0x03, 0x04, 0x14, 0x00] + Array("x.npy".utf8) + [0, 0, 0, 0], kind: .npz),
        Case(name: "a.zip", bytes: [0x50, 0x4B, 0x03, 0x04, 0x14, 0x00] + Array("readme.txt".utf8) + [0, 0], kind: .zip),
        Case(name: "a.gz", bytes: [0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0, 3], kind: .gzip),
        Case(name: "x.npy", bytes: [0x93] + Array("NUMPY".utf8) + [1, 0, 0x76, 0], kind: .npy),
        Case(name: "a.png", bytes: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13], kind: .png),
        Case(name: "a.jpg", bytes: [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 0x4A, 0x46, 0x49, 0x46], kind: .jpeg),
        Case(name: "notes.txt", bytes: Array("label,text\n1,ünïcødé is fine\n".utf8), kind: .text),
        Case(name: "empty.safetensors", bytes: [], kind: .empty),
    ]

    @Test(arguments: cases)
    func recognisedAndReportedInOneLine(_ c: Case) throws {
        #expect(FileKind.sniff(prefix: c.bytes) == c.kind)
        let folder = try makeTempFolder("file-kind")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent(c.name)
        try Data(c.bytes).write(to: url)
        for read in [{ _ = try SafeTensorsFile.read(from: url) }, { _ = try SafeTensorsHeader.read(from: url) }] {
            #expect { try read() } throws: { error in
                guard let e = error as? SafeTensorsError else { return false }
                return e.kind == .wrongFileKind(c.kind) && e.description == "\(url.path): is \(c.kind.phrase), not a safetensors file"
            }
        }
    }

    /// The issue's example: the shipped spec given as a checkpoint.
    @Test func shippedSpecIsNamedAsASpec() throws {
        let url = Self.models.appendingPathComponent("lenet.json")
        #expect(FileKind.sniff(url) == .modelSpecJSON)
        #expect { try SafeTensorsFile.read(from: url) } throws: { error in
            let text = "\(error)"
            return text.contains("JSON model spec") && !text.contains("header length") && !text.contains("\n")
        }
    }

    @Test func foldersAreNamedWithAndWithoutConfigJSON() throws {
        let folder = try makeTempFolder("file-kind-dir")
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect { try SafeTensorsHeader.read(from: folder) } throws: { ($0 as? SafeTensorsError)?.kind == .wrongFileKind(.directory(hasConfigJSON: false)) }
        try Data("{}".utf8).write(to: folder.appendingPathComponent("config.json"))
        #expect { try SafeTensorsFile.read(from: folder) } throws: { ($0 as? SafeTensorsError)?.kind == .wrongFileKind(.directory(hasConfigJSON: true)) }
    }

    /// Damaged safetensors files keep their precise diagnosis (the sniffer does not claim them).
    @Test func damagedSafetensorsAreNotReclassified() throws {
        var file = SafeTensorsFile()
        try file.setFloats("w", [1, 2, 3], shape: [3])
        let full = try file.encoded()
        #expect(FileKind.sniff(prefix: [UInt8](full)) == .unknown)
        let folder = try makeTempFolder("file-kind-cut")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("cut.safetensors")
        try full.prefix(20).write(to: url)
        #expect { try SafeTensorsFile.read(from: url) } throws: { ($0 as? SafeTensorsError)?.kind == .truncated }
    }
}
