import Foundation

/// Principal components by power iteration (no matrix library): enough for a 2-D view of a
/// few hundred feature vectors.
public enum PCA {
    /// The first `components` principal axes of row-major `x` (`[n, d]`), the projections of
    /// every row on them, and the fraction of total variance each explains. Deterministic
    /// (fixed start vector); 100 iterations or convergence.
    public static func project(_ x: [Float], rows n: Int, columns d: Int, components: Int = 2)
        -> (projections: [[Double]], explained: [Double]) {
        guard n > 1, d > 0, x.count == n * d else { return (Array(repeating: Array(repeating: 0, count: n), count: components), Array(repeating: 0, count: components)) }
        var mean = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { mean[j] += Double(x[i * d + j]) } }
        for j in 0..<d { mean[j] /= Double(n) }
        var centered = [Double](repeating: 0, count: n * d)
        var total = 0.0
        for i in 0..<n {
            for j in 0..<d {
                let v = Double(x[i * d + j]) - mean[j]
                centered[i * d + j] = v
                total += v * v
            }
        }
        var axes: [[Double]] = []
        var projections: [[Double]] = []
        var explained: [Double] = []
        for k in 0..<components {
            // v ← Xᵀ X v, orthogonalised against the axes found so far.
            var v = (0..<d).map { j in 1 + 0.01 * Double((j * 7 + k * 13) % 17) }
            normalize(&v)
            var lambda = 0.0
            for _ in 0..<100 {
                var xv = [Double](repeating: 0, count: n)
                for i in 0..<n { var s = 0.0; for j in 0..<d { s += centered[i * d + j] * v[j] }; xv[i] = s }
                var next = [Double](repeating: 0, count: d)
                for i in 0..<n { let a = xv[i]; if a != 0 { for j in 0..<d { next[j] += centered[i * d + j] * a } } }
                for axis in axes {
                    let dot = zip(next, axis).reduce(0) { $0 + $1.0 * $1.1 }
                    for j in 0..<d { next[j] -= dot * axis[j] }
                }
                lambda = normalize(&next)
                let change = zip(next, v).reduce(0) { $0 + abs($1.0 - $1.1) }
                v = next
                if change < 1e-9 { break }
            }
            axes.append(v)
            projections.append((0..<n).map { i in (0..<d).reduce(0) { $0 + centered[i * d + $1] * v[$1] } })
            explained.append(total > 0 ? lambda / total : 0)
        }
        return (projections, explained)
    }

    /// Scales `v` to unit length; returns its former length.
    @discardableResult
    static func normalize(_ v: inout [Double]) -> Double {
        let length = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if length > 0 { for j in v.indices { v[j] /= length } }
        return length
    }
}
