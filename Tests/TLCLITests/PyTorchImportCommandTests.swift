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

    /// `finetune --freeze 0..7` on a few images: the frozen body (stem and the 7 stages) runs once
    /// on the recorded preprocessing, the head trains on the cache, the frozen tensors stay
    /// bit-identical and the fine-tuned checkpoint keeps the preprocessing.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: lite0.path), "EfficientNet-Lite0 not fetched (Scripts/fetch-data.sh)"))
    func finetuneWithAFrozenBodyTrainsOnCachedFeatures() throws {
        let folder = try makeTempFolder("lite0-ft")
        defer { try? FileManager.default.removeItem(at: folder) }
        // Two classes of 4 small PPM images each (reddish and bluish noise), resized to 224×224 on load.
        var state: UInt32 = 7
        for (name, colour) in [("red", [200, 40, 40]), ("blue", [40, 40, 200])] {
            let dir = folder.appendingPathComponent("photos/\(name)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            for i in 0..<4 {
                var pixels = [UInt8]()
                for _ in 0..<(32 * 32) {
                    for c in colour {
                        state = state &* 1_664_525 &+ 1_013_904_223
                        pixels.append(UInt8(max(0, min(255, c + Int(state >> 26) - 32))))
                    }
                }
                try (Data("P6\n32 32\n255\n".utf8) + Data(pixels)).write(to: dir.appendingPathComponent("\(i).ppm"))
            }
        }
        let source = folder.appendingPathComponent("lite0.safetensors").path
        #expect(try runTL(["import", Self.lite0.path, "--out", source, "--quiet"]).status == 0)
        let out = folder.appendingPathComponent("mine.safetensors").path
        let result = try runTL(["finetune", "--from", source, "--data", "folder:\(folder.path)/photos,size=224x224", "--freeze", "0..7",
                                "--epochs", "3", "--val-split", "0", "--lr", "0.01", "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("blocks 0–7 are frozen and deterministic: computed their outputs once"), "\(result.stderr)")
        #expect(result.stderr.contains("bit-identical"), "\(result.stderr)")
        let inspect = try runTL(["inspect", out, "--json", "--limit", "0"])
        let info = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any]
        let metadata = info?["metadata"] as? [String: String] ?? [:]
        let tlInfo = try JSONSerialization.jsonObject(with: Data((metadata["tl.info"] ?? "{}").utf8)) as? [String: Any]
        #expect((tlInfo?["preprocessing"] as? [String: Any])?["size"] as? [Int] == [224, 224])
        #expect(tlInfo?["classNames"] as? [String] == ["blue", "red"])
    }
}
