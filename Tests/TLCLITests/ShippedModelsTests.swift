import Testing
import Foundation
@testable import TLCLI
import TLTransfer
import TLSafeTensors
import TLTensor
import TLModels
import TLNN

@Suite struct ShippedModelsTests {
    static let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Models")

    @Test func demoSpecIsModelsLenet() throws {
        let embedded = try ModelSpec.parse(Data(DemoCommand.lenetSpec.utf8), file: "demo")
        let shipped = try ModelSpec.load(from: Self.models.appendingPathComponent("lenet.json"))
        #expect(embedded == shipped)
    }

    @Test func shippedCheckpointLoadsWithProvenance() throws {
        var rng = SeededGenerator(seed: 0)
        let checkpoint = try Checkpoint.read(from: Self.models.appendingPathComponent("lenet-digits0-4.safetensors"), rng: &rng)
        #expect(checkpoint.info.classNames == ["0", "1", "2", "3", "4"])
        #expect(checkpoint.info.kind == "pretrain" && checkpoint.info.data == "mnist5k")
        #expect(checkpoint.info.command?.hasPrefix("tl pretrain --model Models/lenet.json --data mnist5k --classes 0-4") == true)
        #expect(checkpoint.model.spec.name == "lenet" && checkpoint.model.parameterCount == 61_281)
    }
}
