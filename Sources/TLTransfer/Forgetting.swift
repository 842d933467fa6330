import Foundation
import TLTensor
import TLNN
import TLData
import TLModels

/// How much a fine-tuned model forgot of its source task (`tl eval --source-data`), measured
/// two ways on held-out source samples:
///
/// - **source head**: the source model vs the fine-tuned body under the source head (kept in
///   the fine-tuned checkpoint when the head was replaced) — what the body can still do for
///   the head it was trained with;
/// - **linear probe**: a logistic-regression probe fitted on the features under the head
///   (the source model's, then the fine-tuned body's) on one stratified half of the samples,
///   scored on the other half — whether the information is still in the features at all.
///
/// "Forgotten" is source accuracy minus fine-tuned accuracy, in points, with a paired 95%
/// Student-t interval over the samples (each sample scores 1 or 0 on both sides).
public enum Forgetting {
    /// One comparison: accuracy before and after, and the paired difference.
    public struct Comparison: Sendable {
        public var before: Double
        public var after: Double
        /// before − after, as a fraction, with its 95% interval.
        public var forgotten: TransferGain
        public var count: Int
    }

    public struct Report: Sendable {
        public var sourceHead: Comparison
        public var probe: Comparison?
    }

    /// Compares `source` with `finetuned` (the body under the source head) on prepared source data.
    public static func measure(source: TransferModel, finetuned: TransferModel, data: Dataset, batchSize: Int = 256,
                               probeSeed: UInt64 = 0) throws -> Report {
        let before = try correct(source, data: data, batchSize: batchSize)
        let after = try correct(finetuned, data: data, batchSize: batchSize)
        let head = comparison(before, after)
        var probe: Comparison? = nil
        let classes = data.classCounts()
        if classes.allSatisfy({ $0 >= 4 }) {
            let split = try data.stratifiedSplit(validationFraction: 0.5, seed: probeSeed &+ 29)
            let block = source.headIndex - 1
            if block >= 0 {
                let b = try probeCorrect(source, block: block, train: split.train, test: split.validation, batchSize: batchSize)
                let a = try probeCorrect(finetuned, block: block, train: split.train, test: split.validation, batchSize: batchSize)
                probe = comparison(b, a)
            }
        }
        return Report(sourceHead: head, probe: probe)
    }

    static func comparison(_ before: [Double], _ after: [Double]) -> Comparison {
        let mean: ([Double]) -> Double = { $0.isEmpty ? 0 : $0.reduce(0, +) / Double($0.count) }
        return Comparison(before: mean(before), after: mean(after), forgotten: TransferGain(transferred: before, scratch: after),
                          count: before.count)
    }

    /// 1 for each sample the model classifies correctly, else 0.
    static func correct(_ model: TransferModel, data: Dataset, batchSize: Int) throws -> [Double] {
        let p = try TrainingPipeline.predictProbabilities(model, data: data, batchSize: batchSize)
        let k = model.classCount
        return data.labels.enumerated().map { i, label in
            let row = p[(i * k)..<((i + 1) * k)]
            let predicted = row.indices.max { row[$0] < row[$1] }.map { $0 - i * k } ?? -1
            return predicted == label ? 1 : 0
        }
    }

    /// Fits a probe on the features of `train` after block `block` and scores `test` (1/0 per sample).
    static func probeCorrect(_ model: TransferModel, block: Int, train: Dataset, test: Dataset, batchSize: Int) throws -> [Double] {
        let trainFeatures = try Transferability.features(model, data: train, throughBlocks: [block], batchSize: batchSize)[block]
        let testFeatures = try Transferability.features(model, data: test, throughBlocks: [block], batchSize: batchSize)[block]
        guard let trainFeatures, let testFeatures else { return [] }
        let probe = SoftmaxProbe.fit(trainFeatures.values.map { Float($0) }, count: train.count, labels: train.labels,
                                     classes: train.classNames.count)
        let d = testFeatures.columns
        return test.labels.enumerated().map { i, label in
            let row = testFeatures.values[(i * d)..<((i + 1) * d)].map { Float($0) }
            return probe.predict(row) == label ? 1 : 0
        }
    }
}

/// Multinomial logistic regression on standardised features, full-batch gradient descent
/// with a small L2 penalty: a deterministic linear probe.
struct SoftmaxProbe {
    var dimension: Int, classes: Int
    var mean: [Float], scale: [Float]
    var weights: [Float]   // [classes, dimension + 1] (last column: bias)

    static func fit(_ x: [Float], count n: Int, labels: [Int], classes k: Int, steps: Int = 300, rate: Float = 0.5, l2: Float = 1e-3) -> SoftmaxProbe {
        let d = n > 0 ? x.count / n : 0
        var mean = [Float](repeating: 0, count: d), scale = [Float](repeating: 1, count: d)
        for j in 0..<d {
            var s: Float = 0, s2: Float = 0
            for i in 0..<n { let v = x[i * d + j]; s += v; s2 += v * v }
            let m = s / Float(max(n, 1))
            mean[j] = m
            let variance = s2 / Float(max(n, 1)) - m * m
            scale[j] = variance > 1e-12 ? 1 / variance.squareRoot() : 1
        }
        var probe = SoftmaxProbe(dimension: d, classes: k, mean: mean, scale: scale, weights: [Float](repeating: 0, count: k * (d + 1)))
        let z = (0..<n).map { i in probe.standardised(Array(x[(i * d)..<((i + 1) * d)])) }
        for _ in 0..<steps {
            var grad = [Float](repeating: 0, count: k * (d + 1))
            for i in 0..<n {
                let p = probe.probabilities(z[i])
                for c in 0..<k {
                    let g = p[c] - (labels[i] == c ? 1 : 0)
                    for j in 0..<d { grad[c * (d + 1) + j] += g * z[i][j] }
                    grad[c * (d + 1) + d] += g
                }
            }
            for w in 0..<grad.count {
                let penalty = w % (d + 1) == d ? 0 : l2 * probe.weights[w]
                probe.weights[w] -= rate * (grad[w] / Float(max(n, 1)) + penalty)
            }
        }
        return probe
    }

    func standardised(_ row: [Float]) -> [Float] { (0..<dimension).map { (row[$0] - mean[$0]) * scale[$0] } }

    func probabilities(_ z: [Float]) -> [Float] {
        var logits = (0..<classes).map { c in
            (0..<dimension).reduce(weights[c * (dimension + 1) + dimension]) { $0 + weights[c * (dimension + 1) + $1] * z[$1] }
        }
        let top = logits.max() ?? 0
        logits = logits.map { Foundation.exp($0 - top) }
        let total = logits.reduce(0, +)
        return logits.map { $0 / total }
    }

    func predict(_ row: [Float]) -> Int {
        let p = probabilities(standardised(row))
        return p.indices.max { p[$0] < p[$1] } ?? 0
    }
}
