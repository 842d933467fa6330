import Foundation
import Testing
@testable import TLReport
import TLData
import TLModels
import TLNN
import TLSafeTensors
import TLTensor
import TLTransfer

let reportTestSpec = """
{"name": "tiny", "input": [6, 6, 1], "blocks": [
  {"name": "conv", "layers": [{"type": "conv2d", "out": 4, "kernel": 3, "padding": 1}, {"type": "relu"}, {"type": "maxpool", "size": 2}]},
  {"name": "fc", "layers": [{"type": "flatten"}, {"type": "linear", "out": 8}, {"type": "relu"}]},
  {"name": "head", "layers": [{"type": "linear", "out": "classes"}]}]}
"""

/// Each class lights up its own corner of a 6×6 image, plus noise.
func cornerImages(classes: Int, perClass: Int, seed: UInt64) throws -> Dataset {
    var rng = SeededGenerator(seed: seed)
    var features: [Float] = [], labels: [Int] = []
    for c in 0..<classes {
        for _ in 0..<perClass {
            var image = (0..<36).map { _ in 0.2 * rng.nextNormal() }
            let (r, q) = ((c / 2) % 2 * 3, c % 2 * 3)
            for y in 0..<3 { for x in 0..<3 { image[(r + y) * 6 + q + x] += 1 } }
            features += image
            labels.append(c)
        }
    }
    return try Dataset(features: features, sampleShape: [6, 6, 1], labels: labels, classNames: (0..<classes).map { "c\($0)" }, source: "corners")
}

@Suite struct ReportContentTests {
    @Test func pngRoundTripsThroughTheDecoder() throws {
        let pixels: [UInt8] = [0, 64, 128, 255, 10, 20]
        let png = try PNGEncoder.encode(width: 3, height: 2, channels: 1, pixels: pixels)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tl-report-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(png).write(to: url)
        let image = try Image.read(url.path)
        #expect(image.width == 3 && image.height == 2 && image.channels == 1)
        #expect(image.pixels.map { UInt8(($0 * 255).rounded()) } == pixels)
        let rgb = (0..<(70 * 400 * 3)).map { UInt8($0 % 251) }   // > 65,535 bytes: several stored blocks
        let big = try PNGEncoder.encode(width: 400, height: 70, channels: 3, pixels: rgb)
        try Data(big).write(to: url)
        let decoded = try Image.read(url.path)
        #expect(decoded.pixels.map { UInt8(($0 * 255).rounded()) } == rgb)
        #expect(throws: PNGEncoder.EncodeError.self) { try PNGEncoder.encode(width: 2, height: 2, channels: 1, pixels: [1]) }
    }

    @Test func pcaFindsTheDirectionOfMostVariance() {
        // Points along (1, 2) with a little spread across it.
        var x: [Float] = []
        for i in 0..<50 {
            let t = (Float(i) - 24.5) / 5, e: Float = i % 2 == 0 ? 0.05 : -0.05   // both centred on 0
            x += [t - 2 * e, 2 * t + e]
        }
        let (p, explained) = PCA.project(x, rows: 50, columns: 2)
        #expect(explained[0] > 0.999 && explained[0] + explained[1] > 0.9999)
        // The first projection of point i is ±t·√5.
        let t0 = -24.5 / 5
        #expect(abs(abs(p[0][0]) - abs(t0) * 5.0.squareRoot()) < 1e-3)
    }

    @Test func analysisAgreesWithEvaluationAndRanksLosses() throws {
        var rng = SeededGenerator(seed: 3)
        let model = try TransferModel(spec: ModelSpec.parse(Data(reportTestSpec.utf8), file: "tiny"), classCount: 4, rng: &rng)
        let raw = try cornerImages(classes: 4, perClass: 10, seed: 5)
        let norm = try Normalization.fit(raw)
        let data = try norm.apply(to: raw)
        let e = try ReportAnalysis.evaluate(model, data: data, setName: "test", classNames: raw.classNames, normalization: norm,
                                            batchSize: 7, worstCount: 5, projectionSamples: 20)
        let reference = try TrainingPipeline.evaluate(model, data: data, batchSize: 7)
        #expect(e.metrics.confusion == reference.confusion)
        #expect(abs(e.metrics.meanLoss - reference.meanLoss) < 1e-9 && abs(e.metrics.expectedCalibrationError - reference.expectedCalibrationError) < 1e-9)
        #expect(e.bins.reduce(0) { $0 + $1.count } == 40)
        // ECE from the bins equals the metric's.
        let ece = e.bins.reduce(0.0) { $0 + Double($1.count) / 40 * abs($1.accuracy - $1.confidence) }
        #expect(abs(ece - e.metrics.expectedCalibrationError) < 1e-9)
        #expect(e.worst.count == 5 && zip(e.worst, e.worst.dropFirst()).allSatisfy { $0.loss >= $1.loss })
        #expect(e.worst.allSatisfy { abs($0.loss + log(max($0.probabilityOfTrue, 1e-12))) < 1e-9 })
        #expect(e.projection?.sampleCount == 20 && e.projection?.featureCount == 8)
        // The thumbnail is the raw image, scaled to its own range.
        let first = try #require(e.worst.first)
        let uri = try #require(first.thumbnail)
        #expect(uri.hasPrefix("data:image/png;base64,"))
        let bytes = try #require(Data(base64Encoded: String(uri.dropFirst("data:image/png;base64,".count))))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tl-thumb-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: url) }
        try bytes.write(to: url)
        let image = try Image.read(url.path)
        let original = Array(raw.features[(first.index * 36)..<((first.index + 1) * 36)])
        let low = original.min()!, high = original.max()!
        let expected = original.map { (($0 - low) / (high - low) * 255).rounded() }
        #expect(zip(image.pixels.map { ($0 * 255).rounded() }, expected).allSatisfy { abs($0 - $1) <= 1 })
    }

    @Test func textModelsShowTheirTextsInsteadOfThumbnails() throws {
        let spec = try ModelSpec.parse(Data("""
            { "name": "tiny-words", "input": { "tokens": 6 }, "blocks": [
              { "name": "embeddings", "layers": [ { "type": "embedding", "vocab": "vocab", "dim": 5, "max_length": 6 } ] },
              { "name": "pool", "layers": [ { "type": "pool", "mode": "mean" } ] },
              { "name": "head", "layers": [ { "type": "linear", "out": "classes" } ] } ] }
            """.utf8), file: "tiny-words.json")
        let texts = ["a good <b>film</b>", "bad film", "good good", "bad bad", "a film", "good & bad"]
        let raw = try Dataset(features: [Float](repeating: 0, count: 6), sampleShape: [1], labels: [0, 1, 0, 1, 0, 1],
                              classNames: ["pos", "neg"], texts: texts, source: "reviews")
        let encoding = TextEncoding.words(vocabulary: ["[PAD]", "[UNK]", "a", "good", "bad", "film", "<b>film</b>"])
        let data = try encoding.encode(raw, length: 6)
        var rng = SeededGenerator(seed: 1)
        let model = try TransferModel(spec: spec, classCount: 2, vocabularySize: 7, rng: &rng)
        let e = try ReportAnalysis.evaluate(model, data: data, setName: "reviews", classNames: raw.classNames, normalization: nil, worstCount: 3)
        #expect(e.worst.count == 3 && e.worst.allSatisfy { $0.thumbnail == nil && $0.text == texts[$0.index] })
        #expect(e.projection?.featureCount == 5)
        var report = RunReport(title: "t", subtitle: "s")
        report.evaluation = e
        let html = HTMLReport.render(report)
        #expect(html.contains("<section id=\"worst\">") && !html.contains("<img"))
        for x in e.worst { #expect(html.contains("“" + HTMLReport.esc(texts[x.index]) + "”")) }
        #expect(!html.contains("<b>film</b>"))   // texts are escaped
    }

    @Test func checkpointsRecordTheHistoryCompactly() throws {
        var rng = SeededGenerator(seed: 3)
        let model = try TransferModel(spec: ModelSpec.parse(Data(reportTestSpec.utf8), file: "tiny"), classCount: 4, rng: &rng)
        var info = CheckpointInfo(kind: "pretrain", classNames: ["a", "b", "c", "d"], seed: 0)
        info.history = (1...60).map { EpochRecord(epoch: $0, trainLoss: 1 / Double($0) + 0.123456789, trainAccuracy: 0.987654321,
                                                  validationLoss: $0 % 2 == 0 ? 0.5 : nil, validationAccuracy: $0 % 2 == 0 ? 0.75 : nil,
                                                  seconds: 0.0123) }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tl-history-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try Checkpoint(model: model, info: info).write(to: url)
        var rng2 = SeededGenerator(seed: 0)
        #expect(try Checkpoint.read(from: url, rng: &rng2).info.history == info.history)   // full precision back
        var without = info
        without.history = nil
        let encoder = JSONEncoder()
        let extra = try encoder.encode(info).count - encoder.encode(without).count
        #expect(extra < 60 * 110, "\(extra) bytes for 60 epochs")
    }

    @Test func driftIsZeroForUnchangedBlocksAndMeasuresChangedOnes() throws {
        var rng = SeededGenerator(seed: 3)
        let model = try TransferModel(spec: ModelSpec.parse(Data(reportTestSpec.utf8), file: "tiny"), classCount: 4, rng: &rng)
        var file = SafeTensorsFile()
        for (name, t) in model.namedState() where !name.hasPrefix("blocks.2.") { try file.setFloats(name, t.scalars, shape: t.shape) }
        // Double block 1's parameters: ‖2w − w‖ / ‖w‖ = 1.
        let fc = model.blocks[1].parameters()
        for p in fc { p.value = try Tensor(p.value.scalars.map { $0 * 2 }, shape: p.shape) }
        let rows = try ReportAnalysis.drift(model, source: file, frozenBlocks: [0])
        #expect(rows[0].drift == 0 && rows[0].frozen)
        #expect(abs((rows[1].drift ?? 0) - 1) < 1e-6 && !rows[1].frozen)
        #expect(rows[2].drift == nil && rows[2].note?.contains("new head") == true)
        // A replaced head is not compared even when the source has a head of the same shape.
        for (name, t) in model.namedState() where name.hasPrefix("blocks.2.") { try file.setFloats(name, t.scalars, shape: t.shape) }
        #expect(try ReportAnalysis.drift(model, source: file, frozenBlocks: []).last?.drift == 0)
        #expect(try ReportAnalysis.drift(model, source: file, frozenBlocks: [], headReplaced: true).last?.drift == nil)
    }

    @Test func htmlIsSelfContainedAndHasEverySection() throws {
        var rng = SeededGenerator(seed: 3)
        let model = try TransferModel(spec: ModelSpec.parse(Data(reportTestSpec.utf8), file: "tiny"), classCount: 4, rng: &rng)
        let raw = try cornerImages(classes: 4, perClass: 5, seed: 5)
        var info = CheckpointInfo(kind: "finetune", classNames: raw.classNames, seed: 0)
        var settings = TrainingSettings()
        settings.epochs = 4
        settings.freeze = [try BlockSelector.parse("0")]
        settings.unfreezeEvery = 2
        info.settings = settings
        info.command = "tl finetune --from <a&b>.safetensors"
        info.history = (1...4).map { EpochRecord(epoch: $0, trainLoss: 1 / Double($0), trainAccuracy: 0.2 * Double($0)) }
        var inputs = ReportBuilder.Inputs(title: "t", subtitle: "s", model: model, info: info, checkpointPath: "x.safetensors")
        inputs.curves = [CurveRun(label: "this run", history: info.history!)]
        inputs.evaluation = try ReportAnalysis.evaluate(model, data: raw, setName: "test", classNames: raw.classNames, normalization: nil)
        inputs.comparison = Comparison(seeds: [0, 1], accuracies: [("fine-tuned", [0.9, 0.8]), ("scratch", [0.7, 0.75])],
                                       gain: TransferGain(transferred: [0.9, 0.8], scratch: [0.7, 0.75]))
        var source = SafeTensorsFile()
        for (name, t) in model.namedState() { try source.setFloats(name, t.scalars, shape: t.shape) }
        inputs.source = (source, "source.safetensors")
        let report = try ReportBuilder.assemble(inputs)
        #expect(report.phases.map(\.label) == ["fine-tune", "+conv"])
        #expect(report.plan?.rows[0].cells == ["frozen", "lr 0.001"])
        let html = HTMLReport.render(report)
        for id in ["gain", "curves", "confusion", "calibration", "worst", "pca", "drift", "plan", "provenance"] {
            #expect(html.contains("<section id=\"\(id)\">"), "section \(id)")
        }
        #expect(!html.contains("<script") && !html.contains("src=\"http") && !html.contains("href=\"http"))
        #expect(html.contains("&lt;a&amp;b&gt;") && !html.contains("<a&b>"))
        #expect(html.contains("+12.5 pts") && html.contains("class=\"verdict"))
        #expect(html.contains("@media print") && html.contains("name=\"viewport\""))
    }
}
