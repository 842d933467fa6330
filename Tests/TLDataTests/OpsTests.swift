import Foundation
import Testing
import TLTensor
@testable import TLData

/// A toy image data set: sample i is 4×4×c filled with value i (labels i % classes).
func toyImages(count: Int = 30, classes: Int = 3, channels: Int = 1, side: Int = 4) throws -> Dataset {
    let size = side * side * channels
    var f = [Float]()
    for i in 0..<count { f += [Float](repeating: Float(i), count: size) }
    return try Dataset(features: f, sampleShape: [side, side, channels], labels: (0..<count).map { $0 % classes },
                       classNames: (0..<classes).map { "c\($0)" }, source: "toy")
}

@Suite struct DatasetOpsTests {
    @Test func initValidates() throws {
        expectError(["do not fill"]) { try Dataset(features: [1, 2, 3], sampleShape: [2], labels: [0, 0], classNames: ["a"], source: "x") }
        expectError(["sample 1", "label 3 out of range"]) { try Dataset(features: [1, 2], sampleShape: [1], labels: [0, 3], classNames: ["a"], source: "x") }
    }

    @Test func shuffleIsSeededPermutation() throws {
        let d = try toyImages()
        let a = d.shuffled(seed: 1), b = d.shuffled(seed: 1), c = d.shuffled(seed: 2)
        #expect(a == b)
        #expect(a.labels != c.labels || a.features != c.features)
        #expect(a.features.sorted() == d.features.sorted())
        // Labels still match their samples (sample value i has label i % 3).
        for i in 0..<a.count { #expect(Int(a.sample(i)[0]) % 3 == a.labels[i]) }
    }

    @Test func stratifiedSplitKeepsProportions() throws {
        let d = try toyImages(count: 300, classes: 3).selectingClasses([0, 1, 2])
        let (train, val) = try d.stratifiedSplit(validationFraction: 0.2, seed: 5)
        #expect(train.count == 240 && val.count == 60)
        #expect(val.classCounts() == [20, 20, 20])
        let trainIDs = Set(train.features.enumerated().filter { $0.offset % 16 == 0 }.map { $0.element })
        let valIDs = Set(val.features.enumerated().filter { $0.offset % 16 == 0 }.map { $0.element })
        #expect(trainIDs.isDisjoint(with: valIDs) && trainIDs.count + valIDs.count == 300)
        let again = try d.stratifiedSplit(validationFraction: 0.2, seed: 5)
        #expect(again.validation == val)
        expectError(["validation fraction"]) { try d.stratifiedSplit(validationFraction: 1.5, seed: 0) }
    }

    @Test func fewShotAndClassSubsets() throws {
        let d = try toyImages(count: 100, classes: 10)
        let few = try d.fewShot(perClass: 3, seed: 9)
        #expect(few.count == 30 && few.classCounts() == [Int](repeating: 3, count: 10))
        #expect(try d.fewShot(perClass: 3, seed: 9) == few)
        #expect(try d.fewShot(perClass: 3, seed: 10) != few)
        expectError(["fewer than the 11 requested"]) { try d.fewShot(perClass: 11, seed: 0) }
        let sub = try d.selectingClasses([5, 6, 7, 8, 9])
        #expect(sub.count == 50 && sub.classNames == ["c5", "c6", "c7", "c8", "c9"])
        #expect(Set(sub.labels) == [0, 1, 2, 3, 4])
        for i in 0..<sub.count { #expect(Int(sub.sample(i)[0]) % 10 == sub.labels[i] + 5) }
        let named = try d.selectingClasses(named: ["c9", "c0"])
        #expect(named.classNames == ["c9", "c0"] && named.labels.first == 1)
        expectError(["class 12 out of range"]) { try d.selectingClasses([12]) }
    }

    @Test func normalisationFitsOnTrainOnly() throws {
        var train = try toyImages(count: 4, classes: 2, channels: 2)
        // Channel 0 = i, channel 1 = 10 i.
        for i in stride(from: 1, to: train.features.count, by: 2) { train.features[i] *= 10 }
        let norm = try Normalization.fit(train)
        #expect(abs(norm.mean[0] - 1.5) < 1e-6 && abs(norm.mean[1] - 15) < 1e-5)
        #expect(abs(norm.std[0] - Float(1.25).squareRoot()) < 1e-5)
        let t = try norm.apply(to: train)
        let fitted = try Normalization.fit(t)
        #expect(abs(fitted.mean[0]) < 1e-5 && abs(fitted.std[1] - 1) < 1e-5)
        let other = try toyImages(count: 2, classes: 2, channels: 2)
        let o = try norm.apply(to: other)
        #expect(abs(o.features[0] - (0 - 1.5) / norm.std[0]) < 1e-5)
        expectError(["2 channels", "data has 1"]) { try norm.apply(to: try toyImages()) }
    }

    @Test func resizePadCropChannels() throws {
        var d = try Dataset(features: [0, 1, 2, 3], sampleShape: [2, 2, 1], labels: [0], classNames: ["a"], source: "s")
        let up = try d.resized(height: 4, width: 4, method: .nearest)
        #expect(up.features == [0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3])
        let bi = try d.resized(height: 4, width: 4, method: .bilinear)
        #expect(bi.features[0] == 0 && bi.features[15] == 3 && abs(bi.features[1] - 0.25) < 1e-6)
        let down = try up.resized(height: 2, width: 2, method: .bilinear)
        #expect(down.features == [0, 1, 2, 3])
        let padded = try d.centerCroppedOrPadded(height: 4, width: 4)
        #expect(padded.features == [0, 0, 0, 0, 0, 0, 1, 0, 0, 2, 3, 0, 0, 0, 0, 0])
        #expect(try padded.centerCroppedOrPadded(height: 2, width: 2).features == d.features)
        let rgb = try d.withChannels(3)
        #expect(rgb.sampleShape == [2, 2, 3] && rgb.features.prefix(6) == [0, 0, 0, 1, 1, 1])
        #expect(try rgb.withChannels(1).features.enumerated().allSatisfy { abs($0.element - Float($0.offset)) < 1e-5 })
        d.sampleShape = [4]
        expectError(["needs images"]) { try d.resized(height: 2, width: 2) }
    }

    @Test func batchesCoverEpochAndAreSeeded() throws {
        let d = try toyImages(count: 10, classes: 2)
        var seen: [Int] = []
        var sizes: [Int] = []
        for b in try d.batches(size: 4, seed: 3) {
            #expect(b.features.count == b.count * 16 && b.shape == [b.count, 4, 4, 1])
            for (k, i) in b.indices.enumerated() { #expect(b.features[k * 16] == Float(i) && b.labels[k] == i % 2) }
            seen += b.indices
            sizes.append(b.count)
        }
        #expect(sizes == [4, 4, 2] && seen.sorted() == Array(0..<10) && seen != Array(0..<10))
        #expect(Array(try d.batches(size: 4, seed: 3)).map(\.indices) == Array(try d.batches(size: 4, seed: 3)).map(\.indices))
        #expect(Array(try d.batches(size: 4, shuffle: false, dropLast: true)).map(\.indices) == [[0, 1, 2, 3], [4, 5, 6, 7]])
        expectError(["batch size"]) { try d.batches(size: 0) }
    }

    @Test func augmentationShiftFlipNoise() throws {
        // One 3×3 image with distinct values.
        let img: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
        var rng = SeededGenerator(seed: 1)
        var flipped = img
        Augmentation(flipProbability: 1).apply(to: &flipped, sampleShape: [3, 3, 1], using: &rng)
        #expect(flipped == [3, 2, 1, 6, 5, 4, 9, 8, 7])
        var shiftedAny = false
        for s in 0..<20 {
            var r = SeededGenerator(seed: UInt64(s))
            var x = img
            Augmentation(maxShift: 1).apply(to: &x, sampleShape: [3, 3, 1], using: &r)
            // A shift keeps a 2×2 or larger block of the original and fills the rest with zeros.
            #expect(x.filter { $0 != 0 }.count >= 4)
            #expect(Set(x.filter { $0 != 0 }).isSubset(of: Set(img)))
            if x != img { shiftedAny = true }
        }
        #expect(shiftedAny)
        var big = [Float](repeating: 0, count: 4 * 32 * 32)
        var r2 = SeededGenerator(seed: 4)
        Augmentation(noiseStd: 0.5).apply(to: &big, sampleShape: [32, 32, 1], using: &r2)
        let std = (big.map { $0 * $0 }.reduce(0, +) / Float(big.count)).squareRoot()
        #expect(abs(std - 0.5) < 0.03)
        // Per-batch augmentation through the iterator is reproducible.
        let d = try toyImages(count: 8, classes: 2)
        let aug = Augmentation(maxShift: 1, flipProbability: 0.5, noiseStd: 0.1)
        let a = Array(try d.batches(size: 4, seed: 7, augmentation: aug)).map(\.features)
        let b = Array(try d.batches(size: 4, seed: 7, augmentation: aug)).map(\.features)
        #expect(a == b)
    }
}
