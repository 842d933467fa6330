import Foundation
import Testing
@testable import TLTransfer
import TLTensor
import TLNN
import TLData
import TLModels
import TLSafeTensors

@Suite("Text transfer with an imported encoder")
struct TextTransferTests {
    /// A tiny two-class text file over the tiny BERT vocabulary.
    func writeTexts(to url: URL) throws {
        var lines = ["label,text"]
        let good = ["it is fun!", "a big fun cat", "the cat is fun", "fun fun", "it's fun.", "the big cat sat"]
        let bad = ["the dog ran", "a dog sat on the mat", "dog ran on a mat", "the dogs ran", "a big dog", "dogs sat"]
        for i in 0..<6 { lines.append("good,\"\(good[i])\""); lines.append("bad,\"\(bad[i])\"") }
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
    }

    static let tinyScratchSpec = """
        { "name": "tiny-words", "input": { "tokens": 8 },
          "blocks": [
            { "name": "embeddings", "layers": [ { "type": "embedding", "vocab": "vocab", "dim": 8, "max_length": 8 } ] },
            { "name": "pool", "layers": [ { "type": "pool", "mode": "mean" } ] },
            { "name": "head", "layers": [ { "type": "linear", "out": "classes" } ] } ] }
        """

    /// Block selectors address an imported encoder's blocks: 0..2 are the embeddings and both layers.
    @Test func freezeSelectorsIndexImportedBlocks() throws {
        let folder = try makeTempFolder("text-transfer")
        defer { try? FileManager.default.removeItem(at: folder) }
        let hf = try TinyBertFolder().write(to: folder.appendingPathComponent("hf"))
        let model = try HuggingFaceImporter.load(folder: hf, tokens: 10).checkpoint.model
        #expect(try Freezing.blocks([BlockSelector.parse("0..2")], model: model) == [0, 1, 2])
    }

    @Test func scratchModelOptionAndCachedFrozenEncoder() throws {
        let folder = try makeTempFolder("text-transfer")
        defer { try? FileManager.default.removeItem(at: folder) }
        let hf = try TinyBertFolder().write(to: folder.appendingPathComponent("hf"))
        let checkpointURL = folder.appendingPathComponent("tiny.safetensors")
        try HuggingFaceImporter.load(folder: hf, tokens: 10).checkpoint.write(to: checkpointURL)
        let csv = folder.appendingPathComponent("texts.csv")
        try writeTexts(to: csv)
        let source = try DataSource.parse("text:\(csv.path)")
        let all = try source.load()
        let file = try SafeTensorsFile.read(from: checkpointURL)
        var settings = TrainingSettings()
        settings.epochs = 2
        settings.batchSize = 4
        settings.validationSplit = 0
        settings.freeze = [.blocks(0, through: 2)]
        let selection = DataSelection(classes: nil, perClass: 4, seed: 1)

        // Fine-tuning with the encoder frozen: embeddings and layers have dropout 0.1 but, frozen,
        // run in inference mode, so the whole prefix through the pool is cached.
        let finetune = try Experiments.run(.finetune, seed: 1, source: file, sourcePath: checkpointURL.path, data: all,
                                           dataSource: source, selection: selection, settings: settings)
        #expect(finetune.trainCount == 8 && finetune.testCount == 4)
        var rng = SeededGenerator(seed: 2)
        let (model, frozen) = try Experiments.finetuneModel(source: file, path: checkpointURL.path, classCount: 2, replaceHead: true,
                                                            settings: settings, rng: &rng)
        #expect(frozen == [0, 1, 2])
        let task = try TaskData.select(all, source: source, selection: selection)
        let prepared = try TrainingPipeline.prepare(task.selected, spec: model.spec, settings: settings,
                                                    encoding: .wordPiece(vocabulary: TinyBertFolder.vocabulary))
        let outcome = try Trainer(model: model, settings: settings, train: prepared.train, validation: nil).run()
        #expect(outcome.history.map(\.cachedBlocks) == [4, 4])   // embeddings, layer0, layer1, pool

        // Scratch baseline with another architecture: trains on its own word vocabulary.
        let spec = try ModelSpec.parse(Data(Self.tinyScratchSpec.utf8), file: "tiny-words.json")
        let scratch = try Experiments.run(.scratch, seed: 1, source: file, sourcePath: checkpointURL.path, data: all,
                                          dataSource: source, selection: selection, settings: settings, scratchSpec: spec)
        #expect(scratch.kind == .scratch && scratch.testCount == 4)
        // Without it, the checkpoint's own architecture and vocabulary are used.
        let same = try Experiments.run(.scratch, seed: 1, source: file, sourcePath: checkpointURL.path, data: all,
                                       dataSource: source, selection: selection, settings: settings)
        #expect(same.testCount == 4)
    }

    @Test func frozenPrefixWithDropoutIsNotCachedWhenTrainable() throws {
        // Control: with nothing frozen, dropout stays active and nothing is cached.
        var rng = SeededGenerator(seed: 3)
        let spec = try ModelSpec.parse(Data("""
            { "name": "t", "input": { "tokens": 6 }, "blocks": [
              { "name": "e", "layers": [ { "type": "embedding", "vocab": "vocab", "dim": 4, "max_length": 6, "dropout": 0.5 } ] },
              { "name": "p", "layers": [ { "type": "pool", "mode": "mean" } ] },
              { "name": "h", "layers": [ { "type": "linear", "out": "classes" } ] } ] }
            """.utf8), file: "t.json")
        let model = try TransferModel(spec: spec, classCount: 2, vocabularySize: 10, rng: &rng)
        let data = try Dataset(features: (0..<24).map { Float($0 % 9 + 1) }, sampleShape: [6], labels: [0, 1, 0, 1], classNames: ["a", "b"], source: "test")
        var settings = TrainingSettings()
        settings.epochs = 1; settings.batchSize = 2; settings.validationSplit = 0
        #expect(try Trainer(model: model, settings: settings, train: data, validation: nil).run().history[0].cachedBlocks == 0)
        for p in model.blocks[0].parameters() { p.freeze() }
        #expect(try Trainer(model: model, settings: settings, train: data, validation: nil).run().history[0].cachedBlocks == 2)
    }
}
