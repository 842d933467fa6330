import Foundation

/// Classification metrics computed from predicted class probabilities.
public struct ClassificationMetrics: Sendable, Equatable {
    public var count: Int
    public var accuracy: Double
    public var macroF1: Double
    public var precision: [Double]
    public var recall: [Double]
    public var f1: [Double]
    /// `confusion[trueClass][predictedClass]`.
    public var confusion: [[Int]]
    /// Mean negative log-likelihood of the true class (probabilities clamped at 1e-12).
    public var meanLoss: Double
    /// Expected calibration error with equal-width confidence bins.
    public var expectedCalibrationError: Double

    /// Computes every metric.
    /// - Parameters:
    ///   - probabilities: row-major `[count, classes]`, each row summing to 1.
    ///   - labels: true class per row, in `0..<classes`.
    ///   - bins: number of confidence bins for ECE (15 is the usual choice).
    public init(probabilities: [Float], labels: [Int], classes: Int, bins: Int = 15) {
        let n = labels.count
        precondition(probabilities.count == n * classes, "probabilities must be [count, classes]")
        count = n
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        var lossSum = 0.0
        var binCount = [Int](repeating: 0, count: bins)
        var binConfidence = [Double](repeating: 0, count: bins)
        var binCorrect = [Double](repeating: 0, count: bins)
        for i in 0..<n {
            let row = probabilities[(i * classes)..<((i + 1) * classes)]
            var best = row.startIndex
            for j in row.indices where row[j] > row[best] { best = j }
            let predicted = best - row.startIndex
            let label = labels[i]
            confusion[label][predicted] += 1
            lossSum -= Foundation.log(Swift.max(Double(row[row.startIndex + label]), 1e-12))
            let confidence = Double(row[best])
            // Bin b covers (b/B, (b+1)/B]; confidence 0 goes to bin 0.
            let b = Swift.min(bins - 1, Swift.max(0, Int((confidence * Double(bins)).rounded(.up)) - 1))
            binCount[b] += 1
            binConfidence[b] += confidence
            binCorrect[b] += predicted == label ? 1 : 0
        }
        self.confusion = confusion
        let correct = (0..<classes).reduce(0) { $0 + confusion[$1][$1] }
        accuracy = n > 0 ? Double(correct) / Double(n) : 0
        precision = (0..<classes).map { c in
            let predicted = (0..<classes).reduce(0) { $0 + confusion[$1][c] }
            return predicted > 0 ? Double(confusion[c][c]) / Double(predicted) : 0
        }
        recall = (0..<classes).map { c in
            let actual = confusion[c].reduce(0, +)
            return actual > 0 ? Double(confusion[c][c]) / Double(actual) : 0
        }
        let f1 = zip(precision, recall).map { p, r in p + r > 0 ? 2 * p * r / (p + r) : 0 }
        self.f1 = f1
        // Macro average over the classes present in the labels (absent classes would add
        // meaningless zeros).
        let present = (0..<classes).filter { confusion[$0].reduce(0, +) > 0 }
        macroF1 = present.isEmpty ? 0 : present.reduce(0) { $0 + f1[$1] } / Double(present.count)
        meanLoss = n > 0 ? lossSum / Double(n) : 0
        var ece = 0.0
        for b in 0..<bins where binCount[b] > 0 {
            let gap = Swift.abs(binCorrect[b] / Double(binCount[b]) - binConfidence[b] / Double(binCount[b]))
            ece += Double(binCount[b]) / Double(Swift.max(n, 1)) * gap
        }
        expectedCalibrationError = ece
    }
}
