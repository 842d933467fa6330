import TLTensor

/// Batch normalisation over every axis but the last (channels-last):
///
///     x: [N, C] (1-D) or [N, H, W, C] (2-D) → same shape
///     weight, bias: [C];  buffers runningMean, runningVar: [C], numBatchesTracked: []
///
/// Uses the batch's statistics in training mode, and the running statistics in eval mode
/// **and whenever the layer is frozen** (its parameters frozen), in which case the running
/// statistics are not updated either. Running updates follow PyTorch:
/// running ← (1 − momentum)·running + momentum·batch, with the *unbiased* batch variance for
/// runningVar while normalisation uses the biased one. Init: weight 1, bias 0, mean 0, var 1.
public final class BatchNorm: Layer {
    public let weight: Parameter
    public let bias: Parameter
    public let runningMean: Buffer
    public let runningVar: Buffer
    public let numBatchesTracked: Buffer
    public let featureCount: Int
    public let epsilon: Float
    public let momentum: Float

    public init(featureCount: Int, epsilon: Float = 1e-5, momentum: Float = 0.1) throws {
        guard featureCount > 0, epsilon >= 0, momentum >= 0, momentum <= 1 else {
            throw ModuleError.invalidConfiguration(layer: "BatchNorm",
                message: "need features > 0, epsilon ≥ 0, momentum in [0, 1] (got \(featureCount), \(epsilon), \(momentum))")
        }
        self.featureCount = featureCount; self.epsilon = epsilon; self.momentum = momentum
        weight = Parameter(Tensor.ones([featureCount]))
        bias = Parameter(Tensor.zeros([featureCount]))
        runningMean = Buffer(Tensor.zeros([featureCount]))
        runningVar = Buffer(Tensor.ones([featureCount]))
        numBatchesTracked = Buffer(Tensor(scalar: 0))
    }

    /// Sees every input of a running-statistics forward pass (AdaBN collects target statistics
    /// with it); while set, fused inference paths that fold this layer away are not taken.
    public var inputObserver: ((Tensor) -> Void)? = nil

    /// Whether the forward pass uses batch statistics (training mode and not frozen).
    public var usesBatchStatistics: Bool { isTraining && !(weight.isFrozen && bias.isFrozen) }

    public override func forward(_ x: Tensor) throws -> Tensor {
        try forward(x, clampTo: -.infinity, .infinity)
    }

    /// BatchNorm followed by clamp(·, lower, upper) (0, 6: ReLU6). With batch statistics this is
    /// one fused primitive (two passes forward and backward, `Tensor.batchNormTraining`).
    public func forward(_ x: Tensor, clampTo lower: Float, _ upper: Float) throws -> Tensor {
        guard x.rank >= 2, x.shape[x.rank - 1] == featureCount else {
            throw ModuleError.invalidInput(layer: "BatchNorm(\(featureCount))", message: "expected [N, …, \(featureCount)], got \(x.shape)")
        }
        if usesBatchStatistics {
            let n = x.count / featureCount
            guard n > 1 else {
                throw ModuleError.invalidInput(layer: "BatchNorm", message: "training needs more than one value per channel, got input \(x.shape)")
            }
            let (y, mean, variance) = try x.batchNormTraining(weight: weight.value, bias: bias.value, epsilon: epsilon,
                                                              lower: lower, upper: upper)
            try withNoGrad {
                let m = momentum
                let unbiased = variance * (Float(n) / Float(n - 1))
                runningMean.value = try runningMean.value * (1 - m) + mean * m
                runningVar.value = try runningVar.value * (1 - m) + unbiased * m
                numBatchesTracked.value = numBatchesTracked.value + 1
            }
            return y
        }
        inputObserver?(x)
        let y: Tensor
        if Tensor.needsNoGradient(x, weight.value, bias.value) {
            // One pass instead of four, rounding exactly as the composite below.
            y = try x.batchNormInference(mean: runningMean.value, std: (runningVar.value + epsilon).sqrt(),
                                         weight: weight.value, bias: bias.value)
        } else {
            y = try ((x - runningMean.value) / (runningVar.value + epsilon).sqrt()) * weight.value + bias.value
        }
        return lower == -.infinity && upper == .infinity ? y : y.clamp(min: lower, max: upper)
    }

    /// The composite training-mode forward (mean, centring, variance, scaling op by op), kept
    /// as the reference the fused primitive is tested against; does not touch the running statistics.
    public func compositeTrainingForward(_ x: Tensor) throws -> Tensor {
        let axes = Array(0..<(x.rank - 1))
        let mean = try x.mean(axes: axes, keepDims: true)
        let centered = try x - mean
        let variance = try centered.pow(2).mean(axes: axes, keepDims: true)     // biased
        return try centered / (variance + epsilon).sqrt() * weight.value + bias.value
    }

    /// The running-statistics transform as y = x · scale + shift (no gradient):
    /// scale = weight / √(runningVar + ε), shift = bias − runningMean · scale; both [C].
    public func foldedScaleShift() throws -> (scale: Tensor, shift: Tensor) {
        try withNoGrad {
            let scale = try weight.value.detached() / (runningVar.value + epsilon).sqrt()
            return (scale, try bias.value.detached() - runningMean.value * scale)
        }
    }
}

/// Layer normalisation over the last axis:
///
///     x: [..., C] → same shape;  weight, bias: [C]
///
/// y = (x − mean) / √(var + ε) · weight + bias with the biased variance. ε defaults to
/// PyTorch's 1e-5; BERT checkpoints use 1e-12. Init: weight 1, bias 0.
public final class LayerNorm: Layer {
    public let weight: Parameter
    public let bias: Parameter
    public let featureCount: Int
    public let epsilon: Float

    public init(featureCount: Int, epsilon: Float = 1e-5) throws {
        guard featureCount > 0, epsilon >= 0 else {
            throw ModuleError.invalidConfiguration(layer: "LayerNorm", message: "need features > 0 and epsilon ≥ 0 (got \(featureCount), \(epsilon))")
        }
        self.featureCount = featureCount; self.epsilon = epsilon
        weight = Parameter(Tensor.ones([featureCount]))
        bias = Parameter(Tensor.zeros([featureCount]))
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 1, x.shape[x.rank - 1] == featureCount else {
            throw ModuleError.invalidInput(layer: "LayerNorm(\(featureCount))", message: "expected [..., \(featureCount)], got \(x.shape)")
        }
        return try x.layerNorm(weight: weight.value, bias: bias.value, epsilon: epsilon)
    }

}
