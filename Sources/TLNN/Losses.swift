import TLTensor

/// How per-example losses are combined.
public enum LossReduction: Sendable, Equatable {
    /// The (weighted) mean over examples.
    case mean
    /// The sum over examples.
    case sum
    /// No reduction: one loss per example.
    case none
}

/// Loss functions. All are composites of differentiable primitives and numerically stable
/// for any finite logits.
public enum Loss {
    /// Softmax cross-entropy from logits with integer class labels, PyTorch's
    /// `cross_entropy(logits, labels, weight:, label_smoothing:, reduction:)`:
    ///
    ///     logits: [N, C], labels: N ints in 0..<C → [] (mean/sum) or [N] (none)
    ///     ℓᵢ = (1 − ε)·w[yᵢ]·(−log pᵢ[yᵢ]) + (ε/C)·Σ_c w[c]·(−log pᵢ[c])
    ///     mean = Σ ℓᵢ / Σ w[yᵢ]   (= plain mean without class weights)
    ///
    /// Rows whose label equals `ignoreIndex` (PyTorch's `ignore_index`, e.g. padding tokens)
    /// contribute 0 and are left out of the mean's denominator. log p comes from the
    /// max-shifted log-softmax, so huge logits do not overflow.
    public static func crossEntropy(logits: Tensor, labels: [Int], labelSmoothing: Float = 0,
                                    classWeights: [Float]? = nil, ignoreIndex: Int? = nil,
                                    reduction: LossReduction = .mean) throws -> Tensor {
        guard logits.rank == 2 else {
            throw ModuleError.invalidInput(layer: "crossEntropy", message: "logits must be [N, C], got \(logits.shape)")
        }
        let (n, c) = (logits.shape[0], logits.shape[1])
        guard labels.count == n else {
            throw ModuleError.invalidInput(layer: "crossEntropy", message: "\(labels.count) labels for \(n) rows of logits")
        }
        if let bad = labels.first(where: { ($0 < 0 || $0 >= c) && $0 != ignoreIndex }) {
            throw ModuleError.invalidInput(layer: "crossEntropy", message: "label \(bad) is outside 0..<\(c)")
        }
        guard labelSmoothing >= 0, labelSmoothing <= 1 else {
            throw ModuleError.invalidInput(layer: "crossEntropy", message: "label smoothing must be in [0, 1], got \(labelSmoothing)")
        }
        if let w = classWeights, w.count != c {
            throw ModuleError.invalidInput(layer: "crossEntropy", message: "\(w.count) class weights for \(c) classes")
        }
        let w = classWeights ?? [Float](repeating: 1, count: c)
        // Constant target weights T[i, c]; the loss is −Σ_c T[i, c]·log p[i, c].
        var target = [Float](repeating: 0, count: n * c)
        let spread = labelSmoothing / Float(c)
        var normalizer: Float = 0
        for i in 0..<n where labels[i] != ignoreIndex {
            if spread != 0 { for k in 0..<c { target[i * c + k] = spread * w[k] } }
            target[i * c + labels[i]] += (1 - labelSmoothing) * w[labels[i]]
            normalizer += w[labels[i]]
        }
        let perExample = try -(logits.logSoftmax(axis: -1) * Tensor(target, shape: [n, c])).sum(axis: 1)   // [N]
        switch reduction {
        case .none: return perExample
        case .sum: return perExample.sum()
        case .mean: return perExample.sum() * (1 / normalizer)
        }
    }

    /// Binary cross-entropy on logits, elementwise against targets in [0, 1]:
    ///
    ///     logits, targets: same shape → [] (mean/sum) or that shape (none)
    ///     ℓ = max(x, 0) − x·y + log(1 + e^−|x|) = softplus(x) − x·y
    ///
    /// `positiveWeight` (PyTorch's `pos_weight`) scales the positive term:
    /// ℓ = pw·y·softplus(−x) + (1 − y)·softplus(x).
    public static func binaryCrossEntropyWithLogits(logits: Tensor, targets: Tensor, positiveWeight: Float? = nil,
                                                    reduction: LossReduction = .mean) throws -> Tensor {
        guard logits.shape == targets.shape else {
            throw ModuleError.invalidInput(layer: "binaryCrossEntropyWithLogits",
                                           message: "logits \(logits.shape) and targets \(targets.shape) differ")
        }
        let y = targets.detached()
        let loss: Tensor
        if let pw = positiveWeight {
            loss = try (y * pw) * (-logits).softplus() + (1 - y) * logits.softplus()
        } else {
            loss = try logits.softplus() - logits * y
        }
        return reduce(loss, reduction)
    }

    /// Mean squared error, elementwise:  prediction, target: same shape → [] or that shape.
    public static func meanSquaredError(_ prediction: Tensor, _ target: Tensor, reduction: LossReduction = .mean) throws -> Tensor {
        guard prediction.shape == target.shape else {
            throw ModuleError.invalidInput(layer: "meanSquaredError", message: "prediction \(prediction.shape) and target \(target.shape) differ")
        }
        return reduce(try (prediction - target).pow(2), reduction)
    }

    private static func reduce(_ loss: Tensor, _ reduction: LossReduction) -> Tensor {
        switch reduction {
        case .none: return loss
        case .sum: return loss.sum()
        case .mean: return loss.mean()
        }
    }
}
