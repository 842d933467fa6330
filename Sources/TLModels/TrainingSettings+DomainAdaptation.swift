import Foundation

/// Domain adaptation and re-weighting of a training run (`--unlabeled`, `--adapt-bn`, `--coral`,
/// `--class-weights`, `--reweight-to`), recorded in the checkpoint's settings.
public struct DomainAdaptationSettings: Codable, Sendable, Equatable {
    /// The unlabeled target data (a data argument; its labels are ignored) and its sample count.
    public var unlabeled: String? = nil
    public var unlabeledCount: Int? = nil
    /// AdaBN after training: every BatchNorm's running statistics re-estimated exactly (mean and
    /// unbiased variance over all unlabeled samples, not a momentum blend) on the unlabeled data.
    public var adaptBatchNorm: Bool = false
    /// Deep CORAL: `weight × ‖C_s − C_t‖²_F / (4d²)` added to the loss, with the covariances of
    /// block `block`'s output (spatially averaged to [N, C] for images) on a labelled batch and a
    /// batch of unlabeled target samples.
    public var coral: Coral? = nil
    /// Class weights of the cross-entropy loss, as resolved for the training data.
    public var classWeights: ClassWeights? = nil
    /// Importance weights of the training samples from a domain classifier (`--reweight-to`).
    public var importance: ImportanceWeighting? = nil

    public struct Coral: Codable, Sendable, Equatable {
        public var weight: Double
        public var block: Int
        public init(weight: Double, block: Int) { self.weight = weight; self.block = block }
    }

    public struct ClassWeights: Codable, Sendable, Equatable {
        /// `balanced` (n / (k · n_c) from the training split's class counts) or `explicit`.
        public var rule: String
        /// One weight per class, in label order.
        public var weights: [Double]
        public init(rule: String, weights: [Double]) { self.rule = rule; self.weights = weights }
    }

    public struct ImportanceWeighting: Codable, Sendable, Equatable {
        /// The target data argument.
        public var target: String
        public var targetCount: Int
        /// Weights above this percentile of the raw weights are clipped to it (then normalised to mean 1).
        public var clipPercentile: Double
        /// The raw weight the clip fell at.
        public var clipValue: Double
        /// (Σw)² / Σw² of the final weights, and the number of weighted samples.
        public var effectiveSampleSize: Double
        public var sampleCount: Int
        /// How the domain classifier saw the inputs, and its training accuracy (0.5 = the domains look alike).
        public var classifier: String
        public var domainAccuracy: Double
        public init(target: String, targetCount: Int, clipPercentile: Double, clipValue: Double, effectiveSampleSize: Double,
                    sampleCount: Int, classifier: String, domainAccuracy: Double) {
            self.target = target; self.targetCount = targetCount; self.clipPercentile = clipPercentile; self.clipValue = clipValue
            self.effectiveSampleSize = effectiveSampleSize; self.sampleCount = sampleCount; self.classifier = classifier
            self.domainAccuracy = domainAccuracy
        }
    }

    public init() {}

    /// Whether anything needs the unlabeled target data during or after training.
    public var needsUnlabeled: Bool { adaptBatchNorm || coral != nil }

    /// One line per active technique, for plans and logs.
    public var summaryLines: [String] {
        var lines: [String] = []
        if let u = unlabeled { lines.append("unlabeled target data: \(u)" + (unlabeledCount.map { " (\($0) samples, labels ignored)" } ?? "")) }
        if adaptBatchNorm { lines.append("AdaBN: after training, every BatchNorm's running mean and variance re-estimated exactly on the unlabeled data") }
        if let c = coral { lines.append("CORAL: loss + \(c.weight) × ‖C_s − C_t‖²_F / (4d²) at the output of block \(c.block), one unlabeled batch per step") }
        if let w = classWeights {
            lines.append("class weights (\(w.rule)): " + w.weights.map { String(format: "%.3g", $0) }.joined(separator: ", "))
        }
        if let i = importance {
            lines.append("importance weights toward \(i.target) (\(i.targetCount) samples): \(i.classifier), domain accuracy "
                         + String(format: "%.1f%%; clipped at the %g%% percentile (%.3g), mean 1; effective sample size %.0f",
                                  i.domainAccuracy * 100, i.clipPercentile, i.clipValue, i.effectiveSampleSize) + " of \(i.sampleCount)")
        }
        return lines
    }
}
