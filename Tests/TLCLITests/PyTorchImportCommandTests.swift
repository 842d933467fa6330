import Foundation
import Testing

/// `tl inspect FILE.pth` and `tl import FILE.pth` through the real binary: the committed
/// fixtures everywhere, EfficientNet-Lite0 when `Scripts/fetch-data.sh` has fetched it.
@Suite struct PyTorchImportCommandTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = root.appendingPathComponent("Tests/Fixtures/pytorch")
    static let lite0 = root.appendingPathComponent("data/efficientnet-lite0/efficientnet-lite0-57934424.pth")

    @Test(arguments: ["state-zip.pth", "state-legacy.pth"])
    func inspectListsTheTensors(_ name: String) throws {
        let path = Self.fixtures.appendingPathComponent(name).path
        let text = try runTL(["inspect", path])
        #expect(text.status == 0, "\(text.stderr)")
        for expected in ["conv.weight", "float32", "[2, 3, 2, 2]", "half", "float16", "bf16", "bfloat16", "bn.num_batches_tracked", "int64",
                         "nested.bias", name.contains("zip") ? "PyTorch zip" : "PyTorch legacy"] {
            #expect(text.stdout.contains(expected), "missing \(expected) in \(text.stdout)")
        }
        let json = try runTL(["inspect", path, "--json", "--sort", "name", "--limit", "2"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(object?["tensor_count"] as? Int == 8)
        let tensors = object?["tensors"] as? [[String: Any]] ?? []
        #expect(tensors.map { $0["name"] as? String } == ["bf16", "bn.num_batches_tracked"])
    }

    @Test(arguments: [("forbidden-global.pth", "posix.system"), ("stride-outside.pth", "outside its storage"),
                      ("lying-size-zip.pth", "declares 200"), ("truncated-legacy.pth", "truncated")])
    func hostileFilesFailInOneLine(_ name: String, _ mention: String) throws {
        let path = Self.fixtures.appendingPathComponent(name).path
        for arguments in [["inspect", path], ["import", path, "--out", "/tmp/tl-should-not-exist.safetensors"]] {
            let result = try runTL(arguments)
            #expect(result.status == 1, "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1 && result.stderr.contains(path) && result.stderr.contains(mention),
                    "\(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/tl-should-not-exist.safetensors"))
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: lite0.path), "EfficientNet-Lite0 not fetched (Scripts/fetch-data.sh)"))
    func importsEfficientNetWithPreprocessingAndClassNames() throws {
        let folder = try makeTempFolder("lite0")
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("lite0.safetensors").path
        let result = try runTL(["import", Self.lite0.path, "--out", out, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(object?["parameters"] as? Int == 4_652_008 && object?["classes"] as? Int == 1000)
        #expect((object?["blocks"] as? [String])?.count == 11)
        let inspect = try runTL(["inspect", out, "--json", "--limit", "0"])
        let info = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any]
        let metadata = info?["metadata"] as? [String: String] ?? [:]
        let tlInfo = try JSONSerialization.jsonObject(with: Data((metadata["tl.info"] ?? "{}").utf8)) as? [String: Any]
        let pre = tlInfo?["preprocessing"] as? [String: Any]
        #expect(pre?["size"] as? [Int] == [224, 224] && pre?["channelOrder"] as? String == "RGB")
        #expect(pre?["mean"] as? [Double] == [127, 127, 127] && pre?["std"] as? [Double] == [128, 128, 128])
        let names = tlInfo?["classNames"] as? [String] ?? []
        #expect(names.count == 1000 && names.first == "tench" && names.contains("espresso"))
        // A class-name file of the wrong length is refused before anything is written.
        let bad = folder.appendingPathComponent("names.json")
        try Data(#"["a", "b"]"#.utf8).write(to: bad)
        let refused = try runTL(["import", Self.lite0.path, "--class-names", bad.path, "--out", folder.appendingPathComponent("x.safetensors").path])
        #expect(refused.status == 1 && refused.stderr.contains("1000 outputs but 2 class names"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("x.safetensors").path))
    }
}
