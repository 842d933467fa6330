import Foundation
import TLTensor
import TLNN
import TLData
import TLModels

/// What domain adaptation and re-weighting add to a training run, beyond `TrainingSettings`:
/// the prepared unlabeled target samples and the importance weights of the training samples.
public struct DomainInputs {
    /// Unlabeled target inputs, prepared like the training data (fitted, normalised); labels ignored.
    public var unlabeled: Dataset?
    /// One weight per training sample (mean 1), in the training data's order.
    public var sampleWeights: [Float]?
    public init(unlabeled: Dataset? = nil, sampleWeights: [Float]? = nil) {
        self.unlabeled = unlabeled
        self.sampleWeights = sampleWeights
    }
}

/// The loss of one training step with class weights, importance weights and CORAL.
extension Trainer {
    /// Checks, before the first step, that the settings' domain adaptation can run.
    func checkDomainAdaptation() throws {
        if let s = domain.sampleWeights, s.count != train.count {
            throw TrainingError("\(s.count) importance weights for \(train.count) training samples")
        }
        if communicator != nil && domain.sampleWeights != nil {
            throw TrainingError("importance weights are not supported in data-parallel training yet")
        }
        guard let a = settings.adaptation else { return }
        if let w = a.classWeights, w.weights.count != model.classCount {
            throw TrainingError("\(w.weights.count) class weights for \(model.classCount) classes")
        }
        if let c = a.coral {
            guard c.block >= 0, c.block < model.headIndex else {
                throw TrainingError("CORAL block \(c.block) is outside the blocks below the head (0…\(model.headIndex - 1))")
            }
            guard let u = domain.unlabeled, u.count >= 2 else { throw TrainingError("CORAL needs at least 2 unlabeled target samples") }
            guard settings.batchSize >= 2 else { throw TrainingError("CORAL needs batches of at least 2 samples (covariances)") }
        }
        if communicator != nil && (a.coral != nil || domain.sampleWeights != nil || a.classWeights != nil) {
            throw TrainingError("class weights, importance weights and CORAL are not supported in data-parallel training yet")
        }
    }

    /// Logits of a training batch, and (with CORAL) the source features at the CORAL block.
    /// Blocks before `fromBlock` were already applied (frozen-prefix cache).
    func forwardForTraining(_ x: Tensor, fromBlock: Int) throws -> (logits: Tensor, coralFeatures: Tensor?) {
        guard let c = settings.adaptation?.coral else { return (try model.forward(x, blocks: fromBlock..<model.blockCount), nil) }
        guard c.block >= fromBlock else {
            throw TrainingError("CORAL at block \(c.block): blocks 0–\(fromBlock - 1) are frozen and cached, so the CORAL loss could train nothing; choose --coral-block ≥ \(fromBlock)")
        }
        let h = try model.forward(x, blocks: fromBlock..<(c.block + 1))
        return (try model.forward(h, blocks: (c.block + 1)..<model.blockCount), h)
    }

    /// Cross-entropy with the settings' class weights and the samples' importance weights.
    func supervisedLoss(logits: Tensor, labels: [Int], indices: [Int]) throws -> Tensor {
        let classWeights = settings.adaptation?.classWeights.map { $0.weights.map(Float.init) }
        let sampleWeights = domain.sampleWeights.map { w in indices.map { w[$0] } }
        return try Loss.weightedCrossEntropy(logits: logits, labels: labels, classWeights: classWeights, sampleWeights: sampleWeights,
                                             labelSmoothing: Float(settings.labelSmoothing))
    }

    /// `weight × CORAL(source features, target features)` for this step, or nil without CORAL.
    /// The target batch (as many samples as the batch, without replacement) is drawn from a
    /// generator seeded by the run's seed and the global step, so a resumed run draws the same.
    /// It passes through BatchNorm with batch statistics; its update of the running statistics
    /// is undone, so they stay estimates on the labelled data.
    func coralLoss(sourceFeatures: Tensor?, batchSize: Int) throws -> Tensor? {
        guard let c = settings.adaptation?.coral, let sourceFeatures, sourceFeatures.shape[0] >= 2,
              let unlabeled = domain.unlabeled else { return nil }   // a last batch of one sample has no covariance
        var rng = SeededGenerator(seed: settings.seed &+ 0xC0A1 &+ UInt64(globalStep) &* 0x9E37_79B9_7F4A_7C15)
        let k = Swift.min(Swift.max(batchSize, 2), unlabeled.count)
        var pool = Array(0..<unlabeled.count)
        for i in 0..<k {
            let j = i + Int(rng.next() % UInt64(pool.count - i))
            pool.swapAt(i, j)
        }
        let part = unlabeled.subset(Array(pool[0..<k]))
        let norms = (0...c.block).flatMap { b in model.blocks[b].namedModules().compactMap { $0.module as? BatchNorm } }
        let saved = norms.map { ($0.runningMean.value, $0.runningVar.value, $0.numBatchesTracked.value) }
        defer {
            for (norm, s) in zip(norms, saved) { norm.runningMean.value = s.0; norm.runningVar.value = s.1; norm.numBatchesTracked.value = s.2 }
        }
        let target = try model.forward(try Tensor(part.features, shape: [k] + part.sampleShape), blocks: 0..<(c.block + 1))
        let loss = try Loss.coral(source: Loss.coralFeatures(sourceFeatures), target: Loss.coralFeatures(target))
        return loss * Float(c.weight)
    }
}
