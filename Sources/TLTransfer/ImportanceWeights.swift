import Foundation
import TLTensor
import TLData
import TLModels

/// Importance weights for covariate shift: how much more likely a training (source) input is
/// under the target distribution, from a domain classifier's density ratio.
///
/// The classifier is an L2-regularised logistic regression on the **flattened inputs** as the
/// model sees them (fitted and normalised), each feature standardised over both domains, trained
/// by full-batch gradient descent (Nesterov momentum, a fixed budget of steps; seeded and
/// deterministic). With p = P(target | x), the weight of source sample x is
///
///     w(x) = p / (1 − p) · n_s / n_t          (the density ratio p_t(x) / p_s(x))
///
/// Weights above the `clipPercentile`-th percentile of the raw weights are clipped to it (a
/// few near-certain "target-looking" samples would otherwise dominate the loss), then all are
/// scaled to mean 1. The effective sample size (Σw)² / Σw² says how many unweighted samples the
/// weighted set is worth.
public enum ImportanceWeights {
    public struct Estimate: Sendable {
        public var weights: [Float]
        public var clipValue: Double
        public var effectiveSampleSize: Double
        /// Training accuracy of the domain classifier (0.5: it cannot tell the domains apart).
        public var domainAccuracy: Double
    }

    /// Describes the classifier for plans and checkpoints.
    public static let classifierDescription = "logistic regression on the standardised flattened inputs"

    /// Weights for the samples of `source` toward `target` (both prepared the same way).
    public static func estimate(source: Dataset, target: Dataset, clipPercentile: Double = 95,
                                steps: Int = 300, l2: Float = 1e-3) throws -> Estimate {
        let d = source.sampleShape.reduce(1, *)
        guard target.sampleShape.reduce(1, *) == d else {
            throw TrainingError("target samples have shape \(target.sampleShape), the training samples \(source.sampleShape)")
        }
        guard source.count >= 2, target.count >= 2 else { throw TrainingError("the domain classifier needs at least 2 samples per domain") }
        guard clipPercentile > 0, clipPercentile <= 100 else { throw TrainingError("the clip percentile must be in (0, 100], got \(clipPercentile)") }
        let ns = source.count, nt = target.count, n = ns + nt
        // Standardise each feature over both domains.
        var mean = [Double](repeating: 0, count: d), sq = [Double](repeating: 0, count: d)
        for data in [source.features, target.features] {
            for row in stride(from: 0, to: data.count, by: d) {
                for k in 0..<d { let v = Double(data[row + k]); mean[k] += v; sq[k] += v * v }
            }
        }
        let mu = mean.map { Float($0 / Double(n)) }
        let sigma = (0..<d).map { k in Float(Swift.max(1e-3, (sq[k] / Double(n) - (mean[k] / Double(n)) * (mean[k] / Double(n))).squareRoot())) }
        // Also scaled by 1/√d: then the largest eigenvalue of XᵀX/n is at most 1, so the
        // logistic loss is 1/4-smooth and the fixed step below is stable for any input size.
        let scale = 1 / Float(d).squareRoot()
        var xs = [Float](repeating: 0, count: n * d)
        for (offset, data) in [(0, source.features), (ns, target.features)] {
            for i in 0..<(data.count / d) {
                for k in 0..<d { xs[(offset + i) * d + k] = (data[i * d + k] - mu[k]) / sigma[k] * scale }
            }
        }
        let x = try Tensor(xs, shape: [n, d])
        let y = [Float](repeating: 0, count: ns) + [Float](repeating: 1, count: nt)
        // Gradient descent with Nesterov momentum on the mean logistic loss + l2/2 ‖w‖².
        var w = [Float](repeating: 0, count: d), b: Float = Float(Foundation.log(Double(nt) / Double(ns)))
        var vw = [Float](repeating: 0, count: d), vb: Float = 0
        let lr: Float = 2, momentum: Float = 0.9
        func probabilities(_ w: [Float], _ b: Float) throws -> [Float] {
            let z = try withNoGrad { try x.matmul(try Tensor(w, shape: [d, 1])) }.scalars
            return z.map { 1 / (1 + Foundation.exp(-($0 + b))) }
        }
        for _ in 0..<steps {
            let lookW = zip(w, vw).map { $0 + momentum * $1 }, lookB = b + momentum * vb
            let p = try probabilities(lookW, lookB)
            let r = zip(p, y).map { ($0 - $1) / Float(n) }
            let gw = try withNoGrad { try x.matmul(try Tensor(r, shape: [n, 1]), transposeSelf: true) }.scalars
            let gb = r.reduce(0, +)
            for k in 0..<d { vw[k] = momentum * vw[k] - lr * (gw[k] + l2 * lookW[k]); w[k] += vw[k] }
            vb = momentum * vb - lr * gb
            b += vb
        }
        let p = try probabilities(w, b)
        let correct = (0..<n).filter { (p[$0] >= 0.5) == (y[$0] == 1) }.count
        let ratio = Double(ns) / Double(nt)
        let raw = p[0..<ns].map { pi -> Double in
            let q = Swift.min(Swift.max(Double(pi), 1e-6), 1 - 1e-6)
            return q / (1 - q) * ratio
        }
        let sorted = raw.sorted()
        let clip = sorted[Swift.min(ns - 1, Swift.max(0, Int((clipPercentile / 100 * Double(ns)).rounded(.up)) - 1))]
        let clipped = raw.map { Swift.min($0, clip) }
        let meanWeight = clipped.reduce(0, +) / Double(ns)
        let weights = clipped.map { $0 / meanWeight }
        let sum = weights.reduce(0, +), sumSquares = weights.reduce(0) { $0 + $1 * $1 }
        return Estimate(weights: weights.map(Float.init), clipValue: clip, effectiveSampleSize: sum * sum / sumSquares,
                        domainAccuracy: Double(correct) / Double(n))
    }
}
