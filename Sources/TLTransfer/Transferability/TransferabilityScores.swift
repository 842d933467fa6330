import Foundation

/// Features of n samples as an n×d row-major matrix in Double (`[n, d]`).
public struct FeatureMatrix: Sendable, Equatable {
    public var rows: Int
    public var columns: Int
    public var values: [Double]

    public init(rows: Int, columns: Int, values: [Double]) throws {
        guard rows >= 1, columns >= 1, values.count == rows * columns else {
            throw TransferabilityError.shape("a feature matrix of \(rows)×\(columns) needs \(rows * columns) values, got \(values.count)")
        }
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    subscript(i: Int, j: Int) -> Double { values[i * columns + j] }

    /// The n×n Gram matrix F Fᵀ (or of the centered features when `centered`).
    func gram(centered: Bool = false) -> [Double] {
        let f = centered ? self.centered() : values
        var g = [Double](repeating: 0, count: rows * rows)
        for i in 0..<rows {
            for j in i..<rows {
                var s = 0.0
                for k in 0..<columns { s += f[i * columns + k] * f[j * columns + k] }
                g[i * rows + j] = s
                g[j * rows + i] = s
            }
        }
        return g
    }

    /// The d×d matrix Fᵀ F (or of the centered features when `centered`).
    func scatter(centered: Bool = false) -> [Double] {
        let f = centered ? self.centered() : values
        var g = [Double](repeating: 0, count: columns * columns)
        for i in 0..<rows {
            for a in 0..<columns {
                let x = f[i * columns + a]
                if x == 0 { continue }
                for b in a..<columns { g[a * columns + b] += x * f[i * columns + b] }
            }
        }
        for a in 0..<columns { for b in 0..<a { g[a * columns + b] = g[b * columns + a] } }
        return g
    }

    /// The values with each column's mean subtracted.
    func centered() -> [Double] {
        var mean = [Double](repeating: 0, count: columns)
        for i in 0..<rows { for j in 0..<columns { mean[j] += values[i * columns + j] } }
        for j in 0..<columns { mean[j] /= Double(rows) }
        var out = values
        for i in 0..<rows { for j in 0..<columns { out[i * columns + j] -= mean[j] } }
        return out
    }
}

/// Why a score cannot be computed on the given inputs.
public enum TransferabilityError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case shape(String)
    case labels(String)
    public var description: String {
        switch self { case .shape(let m), .labels(let m): return m }
    }
    public var errorDescription: String? { description }
}

/// Transferability estimators: how well a source model's features (or its source head's
/// predictions) suit a labelled target, computed without fine-tuning. Every function follows
/// its paper's formula; `Scripts/transferability_reference.py` is the NumPy twin the tests
/// compare against.
public enum Transferability {
    /// Eigenvalues below this fraction of the largest are treated as zero (rank decisions in
    /// LogME and the pseudo-inverse of H-score).
    public static let relativeTolerance = 1e-10

    /// LogME (You et al., ICML 2021): the log marginal evidence per sample of a Bayesian
    /// linear model `y = wᵀf + ε`, `w ~ N(0, α⁻¹I)`, `ε ~ N(0, β⁻¹)`, fitted by the paper's
    /// fixed-point iteration (at most 11 steps, stopping when α/β changes by ≤ 0.1%), for the
    /// one-hot indicator of each class, averaged over classes. The log-determinant counts all
    /// d eigenvalues of `α I + β FᵀF` (zero ones included). Higher is better.
    public static func logME(_ f: FeatureMatrix, labels: [Int], classes: Int) throws -> Double {
        try check(labels, rows: f.rows, classes: classes)
        let n = f.rows, d = f.columns
        // σ = nonzero eigenvalues of FᵀF; u = the matching unit vectors in sample space.
        var sigma: [Double] = [], us: [[Double]] = []
        if n <= d {
            let e = SymmetricEigen(f.gram(), n: n)
            let top = max(e.values.first ?? 0, 0)
            for k in 0..<n where e.values[k] > relativeTolerance * top && e.values[k] > 0 {
                sigma.append(e.values[k]); us.append(e.vector(k))
            }
        } else {
            let e = SymmetricEigen(f.scatter(), n: d)
            let top = max(e.values.first ?? 0, 0)
            for k in 0..<d where e.values[k] > relativeTolerance * top && e.values[k] > 0 {
                let v = e.vector(k), s = e.values[k].squareRoot()
                sigma.append(e.values[k])
                us.append((0..<n).map { i in (0..<d).reduce(0.0) { $0 + f[i, $1] * v[$1] } / s })
            }
        }
        let N = Double(n), D = Double(d), zeroCount = Double(d - sigma.count)
        var total = 0.0
        for c in 0..<classes {
            let y = labels.map { $0 == c ? 1.0 : 0.0 }
            let x2 = us.map { u in let x = zip(u, y).reduce(0.0) { $0 + $1.0 * $1.1 }; return x * x }
            let residualOutside = y.reduce(0, +) - x2.reduce(0, +)
            var alpha = 1.0, beta = 1.0
            var evidence = 0.0
            func evaluate() -> (gamma: Double, m2: Double, res2: Double) {
                let t = alpha / beta
                var gamma = 0.0, m2 = 0.0, res2 = residualOutside
                for (s, xx) in zip(sigma, x2) {
                    gamma += s / (s + t)
                    m2 += s * xx / ((t + s) * (t + s))
                    res2 += xx / ((1 + s / t) * (1 + s / t))
                }
                return (gamma, m2, res2)
            }
            func logEvidence(m2: Double, res2: Double) -> Double {
                let logDet = sigma.reduce(0.0) { $0 + log(alpha + beta * $1) } + zeroCount * log(alpha)
                return (D / 2 * log(alpha) + N / 2 * log(beta) - 0.5 * logDet - beta / 2 * res2 - alpha / 2 * m2
                        - N / 2 * log(2 * Double.pi)) / N
            }
            for _ in 0..<11 {
                let t = alpha / beta
                let (gamma, m2, res2) = evaluate()
                alpha = gamma / (m2 + 1e-5)
                beta = (N - gamma) / (res2 + 1e-5)
                evidence = logEvidence(m2: m2, res2: res2)
                if abs(alpha / beta - t) / t <= 1e-3 { break }
            }
            let (_, m2, res2) = evaluate()
            evidence = logEvidence(m2: m2, res2: res2)
            total += evidence
        }
        return total / Double(classes)
    }

    /// LEEP (Nguyen et al., ICML 2020): `(1/n) Σᵢ log Σ_z P̂(yᵢ|z) θ(xᵢ)_z`, where θ is the
    /// source head's predicted distribution over its Z labels (`probabilities`, n×Z row-major)
    /// and P̂(y|z) the empirical conditional from the joint `(1/n) Σ_{i: yᵢ=y} θ(xᵢ)_z`. ≤ 0;
    /// higher is better.
    public static func leep(probabilities: [Double], sourceClasses z: Int, labels: [Int], classes: Int) throws -> Double {
        let n = labels.count
        guard z >= 1, probabilities.count == n * z else {
            throw TransferabilityError.shape("LEEP needs \(n)×\(z) source probabilities, got \(probabilities.count) values")
        }
        try check(labels, rows: n, classes: classes)
        var joint = [Double](repeating: 0, count: classes * z)
        for i in 0..<n { for k in 0..<z { joint[labels[i] * z + k] += probabilities[i * z + k] / Double(n) } }
        var marginal = [Double](repeating: 0, count: z)
        for y in 0..<classes { for k in 0..<z { marginal[k] += joint[y * z + k] } }
        var sum = 0.0
        for i in 0..<n {
            var p = 0.0
            for k in 0..<z where marginal[k] > 0 { p += joint[labels[i] * z + k] / marginal[k] * probabilities[i * z + k] }
            sum += log(p)
        }
        return sum / Double(n)
    }

    /// NCE, negative conditional entropy (Tran et al., ICCV 2019): `−H(Y|Z) = Σ_{y,z} P̂(y,z) log P̂(y|z)`
    /// with Z the source head's hard label (argmax) of each target sample. ≤ 0; higher is better.
    public static func nce(sourceLabels: [Int], labels: [Int], classes: Int) throws -> Double {
        let n = labels.count
        guard sourceLabels.count == n else { throw TransferabilityError.shape("NCE needs one source label per sample: \(sourceLabels.count) for \(n)") }
        try check(labels, rows: n, classes: classes)
        let z = (sourceLabels.max() ?? 0) + 1
        var joint = [Double](repeating: 0, count: classes * z)
        for i in 0..<n { joint[labels[i] * z + sourceLabels[i]] += 1 / Double(n) }
        var sum = 0.0
        for k in 0..<z {
            let pz = (0..<classes).reduce(0.0) { $0 + joint[$1 * z + k] }
            for y in 0..<classes where joint[y * z + k] > 0 { sum += joint[y * z + k] * log(joint[y * z + k] / pz) }
        }
        return sum
    }

    /// H-score (Bao et al., ICIP 2019): `tr(cov(f)⁺ cov(E[f|y]))`, the pseudo-inverse keeping
    /// eigenvalues above `relativeTolerance` of the largest (computed in the smaller of sample
    /// and feature space). At most the number of classes − 1; higher is better. With fewer
    /// samples than feature dimensions every class split is linearly separable and the score
    /// saturates at that bound.
    public static func hScore(_ f: FeatureMatrix, labels: [Int], classes: Int) throws -> Double {
        try check(labels, rows: f.rows, classes: classes)
        let n = f.rows, d = f.columns
        let counts = (0..<classes).map { c in labels.filter { $0 == c }.count }
        // Class-mean features of the centered data: g_i = mean of f over i's class.
        let fc = f.centered()
        var means = [Double](repeating: 0, count: classes * d)
        for i in 0..<n { for j in 0..<d { means[labels[i] * d + j] += fc[i * d + j] / Double(counts[labels[i]]) } }
        if n <= d {
            // tr(Cf⁺ Cg) = Σ_k u_kᵀ P u_k over the range of the centered Gram matrix, P the class-averaging projection.
            let e = SymmetricEigen(f.gram(centered: true), n: n)
            let top = max(e.values.first ?? 0, 0)
            var h = 0.0
            for k in 0..<n where e.values[k] > relativeTolerance * top && e.values[k] > 0 {
                let u = e.vector(k)
                var sums = [Double](repeating: 0, count: classes)
                for i in 0..<n { sums[labels[i]] += u[i] }
                for c in 0..<classes where counts[c] > 0 { h += sums[c] * sums[c] / Double(counts[c]) }
            }
            return h
        }
        // Feature space: Cf = FcᵀFc/(n−1), Cg = Σ_c n_c m_c m_cᵀ/(n−1); the (n−1) cancels.
        let e = SymmetricEigen(f.scatter(centered: true), n: d)
        let top = max(e.values.first ?? 0, 0)
        var h = 0.0
        for k in 0..<d where e.values[k] > relativeTolerance * top && e.values[k] > 0 {
            let v = e.vector(k)
            for c in 0..<classes where counts[c] > 0 {
                let proj = (0..<d).reduce(0.0) { $0 + means[c * d + $1] * v[$1] }
                h += Double(counts[c]) * proj * proj / e.values[k]
            }
        }
        return h
    }

    static func check(_ labels: [Int], rows: Int, classes: Int) throws {
        guard labels.count == rows else { throw TransferabilityError.shape("\(labels.count) labels for \(rows) feature rows") }
        guard classes >= 2 else { throw TransferabilityError.labels("scores need at least two target classes, got \(classes)") }
        if let bad = labels.first(where: { $0 < 0 || $0 >= classes }) {
            throw TransferabilityError.labels("label \(bad) is outside 0..<\(classes)")
        }
    }
}
