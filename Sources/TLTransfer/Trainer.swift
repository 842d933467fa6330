import Foundation
import TLTensor
import TLNN
import TLOptim
import TLData
import TLModels
import TLDistributed

/// What a training run reports as it goes. All closures are optional.
public struct TrainingEvents {
    /// After every optimizer step: epoch (1-based), step within epoch, steps per epoch,
    /// running mean loss and accuracy of the epoch so far, samples/s.
    public var batchCompleted: ((_ epoch: Int, _ step: Int, _ steps: Int, _ loss: Double, _ accuracy: Double, _ samplesPerSecond: Double) -> Void)?
    public var epochCompleted: ((EpochSummary) -> Void)?
    /// Informational messages (caching, unfreezing phases, early stopping).
    public var message: ((String) -> Void)?
    /// Polled after every batch; returning true stops training (Ctrl-C).
    public var shouldStop: (() -> Bool)?
    /// Polled after every batch; returning true saves a resumable snapshot there (the caller
    /// decides how often, e.g. by a clock). Nil: only when stopping on request.
    public var resumeStateDue: (() -> Bool)?
    /// Called with a resumable snapshot when `resumeStateDue` says so and when stopping
    /// early on request; the caller decides where to write it.
    public var saveResumeState: ((TrainingSnapshot) throws -> Void)?

    public init() {}
}

/// One epoch's figures.
public struct EpochSummary: Codable, Sendable, Equatable {
    public var epoch: Int
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var validationLoss: Double?
    public var validationAccuracy: Double?
    public var samplesPerSecond: Double
    public var seconds: Double
    /// Blocks served from the frozen-prefix cache this epoch (0 = none).
    public var cachedBlocks: Int
    public var trainableParameters: Int
}

extension EpochSummary {
    /// The figures a checkpoint records for this epoch (seconds to the millisecond).
    public var record: EpochRecord {
        EpochRecord(epoch: epoch, trainLoss: trainLoss, trainAccuracy: trainAccuracy, validationLoss: validationLoss,
                    validationAccuracy: validationAccuracy, seconds: (seconds * 1000).rounded() / 1000)
    }
}

/// How a run ended.
public struct TrainingOutcome: Sendable {
    public var history: [EpochSummary]
    /// Epoch (1-based) whose weights were kept, and its validation accuracy.
    public var bestEpoch: Int
    public var bestValidationAccuracy: Double?
    public var stoppedEarly: Bool
    public var interrupted: Bool
    /// Set when the loss became NaN or infinite; the model holds the last good weights.
    public var divergence: String?
    public var steps: Int
    public var samplesSeen: Int
    public var wallSeconds: Double
    public var samplesPerSecond: Double { wallSeconds > 0 ? Double(samplesSeen) / wallSeconds : 0 }
}

/// Trains a `TransferModel` with the fine-tuning practice of `TrainingSettings`: freezing,
/// discriminative learning rates, linear probing then fine-tuning, gradual unfreezing,
/// frozen-prefix caching, validation-based model selection, early stopping, and exact resume.
public final class Trainer {
    public let model: TransferModel
    public let settings: TrainingSettings
    let train: Dataset
    let validation: Dataset?
    /// Probing and gradual unfreezing, from the user's freeze configuration (by parameter identity).
    public let schedule: FreezeSchedule
    /// The model's parameters with their paths, each with its block (fixed for the run).
    let parametersByBlock: [[(path: String, parameter: Parameter)]]
    /// Memory budget for cached prefix features.
    public var cacheLimitBytes: Int = {
        if let text = ProcessInfo.processInfo.environment["TL_CACHE_LIMIT_MB"], let mb = Int(text) { return mb << 20 }
        return 2048 << 20
    }()

    // Run state (all of it is saved for exact resume).
    var epoch = 0, stepInEpoch = 0, globalStep = 0
    var history: [EpochSummary] = []
    var best: (epoch: Int, accuracy: Double?, loss: Double?, state: [(name: String, tensor: Tensor)])?
    var epochsWithoutImprovement = 0
    var optimizer: Optimizer?
    /// Index of the `schedule` phase the optimizer was built for.
    var phase: Int? = nil
    var epochLossSum = 0.0, epochCorrect = 0, epochSeen = 0
    /// Outputs of the frozen prefix `0..<blocks` for the current phase.
    var cache: (blocks: Int, phase: Int, train: Dataset, validation: Dataset?)?
    var cacheRefusedPhase: Int? = nil

    /// Unlabeled target data and importance weights (Trainer+DomainAdaptation.swift).
    public var domain = DomainInputs()

    // Data-parallel training (Trainer+Distributed.swift).
    /// The ranks this trainer trains with; nil: one process.
    public var communicator: (any Communicator)? = nil
    /// Seconds spent in gradient allreduce so far.
    public internal(set) var allreduceSeconds = 0.0

    /// - Parameters:
    ///   - model: the model, with the user's freeze configuration already applied.
    ///   - train / validation: numeric data (token ids for token models), already normalised.
    public init(model: TransferModel, settings: TrainingSettings, train: Dataset, validation: Dataset?) throws {
        guard settings.epochs >= 1 else { throw TrainingError("the epoch count must be at least 1") }
        guard settings.batchSize >= 1 else { throw TrainingError("the batch size must be at least 1") }
        guard train.count > 0 else { throw TrainingError("no training samples") }
        self.model = model
        self.settings = settings
        self.train = train
        self.validation = validation.flatMap { $0.count > 0 ? $0 : nil }
        let schedule = FreezeSchedule(settings: settings, model: model)
        self.schedule = schedule
        var byBlock = Array(repeating: [(path: String, parameter: Parameter)](), count: model.blockCount)
        for named in model.namedParameters() {
            if let b = schedule.block(of: ObjectIdentifier(named.parameter)) { byBlock[b].append(named) }
        }
        parametersByBlock = byBlock
    }

    var stepsPerEpoch: Int { (train.count + settings.batchSize - 1) / settings.batchSize }

    var events = TrainingEvents()

    /// Trains to the end (or until stopped) and leaves the best weights in the model.
    public func run(events: TrainingEvents = TrainingEvents(), resumeFrom resumeSnapshot: TrainingSnapshot? = nil) throws -> TrainingOutcome {
        self.events = events
        let started = Date()
        var samplesSeen = 0
        var divergence: String? = nil
        var interrupted = false
        var stoppedEarly = false
        let totalSteps = stepsPerEpoch * settings.epochs
        let lrSchedule = settings.learningRateSchedule(totalSteps: totalSteps, stepsPerEpoch: stepsPerEpoch)
        if let resumeSnapshot { try restore(resumeSnapshot) }
        if let communicator { try checkAgreement(communicator) }
        try checkDomainAdaptation()

        training: while epoch < settings.epochs {
            let wantPhase = schedule.phaseIndex(forEpoch: epoch)
            if optimizer == nil || phase != wantPhase {
                let announce = optimizer != nil, phaseBefore = phase
                try enterPhase(wantPhase)
                if announce || epoch > 0 {
                    let frozenCount = schedule.frozenParameters(inPhase: wantPhase).count
                    let newly = schedule.phases[wantPhase].released.filter { !(phaseBefore.map { schedule.phases[$0].released } ?? []).contains($0) }
                    let release = newly.map { "released block \($0) (\(model.spec.blocks[$0].name)); " }.joined()
                    events.message?("epoch \(epoch + 1): \(release)\(model.trainableParameters().reduce(0) { $0 + $1.count }) trainable parameters (\(frozenCount == 0 ? "nothing" : "\(frozenCount) tensors") frozen)")
                }
            }
            model.train()
            setFrozenPrefixToInference()
            let k = cacheablePrefix()
            var trainData = train, validationData = validation, cached = 0
            if k > 0 {
                // Computed once per phase: the prefix's weights cannot change while it is frozen.
                if (cache == nil || cache!.blocks != k || cache!.phase != wantPhase) && cacheRefusedPhase != wantPhase {
                    if let f = try prefixFeatures(train, blocks: k) {
                        cache = (k, wantPhase, f, try validation.flatMap { try prefixFeatures($0, blocks: k) })
                        events.message?("blocks 0–\(k - 1) are frozen and deterministic: computed their outputs once, training on the cache")
                    } else {
                        cache = nil
                        cacheRefusedPhase = wantPhase
                    }
                }
                if let cache, cache.blocks == k {
                    trainData = cache.train
                    validationData = cache.validation
                    cached = k
                }
            }
            let epochStart = Date()
            var batches = try trainData.batches(size: settings.batchSize, shuffle: true, seed: settings.seed &+ UInt64(epoch) &* 1_000_003,
                                                augmentation: augmentation(for: trainData))
            for _ in 0..<stepInEpoch { _ = batches.next() }
            var epochSamples = 0
            while let batch = batches.next() {
                if let communicator {
                    // Data-parallel step: this rank's shard, gradients summed over ranks (Trainer+Distributed.swift).
                    guard let optimizer else { break training }
                    let s = try distributedStep(batch, communicator: communicator, optimizer: optimizer, fromBlock: cached, learningRates: lrSchedule)
                    guard s.loss.isFinite else {
                        divergence = "loss became \(s.loss) at epoch \(epoch + 1), step \(stepInEpoch + 1)"
                        break training
                    }
                    epochCorrect += s.correct
                    epochLossSum += s.loss * Double(batch.count)
                    epochSeen += batch.count; epochSamples += batch.count; samplesSeen += batch.count
                    stepInEpoch += 1; globalStep += 1
                    let elapsed = Date().timeIntervalSince(epochStart)
                    events.batchCompleted?(epoch + 1, stepInEpoch, stepsPerEpoch, epochLossSum / Double(epochSeen),
                                           Double(epochCorrect) / Double(epochSeen), elapsed > 0 ? Double(epochSamples) / elapsed : 0)
                    if s.stop { interrupted = true }
                    if s.stop || s.saveResume { try events.saveResumeState?(snapshot()) }
                    if s.stop { break training }
                    continue
                }
                let x = try Tensor(batch.features, shape: batch.shape)
                let (logits, coralFeatures) = try forwardForTraining(x, fromBlock: cached)
                var loss = try supervisedLoss(logits: logits, labels: batch.labels, indices: batch.indices)
                if let mix = batch.mix {
                    // Mixup/cutmix: the loss mixes both labels with the same weight as the inputs.
                    let other = try supervisedLoss(logits: logits, labels: mix.partnerLabels, indices: batch.indices)
                    loss = try loss * mix.lambda + other * (1 - mix.lambda)
                }
                if let coral = try coralLoss(sourceFeatures: coralFeatures, batchSize: batch.count) { loss = try loss + coral }
                let lossValue = Double(loss.scalars[0])
                guard lossValue.isFinite else {
                    divergence = "loss became \(lossValue) at epoch \(epoch + 1), step \(stepInEpoch + 1)"
                    break training
                }
                guard let optimizer else { break training }
                optimizer.zeroGrad()
                try loss.backward()
                if let clip = settings.clipNorm {
                    // The optimizer's groups are the trainable parameters of this phase; walking
                    // the module tree (Mirror) on every step would cost more than the clipping.
                    try clipGradientNorm(optimizer.groups.flatMap { $0.parameters.map(\.parameter) }, maxNorm: clip)
                }
                optimizer.apply(lrSchedule, step: globalStep)
                try optimizer.step()
                let predicted = try logits.detached().argmax(axis: 1)
                epochCorrect += zip(predicted, batch.labels).filter { $0 == $1 }.count
                epochLossSum += lossValue * Double(batch.count)
                epochSeen += batch.count
                epochSamples += batch.count
                samplesSeen += batch.count
                stepInEpoch += 1
                globalStep += 1
                let elapsed = Date().timeIntervalSince(epochStart)
                events.batchCompleted?(epoch + 1, stepInEpoch, stepsPerEpoch, epochLossSum / Double(epochSeen),
                                       Double(epochCorrect) / Double(epochSeen), elapsed > 0 ? Double(epochSamples) / elapsed : 0)
                if events.shouldStop?() == true {
                    interrupted = true
                    try events.saveResumeState?(snapshot())
                    break training
                }
                if events.resumeStateDue?() == true { try events.saveResumeState?(snapshot()) }
            }
            // End of epoch: validate, select, maybe stop.
            let seconds = Date().timeIntervalSince(epochStart)
            var summary = EpochSummary(epoch: epoch + 1, trainLoss: epochLossSum / Double(Swift.max(epochSeen, 1)),
                                       trainAccuracy: Double(epochCorrect) / Double(Swift.max(epochSeen, 1)),
                                       samplesPerSecond: seconds > 0 ? Double(epochSamples) / seconds : 0, seconds: seconds,
                                       cachedBlocks: cached, trainableParameters: model.trainableParameters().reduce(0) { $0 + $1.count })
            if let validationData {
                let (loss, accuracy) = try evaluateLossAndAccuracy(validationData, fromBlock: cached)
                guard loss.isFinite else {
                    divergence = "validation loss became \(loss) after epoch \(epoch + 1) (the loss became non-finite on held-out data)"
                    break training
                }
                summary.validationLoss = loss
                summary.validationAccuracy = accuracy
            }
            history.append(summary)
            events.epochCompleted?(summary)
            let improved: Bool
            if let acc = summary.validationAccuracy {
                improved = best == nil || acc > best!.accuracy! || (acc == best!.accuracy! && summary.validationLoss! < best!.loss!)
            } else {
                improved = true   // no validation data: keep the latest weights
            }
            if improved {
                best = (epoch + 1, summary.validationAccuracy, summary.validationLoss, model.namedState())
                epochsWithoutImprovement = 0
            } else {
                epochsWithoutImprovement += 1
            }
            epoch += 1
            stepInEpoch = 0
            epochLossSum = 0; epochCorrect = 0; epochSeen = 0
            if let patience = settings.earlyStopping, epochsWithoutImprovement >= patience, epoch < settings.epochs {
                events.message?("early stopping: no better validation accuracy for \(patience) epoch\(patience == 1 ? "" : "s")")
                stoppedEarly = true
                break training
            }
        }
        if let best { try model.loadState(Dictionary(best.state.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })) }
        restoreInitialFreeze()
        return TrainingOutcome(history: history, bestEpoch: best?.epoch ?? 0, bestValidationAccuracy: best?.accuracy ?? nil,
                               stoppedEarly: stoppedEarly, interrupted: interrupted, divergence: divergence,
                               steps: globalStep, samplesSeen: samplesSeen, wallSeconds: Date().timeIntervalSince(started))
    }

    /// The settings' augmentation plan for image data `[H, W, C]`; nothing for token ids or
    /// flat features (the command line refuses a plan for those before training starts).
    func augmentation(for data: Dataset) -> Augmentation? {
        guard !settings.augment.isIdentity, data.sampleShape.count == 3, data.texts == nil else { return nil }
        return Augmentation(plan: settings.augment)
    }

    /// Mean loss and accuracy of the model on a data set (eval mode, no gradients), running
    /// blocks from `fromBlock` on (the data already holds the output of the blocks before).
    func evaluateLossAndAccuracy(_ data: Dataset, fromBlock: Int) throws -> (Double, Double) {
        model.eval()
        defer { model.train() }
        var lossSum = 0.0, correct = 0
        try withNoGrad {
            var batches = try data.batches(size: Swift.max(settings.batchSize, 256), shuffle: false)
            while let batch = batches.next() {
                let x = try Tensor(batch.features, shape: batch.shape)
                let logits = try model.forward(x, blocks: fromBlock..<model.blockCount)
                lossSum += Double(try Loss.crossEntropy(logits: logits, labels: batch.labels, reduction: .sum).scalars[0])
                correct += zip(try logits.argmax(axis: 1), batch.labels).filter { $0 == $1 }.count
            }
        }
        return (lossSum / Double(data.count), Double(correct) / Double(data.count))
    }
}

/// A training failure with a clear message.
public struct TrainingError: Error, CustomStringConvertible, LocalizedError {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    public var errorDescription: String? { message }
}
