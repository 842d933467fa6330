/// Per-channel standardisation `(x - mean[c]) / std[c]`, fitted on a training split only and
/// then applied unchanged to validation/test data (so no statistics leak from held-out data).
public struct Normalization: Sendable, Equatable, Codable {
    public var mean: [Float]
    public var std: [Float]

    public init(mean: [Float], std: [Float]) {
        self.mean = mean
        self.std = std
    }

    /// Computes per-channel mean and standard deviation over every value of `train`.
    /// Channels are the last dimension of the sample shape (one channel for flat features).
    /// Accumulates in Double so 50 M-value sums keep full Float precision; a zero std becomes 1.
    public static func fit(_ train: Dataset) throws -> Normalization {
        guard train.count > 0, train.sampleSize > 0 else { throw DataError(file: train.source, reason: "cannot fit normalisation on an empty data set") }
        let c = train.channels
        var sum = [Double](repeating: 0, count: c), sq = [Double](repeating: 0, count: c)
        train.features.withUnsafeBufferPointer { f in
            var i = 0
            while i < f.count {
                for k in 0..<c { let v = Double(f[i + k]); sum[k] += v; sq[k] += v * v }
                i += c
            }
        }
        let n = Double(train.features.count / c)
        var mean = [Float](), std = [Float]()
        for k in 0..<c {
            let m = sum[k] / n
            let variance = max(0, sq[k] / n - m * m)
            mean.append(Float(m))
            std.append(variance > 1e-12 ? Float(variance.squareRoot()) : 1)
        }
        return Normalization(mean: mean, std: std)
    }

    /// `data` standardised with these statistics.
    public func apply(to data: Dataset) throws -> Dataset {
        let c = data.channels
        guard c == mean.count else {
            throw DataError(file: data.source, reason: "normalisation has \(mean.count) channels, data has \(c)")
        }
        var d = data
        let inv = std.map { 1 / $0 }
        d.features.withUnsafeMutableBufferPointer { f in
            var i = 0
            while i < f.count {
                for k in 0..<c { f[i + k] = (f[i + k] - mean[k]) * inv[k] }
                i += c
            }
        }
        return d
    }
}
