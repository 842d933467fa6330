import TLTensor

/// Re-weighted losses: class weights (imbalanced targets) and per-sample importance weights
/// (covariate shift).
extension Loss {
    /// Cross-entropy with class weights and per-sample weights:
    ///
    ///     logits: [N, C], labels: N ints, sampleWeights: N non-negative (nil: all 1) → []
    ///     ℓᵢ = cross-entropy of row i with class weights w (see `crossEntropy`)
    ///     loss = Σ sᵢ·ℓᵢ / Σ sᵢ·w[yᵢ]
    ///
    /// Without sample weights this is exactly `crossEntropy(…, classWeights:, reduction: .mean)`
    /// (PyTorch's weighted mean); with them each row counts sᵢ times.
    public static func weightedCrossEntropy(logits: Tensor, labels: [Int], classWeights: [Float]?, sampleWeights: [Float]?,
                                            labelSmoothing: Float = 0) throws -> Tensor {
        guard let s = sampleWeights else {
            return try crossEntropy(logits: logits, labels: labels, labelSmoothing: labelSmoothing, classWeights: classWeights)
        }
        guard s.count == labels.count else {
            throw ModuleError.invalidInput(layer: "weightedCrossEntropy", message: "\(s.count) sample weights for \(labels.count) labels")
        }
        guard s.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
            throw ModuleError.invalidInput(layer: "weightedCrossEntropy", message: "sample weights must be finite and ≥ 0")
        }
        let perExample = try crossEntropy(logits: logits, labels: labels, labelSmoothing: labelSmoothing, classWeights: classWeights,
                                          reduction: .none)   // [N]
        let w = classWeights ?? [Float](repeating: 1, count: logits.shape[1])
        var normalizer: Float = 0
        for (i, y) in labels.enumerated() { normalizer += s[i] * w[y] }
        guard normalizer > 0 else { return (perExample * 0).sum() }
        return try (perExample * Tensor(s, shape: [s.count])).sum() * (1 / normalizer)
    }

    /// Balanced class weights n / (k · n_c) from class counts (sklearn's `class_weight="balanced"`):
    /// each class contributes equally to the loss; a class with no sample gets weight 0.
    public static func balancedClassWeights(counts: [Int]) -> [Double] {
        let n = Double(counts.reduce(0, +)), k = Double(counts.filter { $0 > 0 }.count)
        return counts.map { $0 > 0 ? n / (k * Double($0)) : 0 }
    }
}
