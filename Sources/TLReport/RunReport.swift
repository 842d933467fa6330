import Foundation
import TLModels
import TLTransfer

/// Everything a report shows, as plain data: built by `ReportBuilder` and `ReportAnalysis`
/// from a run (or from checkpoints afterwards), rendered by `HTMLReport`. Optional parts are
/// the sections that do not apply to every run (no comparison without `eval --baseline`, no
/// drift without a source checkpoint, no evaluation without held-out data).
public struct RunReport {
    /// "tl finetune: target.safetensors".
    public var title: String
    /// One line under the title (what ran on what).
    public var subtitle: String
    /// Learning curves: the run's own, plus every seed of a baseline comparison.
    public var curves: [CurveRun] = []
    /// Probing and gradual-unfreezing phases (epoch ranges), shaded on the curves.
    public var phases: [ShadedBand] = []
    /// Epoch whose weights were kept.
    public var bestEpoch: Int?
    public var comparison: Comparison?
    public var evaluation: Evaluation?
    public var drift: [DriftPlot.Row]?
    /// Which checkpoint the drift is measured from.
    public var driftSource: String?
    public var plan: Plan?
    /// Data, settings, seed, command line, version: label and value.
    public var provenance: [(String, String)] = []

    public init(title: String, subtitle: String) {
        self.title = title
        self.subtitle = subtitle
    }
}

/// One training run's per-epoch figures.
public struct CurveRun: Sendable {
    /// "this run", "fine-tuned", "scratch", "probe", or a checkpoint's file name.
    public var label: String
    public var seed: UInt64?
    public var history: [EpochRecord]
    public init(label: String, seed: UInt64? = nil, history: [EpochRecord]) {
        self.label = label
        self.seed = seed
        self.history = history
    }
}

/// Fine-tuning against scratch (and a probe), paired by seed.
public struct Comparison: Sendable {
    public var seeds: [UInt64]
    /// Test accuracy per seed, by kind ("fine-tuned", "scratch", "probe").
    public var accuracies: [(kind: String, values: [Double])]
    public var gain: TransferGain
    public var probeGain: TransferGain?
    /// The scratch side's architecture when it is not the checkpoint's own.
    public var scratchArchitecture: String?

    public init(seeds: [UInt64], accuracies: [(kind: String, values: [Double])], gain: TransferGain, probeGain: TransferGain? = nil,
                scratchArchitecture: String? = nil) {
        self.seeds = seeds
        self.accuracies = accuracies
        self.gain = gain
        self.probeGain = probeGain
        self.scratchArchitecture = scratchArchitecture
    }
}

/// A model scored on a data set: the metrics and what the pictures need.
public struct Evaluation: Sendable {
    /// "2,450 held-out samples of mnist5k".
    public var setName: String
    public var classNames: [String]
    public var metrics: ClassificationMetrics
    public var bins: [ReliabilityPlot.Bin]
    /// The highest-loss examples, worst first.
    public var worst: [Example]
    public var projection: Projection?
}

/// One scored sample.
public struct Example: Sendable, Equatable {
    public var index: Int
    public var trueClass: Int
    public var predicted: Int
    public var probabilityOfTrue: Double
    public var loss: Double
    /// A `data:image/png` URI for images.
    public var thumbnail: String?
    /// The text, for text models.
    public var text: String?
}

/// Two principal components of the features before the head.
public struct Projection: Sendable {
    public var xs: [Double]
    public var ys: [Double]
    public var classes: [Int]
    /// Fraction of the feature variance along each component.
    public var explained: (Double, Double)
    public var featureCount: Int
    public var sampleCount: Int
}

/// The run's plan: per block, its parameters and, per phase, its learning rate or "frozen".
public struct Plan: Sendable {
    public var phaseHeaders: [String]
    /// Block index and name, parameter count, then one cell per phase.
    public var rows: [(block: String, parameters: Int, cells: [String])]
    public var notes: [String]
}
