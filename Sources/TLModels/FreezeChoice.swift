import Foundation

/// How `--freeze auto` chose the freeze depth: the per-block scores it read and the rule,
/// recorded in the checkpoint's settings next to the resolved block selector.
public struct FreezeChoice: Codable, Sendable, Equatable {
    /// One block below the head and the LogME of its output on the target's training data.
    public struct BlockScore: Codable, Sendable, Equatable {
        public var block: Int
        public var name: String
        public var logME: Double
        public init(block: Int, name: String, logME: Double) { self.block = block; self.name = name; self.logME = logME }
    }

    public var scores: [BlockScore]
    /// The last frozen block (blocks `0...frozenThrough` are frozen).
    public var frozenThrough: Int
    /// The rule, in words.
    public var rule: String

    public init(scores: [BlockScore], frozenThrough: Int, rule: String) {
        self.scores = scores
        self.frozenThrough = frozenThrough
        self.rule = rule
    }
}

/// How `--lr auto` chose the learning rate: the sweep's range and the suggestion, recorded in
/// the checkpoint's settings (`learningRate` holds the suggestion).
public struct LearningRateChoice: Codable, Sendable, Equatable {
    public var suggestion: Double
    public var rule: String
    /// The sweep: each step's learning rate and its smoothed loss.
    public var rates: [Double]
    public var smoothedLosses: [Double]
    public init(suggestion: Double, rule: String, rates: [Double], smoothedLosses: [Double]) {
        self.suggestion = suggestion
        self.rule = rule
        self.rates = rates
        self.smoothedLosses = smoothedLosses
    }
}
