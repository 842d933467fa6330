import Foundation
import Testing
@testable import TLTensor
@testable import TLNN

/// The losses of domain adaptation and re-weighting: weighted cross-entropy and Deep CORAL,
/// checked against direct computations and by finite differences.
@Suite struct DomainLossTests {
    /// Softmax cross-entropy of one row, in Double.
    func rowLoss(_ logits: [Float], _ label: Int) -> Double {
        let m = Double(logits.max()!)
        let lse = m + Foundation.log(logits.reduce(0.0) { $0 + Foundation.exp(Double($1) - m) })
        return lse - Double(logits[label])
    }

    @Test func weightedCrossEntropyMatchesTheDefinition() throws {
        let logits = sample([5, 3], seed: 11, low: -2, high: 2)
        let labels = [0, 2, 1, 2, 0]
        let classWeights: [Float] = [1, 3, 0.5], sampleWeights: [Float] = [0.2, 1.5, 1, 0.7, 2]
        let loss = try Loss.weightedCrossEntropy(logits: logits, labels: labels, classWeights: classWeights, sampleWeights: sampleWeights)
        var numerator = 0.0, denominator = 0.0
        for i in 0..<5 {
            let row = Array(logits.scalars[(i * 3)..<(i * 3 + 3)])
            let w = Double(sampleWeights[i] * classWeights[labels[i]])
            numerator += w * rowLoss(row, labels[i])
            denominator += w
        }
        #expect(Swift.abs(Double(loss.scalars[0]) - numerator / denominator) < 1e-5)
        // Without sample weights it is PyTorch's class-weighted mean; with equal ones as well.
        let plain = try Loss.crossEntropy(logits: logits, labels: labels, classWeights: classWeights)
        let ones = try Loss.weightedCrossEntropy(logits: logits, labels: labels, classWeights: classWeights, sampleWeights: [Float](repeating: 1, count: 5))
        #expect(Swift.abs(plain.scalars[0] - ones.scalars[0]) < 1e-6)
        // The weights matter: unweighted differs.
        let unweighted = try Loss.crossEntropy(logits: logits, labels: labels)
        #expect(Swift.abs(unweighted.scalars[0] - loss.scalars[0]) > 1e-3)
        #expect(throws: ModuleError.self) { try Loss.weightedCrossEntropy(logits: logits, labels: labels, classWeights: nil, sampleWeights: [1, 2]) }
        #expect(throws: ModuleError.self) { try Loss.weightedCrossEntropy(logits: logits, labels: labels, classWeights: nil, sampleWeights: [1, 1, -1, 1, 1]) }
    }

    @Test func weightedCrossEntropyGradient() throws {
        let labels = [1, 0, 2, 2]
        let r = try checkGradients("weighted CE", inputs: [sample([4, 3], seed: 12, low: -2, high: 2)]) {
            try Loss.weightedCrossEntropy(logits: $0[0], labels: labels, classWeights: [2, 0.5, 1], sampleWeights: [0.3, 1.2, 2, 0.5],
                                          labelSmoothing: 0.1)
        }
        #expect(r.passed, "\(r)")
    }

    @Test func balancedClassWeights() {
        let w = Loss.balancedClassWeights(counts: [50, 5, 0, 45])
        // n / (k · n_c) with n = 100 and k = 3 present classes; an absent class gets 0.
        #expect(Swift.abs(w[0] - 100.0 / 150) < 1e-12 && Swift.abs(w[1] - 100.0 / 15) < 1e-12 && w[2] == 0)
        // Each present class then carries the same total weight n / k.
        #expect(Swift.abs(w[0] * 50 - w[1] * 5) < 1e-9 && Swift.abs(w[3] * 45 - w[1] * 5) < 1e-9)
    }

    @Test func coralMatchesTheDefinition() throws {
        let s = sample([6, 3], seed: 21), t = sample([5, 3], seed: 22, low: -2, high: 3)
        func covariance(_ x: Tensor) -> [[Double]] {
            let n = x.shape[0], d = x.shape[1], v = x.scalars.map(Double.init)
            let mean = (0..<d).map { k in (0..<n).reduce(0.0) { $0 + v[$1 * d + k] } / Double(n) }
            return (0..<d).map { a in (0..<d).map { b in (0..<n).reduce(0.0) { $0 + (v[$1 * d + a] - mean[a]) * (v[$1 * d + b] - mean[b]) } / Double(n - 1) } }
        }
        let cs = covariance(s), ct = covariance(t)
        var expected = 0.0
        for a in 0..<3 { for b in 0..<3 { expected += (cs[a][b] - ct[a][b]) * (cs[a][b] - ct[a][b]) } }
        expected /= 4 * 9
        let loss = try Loss.coral(source: s, target: t)
        #expect(Swift.abs(Double(loss.scalars[0]) - expected) < 1e-5 * Swift.max(1, expected))
        #expect(expected > 1e-3)
        // Same second-order statistics (a shifted copy) → zero: CORAL ignores the means.
        let shifted = s + 5
        let same = try Loss.coral(source: s, target: shifted).scalars[0]
        #expect(Swift.abs(same) < 1e-5)
        #expect(throws: ModuleError.self) { try Loss.coral(source: sample([1, 3], seed: 1), target: t) }
        #expect(throws: ModuleError.self) { try Loss.coral(source: s, target: sample([4, 2], seed: 1)) }
    }

    @Test func coralGradientReachesBothSides() throws {
        let r = try checkGradients("coral", inputs: [sample([5, 4], seed: 31), sample([6, 4], seed: 32, low: -2, high: 2)]) {
            try Loss.coral(source: $0[0], target: $0[1]) * 100
        }
        #expect(r.passed, "\(r)")
        // Through the spatial pooling of image features [N, H, W, C] as well.
        let p = try checkGradients("coral pooled", inputs: [sample([3, 2, 2, 3], seed: 33), sample([4, 2, 2, 3], seed: 34)]) {
            try Loss.coral(source: Loss.coralFeatures($0[0]), target: Loss.coralFeatures($0[1])) * 100
        }
        #expect(p.passed, "\(p)")
    }
}
