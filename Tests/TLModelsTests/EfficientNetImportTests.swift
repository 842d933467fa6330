import Foundation
import Testing
import TLNN
import TLTensor
@testable import TLModels

let efficientNetFile = packageRoot.appendingPathComponent("data/efficientnet-lite0/efficientnet-lite0-57934424.pth")
let efficientNetPresent = FileManager.default.fileExists(atPath: efficientNetFile.path)

/// EfficientNet-Lite0: the shipped spec, the name mapping, and (when `Scripts/fetch-data.sh`
/// has fetched the model) the logits against PyTorch's (`Scripts/efficientnet-reference.py`).
@Suite struct EfficientNetImportTests {
    @Test func shippedSpecEqualsTheImportersSpec() throws {
        let shipped = try ModelSpec.load(from: packageRoot.appendingPathComponent("Models/efficientnet-lite0.json"))
        #expect(shipped == EfficientNetImporter.spec())
        #expect(shipped.blocks.map(\.name) == ["stem", "stage1", "stage2", "stage3", "stage4", "stage5", "stage6", "stage7",
                                               "head_conv", "pool", "classifier"])
        #expect(try shipped.blockOutputShapes(classes: 1000, vocab: 0) == [
            [112, 112, 32], [112, 112, 16], [56, 56, 24], [28, 28, 40], [14, 14, 80], [14, 14, 112], [7, 7, 192], [7, 7, 320],
            [7, 7, 1280], [1280], [1000]])
    }

    /// Every tl tensor of the model maps to a distinct PyTorch name, 296 in all (the wheel's count).
    @Test func everyTensorHasOnePyTorchName() throws {
        var rng = SeededGenerator(seed: 0)
        let model = try TransferModel(spec: EfficientNetImporter.spec(), classCount: 1000, rng: &rng)
        let names = model.namedState().map { EfficientNetImporter.pytorchName(forPath: $0.0) }
        #expect(names.allSatisfy { $0 != nil })
        #expect(Set(names.compactMap { $0 }).count == 296)
        #expect(names.contains("_blocks.15._depthwise_conv.weight") && names.contains("_blocks.0._bn2.running_var"))
        #expect(!names.contains("_blocks.0._expand_conv.weight"))          // stage 1 has no expansion
        #expect(model.parameterCount == 4_652_008)
    }

    /// The reference batch of `Scripts/efficientnet-reference.py` (integer formula, no RNG), NHWC.
    static func referenceBatch(_ n: Int) throws -> Tensor {
        var values = [Float](repeating: 0, count: n * 224 * 224 * 3)
        for i in values.indices {
            let noise = ((UInt64(i) &* 2_654_435_761) % (1 << 32)) >> 16
            let c = i % 3, x = (i / 3) % 224, y = (i / (3 * 224)) % 224, image = i / (3 * 224 * 224)
            let b = 8 * (image + 1)
            let v = Int(noise % 64) + 64 * ((x / b + y / b + c * image) % 4)
            values[i] = (Float(v) - 127) / 128
        }
        return try Tensor(values, shape: [n, 224, 224, 3])
    }

    struct Reference: Decodable {
        let batch: Int
        let top5: [[Int]]
        let logits: [[Double]]
    }

    @Test(.enabled(if: efficientNetPresent, "EfficientNet-Lite0 not fetched (run Scripts/fetch-data.sh efficientnet-lite0)"))
    func logitsMatchPyTorch() throws {
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: packageRoot.appendingPathComponent(
            "Tests/Fixtures/efficientnet-lite0-reference.json")))
        let file = try PyTorchCheckpoint.read(from: efficientNetFile)
        #expect(file.format == "legacy" && file.entries.count == 296)
        let names = (0..<1000).map { "class \($0)" }
        let checkpoint = try EfficientNetImporter.checkpoint(from: file, path: efficientNetFile.path, classNames: names)
        #expect(checkpoint.info.preprocessing == .efficientNetLite)
        #expect(checkpoint.info.normalization?.mean.first == Float(127) / 255)
        let model = checkpoint.model
        model.eval()
        let logits = try withNoGrad { try model(try Self.referenceBatch(reference.batch)) }
        #expect(logits.shape == [reference.batch, 1000])
        var worst: Double = 0
        for n in 0..<reference.batch {
            let row = Array(logits.scalars[(n * 1000)..<((n + 1) * 1000)])
            for (a, b) in zip(row, reference.logits[n]) { worst = Swift.max(worst, Swift.abs(Double(a) - b)) }
            let top5 = row.indices.sorted { row[$0] > row[$1] }.prefix(5)
            #expect(Array(top5) == reference.top5[n], "image \(n)")
        }
        print("EfficientNet-Lite0 vs PyTorch: max |Δlogit| = \(worst)")
        #expect(worst <= 1e-3)
    }
}
