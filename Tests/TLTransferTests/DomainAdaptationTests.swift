import Testing
import Foundation
@testable import TLTransfer
@testable import TLNN
import TLTensor
import TLData
import TLModels

/// AdaBN, importance weights and CORAL/class-weighted training in the Trainer.
@Suite struct DomainAdaptationTests {
    let bnNet = """
    {"name": "bn", "input": [6, 6, 1], "blocks": [
      {"name": "conv", "layers": [{"type": "conv2d", "out": 4, "kernel": 3, "padding": 1, "bias": false}, {"type": "batchnorm"}, {"type": "relu"}]},
      {"name": "res", "layers": [{"type": "residual", "out": 6, "stride": 2}]},
      {"name": "pool", "layers": [{"type": "globalavgpool"}]},
      {"name": "head", "layers": [{"type": "linear", "out": "classes"}]}
    ]}
    """

    func model(classes: Int, seed: UInt64 = 3) throws -> TransferModel {
        var rng = SeededGenerator(seed: seed)
        return try TransferModel(spec: ModelSpec.parse(Data(bnNet.utf8), file: "bn"), classCount: classes, rng: &rng)
    }

    /// Inverted patch images: the constructed shift of the experiments, in miniature.
    func inverted(_ d: Dataset) throws -> Dataset {
        try Dataset(features: d.features.map { 1 - $0 }, sampleShape: d.sampleShape, labels: d.labels, classNames: d.classNames, source: "inverted")
    }

    @Test func adaBNStatisticsAreExactInEveryLayer() throws {
        let m = try model(classes: 4)
        let target = try inverted(patchImages(classes: 4, perClass: 9, seed: 5))   // 36 samples, batches of 8 below
        let norms = m.namedModules().compactMap { $0.module as? BatchNorm }
        #expect(norms.count == 4)   // stem, two in the residual branch, one in the projection shortcut
        let before = norms.map { $0.runningMean.value.scalars }
        let summary = try AdaptiveBatchNorm.adapt(m, on: target, batchSize: 8)
        #expect(summary.layers == 4 && summary.samples == 36 && summary.meanShift > 0)
        // Observe every BatchNorm's input at inference, all layers adapted: its running mean and
        // variance must be the exact statistics of those inputs (a momentum blend would not be).
        var sums = norms.map { [Double](repeating: 0, count: $0.featureCount) }, squares = sums, counts = [Int](repeating: 0, count: norms.count)
        for (i, norm) in norms.enumerated() {
            norm.inputObserver = { x in
                let c = norm.featureCount
                for (j, v) in x.scalars.enumerated() { sums[i][j % c] += Double(v); squares[i][j % c] += Double(v) * Double(v) }
                counts[i] += x.count / c
            }
        }
        m.eval()
        _ = try withNoGrad { try m.forward(try Tensor(target.features, shape: [36, 6, 6, 1])) }
        for (i, norm) in norms.enumerated() {
            norm.inputObserver = nil
            let n = Double(counts[i])
            for k in 0..<norm.featureCount {
                let mean = sums[i][k] / n, variance = (squares[i][k] - n * mean * mean) / (n - 1)
                #expect(Swift.abs(Double(norm.runningMean.value.scalars[k]) - mean) < 1e-4 * Swift.max(1, Swift.abs(mean)), "layer \(i) channel \(k)")
                #expect(Swift.abs(Double(norm.runningVar.value.scalars[k]) - variance) < 1e-3 * Swift.max(1, variance), "layer \(i) channel \(k)")
            }
            #expect(norm.runningMean.value.scalars != before[i])
        }
    }

    @Test func importanceWeightsFavourTargetLikeSamples() throws {
        // Source: half dark, half bright images; target: bright only.
        var rng = SeededGenerator(seed: 9)
        func images(_ count: Int, level: Float) -> [Float] { (0..<(count * 36)).map { _ in level + 0.1 * rng.nextNormal() } }
        let source = try Dataset(features: images(60, level: 0.2) + images(60, level: 0.8), sampleShape: [6, 6, 1],
                                 labels: [Int](repeating: 0, count: 120), classNames: ["a"], source: "source")
        let target = try Dataset(features: images(80, level: 0.8), sampleShape: [6, 6, 1], labels: [Int](repeating: 0, count: 80),
                                 classNames: ["a"], source: "target")
        let e = try ImportanceWeights.estimate(source: source, target: target, clipPercentile: 95)
        let dark = e.weights[0..<60].reduce(0, +) / 60, bright = e.weights[60...].reduce(0, +) / 60
        #expect(bright > 5 * dark, "bright \(bright), dark \(dark)")
        #expect(Swift.abs(e.weights.reduce(0, +) / 120 - 1) < 1e-4)                  // normalised to mean 1
        #expect(e.effectiveSampleSize < 120 * 0.8 && e.effectiveSampleSize > 30)     // about the bright half
        #expect(e.domainAccuracy > 0.6)
        // The clip caps the largest weights at the 95th percentile of the raw weights.
        let unclipped = try ImportanceWeights.estimate(source: source, target: target, clipPercentile: 100)
        #expect(e.weights.max()! / e.weights.min()! <= unclipped.weights.max()! / unclipped.weights.min()! + 1e-3)
        // Same domains: weights near 1, effective sample size near n.
        let same = try ImportanceWeights.estimate(source: target, target: target)
        #expect(same.effectiveSampleSize > 70)
    }

    @Test func classWeightsAndCoralChangeTraining() throws {
        let data = try patchImages(classes: 4, perClass: 8, seed: 1)
        let target = try inverted(patchImages(classes: 4, perClass: 8, seed: 2))
        var settings = TrainingSettings()
        settings.epochs = 2; settings.batchSize = 8; settings.validationSplit = 0; settings.learningRate = 0.01
        func train(_ adaptation: DomainAdaptationSettings?, unlabeled: Dataset? = nil, weights: [Float]? = nil) throws -> [Float] {
            let m = try model(classes: 4)
            var s = settings
            s.adaptation = adaptation
            let trainer = try Trainer(model: m, settings: s, train: data, validation: nil)
            trainer.domain = DomainInputs(unlabeled: unlabeled, sampleWeights: weights)
            let outcome = try trainer.run()
            #expect(outcome.divergence == nil)
            return m.parameters().flatMap { $0.value.scalars }
        }
        let plain = try train(nil)
        let again = try train(nil)
        #expect(plain == again)   // deterministic, so differences below are the techniques'
        var cw = DomainAdaptationSettings(); cw.classWeights = .init(rule: "explicit", weights: [1, 1, 1, 4])
        let weighted = try train(cw)
        #expect(weighted != plain)
        var coral = DomainAdaptationSettings(); coral.coral = .init(weight: 1, block: 2)
        let withCoral = try train(coral, unlabeled: target)
        #expect(withCoral != plain)
        let coralAgain = try train(coral, unlabeled: target)
        #expect(withCoral == coralAgain)   // the target batches are seeded
        let importance = try train(nil, weights: (0..<32).map { $0 % 4 == 3 ? 3 : 1 })
        #expect(importance != plain)
        // Misconfigurations are clear errors, not crashes.
        var wrong = DomainAdaptationSettings(); wrong.classWeights = .init(rule: "explicit", weights: [1, 2])
        #expect(throws: TrainingError.self) { try train(wrong) }
        #expect(throws: TrainingError.self) { try train(coral) }   // CORAL without unlabeled data
        #expect(throws: TrainingError.self) { try train(nil, weights: [1, 2, 3]) }
    }
}
