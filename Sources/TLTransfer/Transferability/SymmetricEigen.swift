import Foundation

/// Eigenvalues and eigenvectors of a real symmetric matrix by the cyclic Jacobi method, in
/// Double. Small and exact enough for the transferability scores, whose matrices are the
/// n×n or d×d Gram matrix of a few hundred samples or features.
struct SymmetricEigen {
    /// Eigenvalues, descending.
    var values: [Double]
    /// Eigenvectors as columns of an n×n row-major matrix: `vectors[i * n + k]` is component i
    /// of the eigenvector of `values[k]`.
    var vectors: [Double]
    var n: Int

    /// Decomposes the symmetric n×n row-major matrix `a` (only symmetry is assumed).
    init(_ matrix: [Double], n: Int) {
        precondition(matrix.count == n * n, "need an n×n matrix")
        var a = matrix
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        let scale = max(a.reduce(0) { max($0, abs($1)) }, .leastNormalMagnitude)
        for _ in 0..<100 {
            var off = 0.0
            for p in 0..<n { for q in (p + 1)..<max(p + 1, n) { off += a[p * n + q] * a[p * n + q] } }
            if off.squareRoot() <= 1e-15 * scale * Double(n) { break }
            for p in 0..<n {
                for q in (p + 1)..<max(p + 1, n) {
                    let apq = a[p * n + q]
                    if abs(apq) <= 1e-300 { continue }
                    let theta = (a[q * n + q] - a[p * n + p]) / (2 * apq)
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    // Rotate rows/columns p and q of a, and columns p and q of v.
                    for k in 0..<n {
                        let akp = a[k * n + p], akq = a[k * n + q]
                        a[k * n + p] = c * akp - s * akq
                        a[k * n + q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let apk = a[p * n + k], aqk = a[q * n + k]
                        a[p * n + k] = c * apk - s * aqk
                        a[q * n + k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let vkp = v[k * n + p], vkq = v[k * n + q]
                        v[k * n + p] = c * vkp - s * vkq
                        v[k * n + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        let order = (0..<n).sorted { a[$0 * n + $0] > a[$1 * n + $1] }
        values = order.map { a[$0 * n + $0] }
        var sorted = [Double](repeating: 0, count: n * n)
        for (k, j) in order.enumerated() { for i in 0..<n { sorted[i * n + k] = v[i * n + j] } }
        vectors = sorted
        self.n = n
    }

    /// Column k (the eigenvector of `values[k]`).
    func vector(_ k: Int) -> [Double] { (0..<n).map { vectors[$0 * n + k] } }
}
