import Foundation
import TLTensor
import TLNN
import TLOptim
import TLData
import TLModels

/// The learning-rate range test (Smith 2017; fastai's `lr_find`): a short run whose learning
/// rate grows exponentially each step, recording the smoothed training loss. Run it on a
/// twin of the model (built from the same checkpoint and seed): the real model, its RNG
/// streams and the data order of the real run are never touched.
public enum LearningRateFinder {
    /// The suggestion rule. (fastai's other rule, a tenth of the rate at the lowest smoothed
    /// loss, was tried first: on 50 images the loss keeps falling by memorising the one batch,
    /// so the minimum sits near divergence and its suggestions ranged 0.007–0.1 over five seeds.)
    public static let rule = "the learning rate where the smoothed loss falls fastest per factor of learning rate (steepest descent on a log scale; fastai's 'steep')"

    /// One step of the sweep.
    public struct Point: Sendable, Equatable {
        public var learningRate: Double
        public var loss: Double
        /// Exponential moving average (β = 0.98), bias-corrected.
        public var smoothedLoss: Double
    }

    public struct Sweep: Sendable {
        public var points: [Point]
        public var suggestion: Double
        /// Why the sweep ended: "reached 1" or "loss diverged at …".
        public var stopped: String
        public var rule: String { LearningRateFinder.rule }

        /// The record stored in the checkpoint's settings.
        public var choice: LearningRateChoice {
            let finite = points.filter { $0.smoothedLoss.isFinite }
            return LearningRateChoice(suggestion: suggestion, rule: rule, rates: finite.map(\.learningRate), smoothedLosses: finite.map(\.smoothedLoss))
        }
    }

    /// Sweeps `steps` learning rates from `start` to `end` (geometric) with `settings`'
    /// optimizer, batch size, weight decay and discriminative decay, training the parameters
    /// of `model` that are trainable now (the run's freeze configuration). Batches cycle
    /// through `train` in an order of their own. `model` is changed: pass a twin.
    public static func sweep(_ model: TransferModel, settings: TrainingSettings, train: Dataset, steps: Int = 100,
                             start: Double = 1e-6, end: Double = 1) throws -> Sweep {
        guard steps >= 2, start > 0, end > start else { throw TrainingError("the learning-rate sweep needs ≥ 2 steps over a growing range") }
        var groups: [ParameterGroup] = [], factors: [Double] = []
        for b in 0..<model.blockCount {
            let named = model.blocks[b].namedParameters().map { (path: model.pathPrefix(ofBlock: b) + $0.path, parameter: $0.parameter) }
            let trainable = named.filter { !$0.parameter.isFrozen }
            guard !trainable.isEmpty else { continue }
            let factor = settings.learningRate(ofBlock: b, headIndex: model.headIndex) / settings.learningRate
            groups.append(ParameterGroup(parameters: trainable, learningRate: start * factor, weightDecay: settings.weightDecay))
            factors.append(factor)
        }
        guard !groups.isEmpty else { throw FreezeError.nothingToTrain(epoch: 1) }
        let optimizer: Optimizer
        switch settings.optimizer {
        case .sgd: optimizer = try SGD(groups: groups, momentum: settings.momentum)
        case .adam: optimizer = try Adam(groups: groups)
        case .adamw: optimizer = try Adam.adamW(groups: groups)
        }
        model.train()
        var b = 0
        while b < model.headIndex, model.isBlockFrozen(b) { model.blocks[b].eval(); b += 1 }
        defer { model.train() }
        var points: [Point] = [], average = 0.0, best = Double.infinity, stopped = "reached \(end)"
        var epoch: UInt64 = 0
        var batches = try train.batches(size: settings.batchSize, shuffle: true, seed: settings.seed &+ 0x1f_1d_e5)
        for step in 0..<steps {
            let lr = start * pow(end / start, Double(step) / Double(steps - 1))
            for i in optimizer.groups.indices { optimizer.groups[i].learningRate = lr * factors[i] }
            var next = batches.next()
            if next == nil {
                epoch += 1
                batches = try train.batches(size: settings.batchSize, shuffle: true, seed: settings.seed &+ 0x1f_1d_e5 &+ epoch)
                next = batches.next()
            }
            guard let batch = next else { break }
            let logits = try model.forward(try Tensor(batch.features, shape: batch.shape))
            let loss = try Loss.crossEntropy(logits: logits, labels: batch.labels, labelSmoothing: Float(settings.labelSmoothing))
            let value = Double(loss.scalars[0])
            guard value.isFinite else { stopped = "loss became \(value) at learning rate \(String(format: "%.3g", lr))"; break }
            optimizer.zeroGrad()
            try loss.backward()
            if let clip = settings.clipNorm { try clipGradientNorm(optimizer.groups.flatMap { $0.parameters.map(\.parameter) }, maxNorm: clip) }
            try optimizer.step()
            average = 0.98 * average + 0.02 * value
            let smoothed = average / (1 - pow(0.98, Double(step + 1)))
            points.append(Point(learningRate: lr, loss: value, smoothedLoss: smoothed))
            best = Swift.min(best, smoothed)
            if step >= 10 && smoothed > 4 * best {
                stopped = "smoothed loss exceeded 4× its minimum at learning rate \(String(format: "%.3g", lr))"
                break
            }
        }
        guard points.count >= 3 else {
            throw TrainingError("the learning-rate sweep diverged after \(points.count) step\(points.count == 1 ? "" : "s") (\(stopped)); lower the range")
        }
        return Sweep(points: points, suggestion: steepest(points), stopped: stopped)
    }

    /// The rate with the most negative central difference of the smoothed loss against log(rate).
    static func steepest(_ points: [Point]) -> Double {
        var best = points[1].learningRate, slope = Double.infinity
        for i in 1..<(points.count - 1) {
            let d = (points[i + 1].smoothedLoss - points[i - 1].smoothedLoss)
                / (log(points[i + 1].learningRate) - log(points[i - 1].learningRate))
            if d < slope { slope = d; best = points[i].learningRate }
        }
        return best
    }
}
