import Foundation
import Testing
import TLModels
import TLTensor

/// The photo workflow through the real binary: a folder of JPEG/PPM photos of mixed sizes,
/// training with an augmentation plan, predictions on raw files and sentences, image
/// embeddings as NPY and CSV.
@Suite(.serialized) struct PhotoWorkflowTests {
    static let jpegFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("TLDataTests/Fixtures/jpeg").path
    static let spec = """
    { "name": "tiny-rgb", "input": [16, 16, 3], "blocks": [
      { "name": "conv", "layers": [ { "type": "conv2d", "out": 4, "kernel": 3, "padding": 1 }, { "type": "relu" }, { "type": "maxpool", "size": 2 } ] },
      { "name": "features", "layers": [ { "type": "flatten" }, { "type": "linear", "out": 8 }, { "type": "relu" } ] },
      { "name": "head", "layers": [ { "type": "linear", "out": "classes" } ] } ] }
    """

    /// photos/{cats,dogs}/ with JPEGs of every kind, a PPM and a junk file; the spec; a trained checkpoint.
    static func trainedPhotoModel(_ folder: URL, augment: String) throws -> (photos: String, model: String, stderr: String) {
        let photos = folder.appendingPathComponent("photos").path
        let fm = FileManager.default
        for c in ["cats", "dogs"] { try fm.createDirectory(atPath: photos + "/" + c, withIntermediateDirectories: true) }
        for (i, f) in ["baseline-420.jpg", "progressive-444.jpg", "grey.jpg", "restart-420.jpg"].enumerated() {
            try fm.copyItem(atPath: jpegFixtures + "/" + f, toPath: photos + "/cats/\(i)-" + f)
        }
        for (i, f) in ["orientation-6.jpg", "baseline-422.jpg", "baseline-444.ppm", "grey-progressive.jpg"].enumerated() {
            try fm.copyItem(atPath: jpegFixtures + "/" + f, toPath: photos + "/dogs/\(i)-" + f)
        }
        try "not an image".write(toFile: photos + "/dogs/notes.txt", atomically: true, encoding: .utf8)
        let spec = folder.appendingPathComponent("tiny.json").path
        try Self.spec.write(toFile: spec, atomically: true, encoding: .utf8)
        let model = folder.appendingPathComponent("photos.safetensors").path
        let r = try runTL(["pretrain", "--model", spec, "--data", "folder:" + photos, "--epochs", "2", "--val-split", "0",
                           "--augment", augment, "--out", model])
        #expect(r.status == 0, "\(r.stderr)")
        return (photos, model, r.stderr)
    }

    @Test func trainPredictAndEmbedOnAFolderOfPhotos() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder("photos")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (photos, model, log) = try Self.trainedPhotoModel(folder, augment: "flip,crop=0.8,rotate=10,color=0.2,mixup=0.2")
        #expect(log.contains("8 images, 45×61 to 61×45, resized to 16×16 RGB, 2 converted to RGB, 1 other file skipped (.txt)"), "\(log)")
        var rng = SeededGenerator(seed: 0)
        let checkpoint = try Checkpoint.read(from: URL(fileURLWithPath: model), rng: &rng)
        #expect(checkpoint.info.settings?.augment.description == "flip=0.5,crop=0.8,rotate=10,color=0.2,mixup=0.2")

        // Raw files and folders: one row per image, named, top-k sorted, probabilities summing to 1.
        let single = photos + "/cats/0-baseline-420.jpg"
        let p = try runTL(["predict", "--model", model, single, photos + "/dogs", "--top", "2"])
        #expect(p.status == 0, "\(p.stderr)")
        let rows = p.stdout.split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        #expect(rows.first == ["input", "class1", "p1", "class2", "p2"])
        #expect(rows.dropFirst().map { $0[0] } == [single] + ["0-orientation-6.jpg", "1-baseline-422.jpg", "2-baseline-444.ppm", "3-grey-progressive.jpg"].map { photos + "/dogs/" + $0 })
        for r in rows.dropFirst() {
            let (p1, p2) = (Double(r[2]) ?? -1, Double(r[4]) ?? -1)
            #expect(Set([r[1], r[3]]) == ["cats", "dogs"] && p1 >= p2 && abs(p1 + p2 - 1) < 1e-4, "\(r)")
        }
        let json = try runTL(["predict", "--model", model, single, "--json", "--top", "1"])
        let obj = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let first = (obj?["predictions"] as? [[String: Any]])?.first
        #expect(first?["input"] as? String == single && (first?["top"] as? [[String: Any]])?.count == 1)

        // Embeddings: NPY of [images, 8] (the block before the head), CSV rows naming files.
        let npy = folder.appendingPathComponent("e.npy").path
        let e = try runTL(["embed", "--model", model, photos + "/cats", "--out", npy])
        #expect(e.status == 0, "\(e.stderr)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: npy))
        let header = String(decoding: bytes.dropFirst(1).prefix(127), as: UTF8.self)
        #expect(bytes.first == 0x93 && header.hasPrefix("NUMPY") && header.contains("'shape': (4, 8)"), "\(header)")
        #expect(bytes.count == 128 + 4 * 8 * 4)
        let conv = try runTL(["embed", "--model", model, single, "--block", "conv"])
        let lines = conv.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines[1].hasPrefix(single + ",") && lines[0].split(separator: ",").count == 1 + 4, "\(conv.stdout) \(conv.stderr)")
        let badBlock = try runTL(["embed", "--model", model, single, "--block", "hed"])
        #expect(badBlock.status == 2 && badBlock.stderr.contains("did you mean 'head'"), "\(badBlock.stderr)")

        // Wrong kinds of input: one line each, no crash.
        let text = try runTL(["predict", "--model", model, "--text", "a cat"])
        #expect(text.status == 2 && text.stderr.contains("need a text model"), "\(text.stderr)")
        let hostile = try runTL(["predict", "--model", model, Self.jpegFixtures + "/hostile-arithmetic.jpg"])
        #expect(hostile.status == 1 && hostile.stderr.contains("arithmetic-coded JPEG is not supported"), "\(hostile.stderr)")

        // The dry-run plan shows the plan.
        let dry = try runTL(["finetune", "--from", model, "--data", "folder:" + photos, "--freeze", "0", "--augment", "flip,cutmix", "--dry-run"])
        #expect(dry.stdout.contains("augmentation: horizontal flip p=0.5, cutmix α=1.0"), "\(dry.stdout)\(dry.stderr)")
    }

    @Test func augmentOnTextIsAnErrorAndPredictNamesSentences() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder("textaug")
        defer { try? FileManager.default.removeItem(at: folder) }
        let csv = folder.appendingPathComponent("t.csv").path
        try "label,text\npos,a fine day out\nneg,rain again today\npos,what a match\nneg,awful and dull\n".write(toFile: csv, atomically: true, encoding: .utf8)
        let out = folder.appendingPathComponent("t.safetensors").path
        let spec = ShippedModelsTests.models.appendingPathComponent("transformer.json").path
        let refused = try runTL(["pretrain", "--model", spec, "--data", "text:" + csv, "--augment", "flip", "--epochs", "1", "--out", out])
        #expect(refused.status == 2 && refused.stderr.contains("augmentations apply to images, but text:\(csv) is text"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
        let trained = try runTL(["pretrain", "--model", spec, "--data", "text:" + csv, "--epochs", "1", "--val-split", "0", "--out", out])
        #expect(trained.status == 0, "\(trained.stderr)")
        let lines = folder.appendingPathComponent("lines.txt").path
        try "what a day, really\n\nrain\n".write(toFile: lines, atomically: true, encoding: .utf8)
        let p = try runTL(["predict", "--model", out, "--text", "a fine match", "--file", lines])
        #expect(p.status == 0, "\(p.stderr)")
        let rows = p.stdout.split(separator: "\n").map(String.init)
        #expect(rows.count == 4 && rows[0] == "input,class1,p1,class2,p2")
        #expect(rows[1].hasPrefix("a fine match,") && rows[2].hasPrefix("\"what a day, really\",") && rows[3].hasPrefix("rain,"), "\(rows)")
        let images = try runTL(["predict", "--model", out, Self.jpegFixtures + "/grey.jpg"])
        #expect(images.status == 2 && images.stderr.contains("is a text model"), "\(images.stderr)")
    }
}
