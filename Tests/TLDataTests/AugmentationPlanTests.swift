import Foundation
import Testing
import TLTensor
@testable import TLData

/// `--augment` plans: grammar, canonical text, old Bool checkpoints, and what each augmentation does.
@Suite struct AugmentationPlanTests {
    @Test func parsesAndPrintsCanonically() throws {
        let p = try AugmentationPlan.parse("flip,crop=0.8,rotate=10,color=0.2,mixup=0.4")
        #expect(p.flip == 0.5 && p.crop == 0.8 && p.rotate == 10 && p.color == 0.2 && p.mixup == 0.4 && p.cutmix == nil)
        #expect(p.description == "flip=0.5,crop=0.8,rotate=10,color=0.2,mixup=0.4")
        #expect(try AugmentationPlan.parse(p.description) == p)
        #expect(try AugmentationPlan.parse("default") == .legacyDefault)
        #expect(AugmentationPlan.legacyDefault.description == "shift=2,noise=0.05")
        for (bad, fragment) in [("flp", "did you mean 'flip'"), ("crop=2", "kept area"), ("mixup,cutmix", "not both"),
                                ("rotate=x", "not a number"), ("flip,,crop", "empty item"), ("shift=1.5", "whole pixels")] {
            #expect(throws: AugmentationPlan.ParseError.self) { try AugmentationPlan.parse(bad) }
            do { _ = try AugmentationPlan.parse(bad) } catch { #expect("\(error)".contains(fragment), "\(bad): \(error)") }
        }
    }

    @Test func decodesTheOldBoolAndRoundTrips() throws {
        let dec = JSONDecoder()
        #expect(try dec.decode([AugmentationPlan].self, from: Data("[true, false]".utf8)) == [.legacyDefault, .none])
        let p = try AugmentationPlan.parse("flip=0.3,cutmix=1,noise=0.1")
        #expect(try dec.decode(AugmentationPlan.self, from: try JSONEncoder().encode(p)) == p)
    }

    static func ramp(_ n: Int, _ h: Int, _ w: Int, _ c: Int) -> [Float] {
        (0..<(n * h * w * c)).map { Float($0 % 97) / 97 }
    }

    @Test func eachAugmentationChangesImagesReproducibly() throws {
        for text in ["crop=0.5", "rotate=30", "color=0.5", "flip=1"] {
            let aug = Augmentation(plan: try AugmentationPlan.parse(text))
            let x = Self.ramp(2, 8, 8, 3)
            var a = x, b = x
            var r1 = SeededGenerator(seed: 5), r2 = SeededGenerator(seed: 5)
            aug.apply(to: &a, sampleShape: [8, 8, 3], using: &r1)
            aug.apply(to: &b, sampleShape: [8, 8, 3], using: &r2)
            #expect(a == b, "\(text) is seeded")
            #expect(a != x, "\(text) changed nothing")
        }
        // Rotation by 0 degrees and colour jitter of 0 are identities (the plan is none).
        #expect(Augmentation(plan: try AugmentationPlan.parse("rotate=0,color=0")).isIdentity)
    }

    @Test func mixupBlendsInputsAndLabelsWithOneWeight() throws {
        let aug = Augmentation(plan: try AugmentationPlan.parse("mixup=0.4"))
        let x = Self.ramp(4, 2, 2, 1)
        var y = x
        var rng = SeededGenerator(seed: 9)
        let labels = [0, 1, 2, 3]
        guard let mix = aug.mixBatch(&y, labels: labels, sampleShape: [2, 2, 1], using: &rng) else {
            Issue.record("no mix"); return
        }
        #expect(mix.lambda > 0 && mix.lambda < 1)
        for i in 0..<4 {
            let j = labels.firstIndex(of: mix.partnerLabels[i])!
            for k in 0..<4 { #expect(abs(y[i * 4 + k] - (mix.lambda * x[i * 4 + k] + (1 - mix.lambda) * x[j * 4 + k])) < 1e-6) }
        }
    }

    @Test func cutmixLambdaIsTheKeptArea() throws {
        let aug = Augmentation(plan: try AugmentationPlan.parse("cutmix=1"))
        var sawBox = false
        for seed in 0..<10 {
            var y = [Float](repeating: 0, count: 16 * 16) + [Float](repeating: 1, count: 16 * 16)
            var rng = SeededGenerator(seed: UInt64(seed))
            guard let mix = aug.mixBatch(&y, labels: [0, 1], sampleShape: [16, 16, 1], using: &rng) else { continue }
            // Sample 0 was all zeros: the ones pasted into it are exactly the replaced area,
            // unless it was paired with itself.
            let pasted = Float(y[0..<256].filter { $0 == 1 }.count) / 256
            if mix.partnerLabels[0] == 1 { #expect(abs(pasted - (1 - mix.lambda)) < 1e-6); if pasted > 0 { sawBox = true } }
        }
        #expect(sawBox)
    }
}
