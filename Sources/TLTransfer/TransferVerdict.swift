import Foundation

/// Whether fine-tuning from the source model helped, compared with training from scratch.
public enum TransferVerdict: String, Sendable, Codable {
    case positive = "positive transfer"
    case noSignificantDifference = "no significant difference"
    case negative = "negative transfer"
}

/// The transfer gain over paired seeds with a 95% confidence interval.
///
/// Seed `i` of the fine-tuned run and seed `i` of the scratch run share the same target
/// sample order and head initialisation, so their accuracies are paired; the gain is the
/// mean of the per-seed differences and the interval is a Student-t interval on that mean
/// (n − 1 degrees of freedom). With few seeds the interval is wide on purpose: `tl` only
/// claims a verdict the data supports.
public struct TransferGain: Sendable, Equatable {
    public var gains: [Double]
    public var mean: Double
    public var standardDeviation: Double
    public var lower: Double
    public var upper: Double
    public var verdict: TransferVerdict

    /// - Parameters:
    ///   - transferred: target accuracy of the fine-tuned model, one per seed.
    ///   - scratch: target accuracy of the scratch baseline, same seeds in the same order.
    ///   - margin: differences smaller than this are never called significant (practical
    ///     equivalence), e.g. 0.005 = half a point of accuracy.
    public init(transferred: [Double], scratch: [Double], margin: Double = 0) {
        precondition(transferred.count == scratch.count && !transferred.isEmpty, "need paired, non-empty results")
        let gains = zip(transferred, scratch).map { $0 - $1 }
        self.gains = gains
        let n = Double(gains.count)
        let mean = gains.reduce(0, +) / n
        self.mean = mean
        if gains.count > 1 {
            let variance = gains.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
            standardDeviation = variance.squareRoot()
            let half = Self.studentT975(degreesOfFreedom: gains.count - 1) * standardDeviation / n.squareRoot()
            lower = mean - half
            upper = mean + half
        } else {
            // One seed gives no spread estimate: the interval is unbounded.
            standardDeviation = .nan
            lower = -.infinity
            upper = .infinity
        }
        if lower > margin { verdict = .positive }
        else if upper < -margin { verdict = .negative }
        else { verdict = .noSignificantDifference }
    }

    /// The 0.975 quantile of Student's t distribution (two-sided 95%), exact to 3 decimals
    /// for 1–30 degrees of freedom, then the Cornish–Fisher expansion around the normal.
    public static func studentT975(degreesOfFreedom df: Int) -> Double {
        let table: [Double] = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                               2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                               2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]
        if df >= 1 && df <= table.count { return table[df - 1] }
        let z = 1.959_963_985, v = Double(Swift.max(df, 1))
        return z + (z * z * z + z) / (4 * v) + (5 * pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * v * v)
    }
}
