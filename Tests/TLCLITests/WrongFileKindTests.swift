import Foundation
import Testing

/// Issue 11 defect 9: a file of the wrong kind given as a checkpoint is named for what it is,
/// through the real binary, in one line with exit code 1.
@Suite
struct WrongFileKindTests {
    static let lenetSpec = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Models/lenet.json").path

    func expectOneLineFailure(_ result: (status: Int32, stdout: String, stderr: String), mentions: [String]) {
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.hasSuffix("\n") && result.stderr.dropLast().split(separator: "\n").count == 1, "\(result.stderr)")
        for text in mentions { #expect(result.stderr.contains(text), "missing \(text): \(result.stderr)") }
        #expect(!result.stderr.contains("header length"), "\(result.stderr)")
    }

    @Test func evalOfASpecSaysItIsASpec() throws {
        let result = try runTL(["eval", "--model", Self.lenetSpec])
        expectOneLineFailure(result, mentions: [Self.lenetSpec, "is a JSON model spec", "expected a tl checkpoint", "tl pretrain --model"])
    }

    @Test func inspectOfAHuggingFaceFolderSuggestsImport() throws {
        let folder = try makeTempFolder("wrong-kind")
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(#"{"model_type": "bert"}"#.utf8).write(to: folder.appendingPathComponent("config.json"))
        let result = try runTL(["inspect", folder.path])
        expectOneLineFailure(result, mentions: [folder.path, "is a folder holding config.json", "tl import"])
    }

    @Test func evalOfAPyTorchFileSaysSo() throws {
        let folder = try makeTempFolder("wrong-kind")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("model.pt")
        try Data([0x50, 0x4B, 0x03, 0x04, 0x00, 0x00] + Array("archive/data.pkl".utf8) + [UInt8](repeating: 0, count: 64)).write(to: url)
        let result = try runTL(["eval", "--model", url.path])
        expectOneLineFailure(result, mentions: [url.path, "PyTorch checkpoint", "safetensors.torch.save_file"])
    }
}
