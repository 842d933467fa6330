import Foundation
import TLTensor

/// How a batch was mixed: each sample `i` is `lambda` of itself and `1 − lambda` of sample
/// `partner[i]`, so its loss is `lambda · CE(label) + (1 − lambda) · CE(partnerLabels[i])`.
public struct BatchMix: Sendable, Equatable {
    public var partnerLabels: [Int]
    public var lambda: Float
    public init(partnerLabels: [Int], lambda: Float) { self.partnerLabels = partnerLabels; self.lambda = lambda }
}

extension Augmentation {
    /// Mixup (blend) or cutmix (pasted box) of a whole batch, with a Beta(α, α) weight and a
    /// random pairing; nil when the plan has neither or the batch has one sample.
    /// // batch: [count, H, W, C]
    public func mixBatch(_ batch: inout [Float], labels: [Int], sampleShape: [Int], using rng: inout SeededGenerator) -> BatchMix? {
        let n = labels.count
        guard n > 1, let alpha = plan.mixup ?? plan.cutmix else { return nil }
        var partner = Array(0..<n)
        partner.seededShuffle(using: &rng)
        var lambda = Float(Self.beta(alpha, &rng))
        let size = sampleShape.reduce(1, *)
        let source = batch
        if plan.mixup != nil || sampleShape.count != 3 {
            for i in 0..<n {
                let a = i * size, p = partner[i] * size
                for j in 0..<size { batch[a + j] = lambda * source[a + j] + (1 - lambda) * source[p + j] }
            }
        } else {
            // Cutmix: one box of area (1 − λ) at a random centre, clipped; λ = the kept area.
            let (h, w, c) = (sampleShape[0], sampleShape[1], sampleShape[2])
            let cut = (1 - Double(lambda)).squareRoot()
            let bh = Int(Double(h) * cut), bw = Int(Double(w) * cut)
            let cy = rng.nextInt(below: h), cx = rng.nextInt(below: w)
            let y0 = max(0, cy - bh / 2), y1 = min(h, cy + bh / 2), x0 = max(0, cx - bw / 2), x1 = min(w, cx + bw / 2)
            for i in 0..<n {
                let a = i * size, p = partner[i] * size
                for y in y0..<max(y0, y1) {
                    for x in x0..<max(x0, x1) { for k in 0..<c { batch[a + (y * w + x) * c + k] = source[p + (y * w + x) * c + k] } }
                }
            }
            lambda = 1 - Float(max(0, y1 - y0) * max(0, x1 - x0)) / Float(h * w)
        }
        return BatchMix(partnerLabels: partner.map { labels[$0] }, lambda: lambda)
    }

    /// A Beta(α, α) draw from two Gamma(α) draws (Marsaglia–Tsang).
    static func beta(_ alpha: Double, _ rng: inout SeededGenerator) -> Double {
        let x = gamma(alpha, &rng), y = gamma(alpha, &rng)
        return x + y > 0 ? x / (x + y) : 0.5
    }

    static func gamma(_ alpha: Double, _ rng: inout SeededGenerator) -> Double {
        if alpha < 1 {
            let u = max(Double(rng.nextUniform()), 1e-12)
            return gamma(alpha + 1, &rng) * pow(u, 1 / alpha)
        }
        let d = alpha - 1.0 / 3, c = 1 / (9 * d).squareRoot()
        while true {
            var x: Double, v: Double
            repeat { x = Double(rng.nextNormal()); v = 1 + c * x } while v <= 0
            v = v * v * v
            let u = Double(rng.nextUniform())
            if u < 1 - 0.0331 * x * x * x * x || log(max(u, 1e-300)) < 0.5 * x * x + d * (1 - v + log(v)) { return d * v }
        }
    }
}
