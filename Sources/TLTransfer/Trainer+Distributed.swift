import Foundation
import TLTensor
import TLNN
import TLOptim
import TLData
import TLModels
import TLDistributed

/// Data-parallel training over a `Communicator` (`mpirun -np N tl pretrain …`).
///
/// - **Sharding.** Every rank draws the same global batches (same seed, same order, same
///   augmentation) and keeps one contiguous slice of each: rank r of N takes slice r of N
///   near-equal parts (`chunkRange`: the first `B mod N` ranks get one sample more). The union
///   over ranks is exactly the single-process epoch for every N; a slice may be empty when a
///   batch has fewer than N samples (the rank then contributes zero gradient).
/// - **Gradients.** Each rank scales its mean-loss gradient by (its samples / batch samples),
///   so the sum over ranks is the gradient of the global batch's mean loss: N ranks with
///   `--batch-size B` train like one process with `--batch-size B`, up to summation order.
///   The trainable parameters' gradients are packed in one flat buffer, in optimizer order,
///   and summed with a bucketed allreduce (`bucketElements` floats per bucket, several
///   buckets in flight under MPI). Clipping and the optimizer step follow on identical
///   gradients, so the weights stay bit-identical across ranks.
/// - **BatchNorm.** Each rank normalises with its own shard's batch statistics (as PyTorch's
///   DistributedDataParallel does; no extra synchronisation inside the forward pass), and the
///   running statistics are averaged over ranks after every step (as a mean of each rank's
///   change, so a buffer no rank changed stays bit-identical), so every rank — and the
///   checkpoint rank 0 writes — holds the same statistics. With BatchNorm the training therefore
///   equals one process with "ghost" batches of B/N, not exactly the batch of B.
/// - **Agreement.** The same buffer carries the step's loss sum, correct count and the stop
///   and resume-file requests (a maximum over ranks), so every rank stops, diverges and saves
///   at the same step. At start-up the ranks compare hashes of spec, weights, data and settings.
extension Trainer {
    /// Floats per allreduce bucket (4 MiB).
    static let bucketElements = 1 << 20

    /// What one data-parallel step reports, summed over ranks.
    struct DistributedStep {
        /// Mean loss of the global batch (non-finite when any rank's loss was).
        var loss: Double
        var correct: Int
        var stop: Bool
        var saveResume: Bool
    }

    /// This rank's slice of a global batch.
    static func shard(_ batch: Batch, rank: Int, size: Int) -> Batch {
        guard size > 1 else { return batch }
        let n = batch.count, base = n / size, extra = n % size
        let start = rank * base + Swift.min(rank, extra)
        let range = start..<(start + base + (rank < extra ? 1 : 0))
        let sampleSize = batch.sampleShape.reduce(1, *)
        return Batch(features: Array(batch.features[(range.lowerBound * sampleSize)..<(range.upperBound * sampleSize)]),
                     labels: Array(batch.labels[range]), indices: Array(batch.indices[range]), sampleShape: batch.sampleShape,
                     // Mixup/cutmix mixed the whole batch already: each sample keeps its partner's label.
                     mix: batch.mix.map { BatchMix(partnerLabels: Array($0.partnerLabels[range]), lambda: $0.lambda) })
    }

    /// Stops with `DistributedError.ranksDisagree` unless every rank has the same spec, initial
    /// weights, training and validation data and settings.
    func checkAgreement(_ communicator: any Communicator) throws {
        var spec = AgreementHash(), weights = AgreementHash(), data = AgreementHash(), settingsHash = AgreementHash()
        spec.add(model.spec.jsonText())
        for (name, t) in model.namedState() { weights.add(name); weights.add(t.scalars) }
        for d in [train] + (validation.map { [$0] } ?? []) { data.add(d.features); data.add(d.labels); data.add(d.sampleShape) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        settingsHash.add(String(decoding: (try? encoder.encode(settings)) ?? Data(), as: UTF8.self))
        let names = ["spec", "initial weights", "data", "settings"]
        let differing = try communicator.disagreements([spec.value, weights.value, data.value, settingsHash.value])
        guard differing.isEmpty else { throw DistributedError.ranksDisagree(on: differing.map { names[$0] }) }
    }

    /// One optimizer step on this rank's shard of `batch`, with gradients, running statistics
    /// and step figures combined over ranks. The caller handles a non-finite `loss`
    /// (no rank has stepped then).
    func distributedStep(_ batch: Batch, communicator: any Communicator, optimizer: Optimizer, fromBlock: Int,
                         learningRates: LearningRateSchedule) throws -> DistributedStep {
        let part = Self.shard(batch, rank: communicator.rank, size: communicator.size)
        let weight = Float(part.count) / Float(Swift.max(batch.count, 1))
        let parameters = optimizer.groups.flatMap { $0.parameters.map(\.parameter) }
        let buffers = (fromBlock..<model.blockCount).flatMap { model.blocks[$0].namedBuffers().map(\.buffer) }
        let buffersBefore = buffers.map(\.value.scalars)
        optimizer.zeroGrad()
        var loss: Float = 0, correct = 0
        if part.count > 0 {
            let x = try Tensor(part.features, shape: part.shape)
            let logits = try model.forward(x, blocks: fromBlock..<model.blockCount)
            let l = try Loss.crossEntropy(logits: logits, labels: part.labels, labelSmoothing: Float(settings.labelSmoothing))
            loss = l.scalars[0]
            if loss.isFinite { try l.backward() }   // a non-finite loss still joins the collective
            correct = zip(try logits.detached().argmax(axis: 1), part.labels).filter { $0 == $1 }.count
        }
        // Flat layout: gradients, running-statistic changes, then [loss share, correct, stop, resume].
        let gradientCount = parameters.reduce(0) { $0 + $1.count }
        let bufferCount = buffers.reduce(0) { $0 + $1.value.count }
        var flat = [Float](repeating: 0, count: gradientCount + bufferCount + 4)
        var offset = 0
        for p in parameters {
            if let g = p.grad { for (i, v) in g.scalars.enumerated() { flat[offset + i] = v * weight } }
            offset += p.count
        }
        for (b, before) in zip(buffers, buffersBefore) {
            for (i, v) in b.value.scalars.enumerated() { flat[offset + i] = v - before[i] }
            offset += b.value.count
        }
        flat[offset] = loss * weight
        flat[offset + 1] = Float(correct)
        flat[offset + 2] = events.shouldStop?() == true ? 1 : 0
        flat[offset + 3] = events.resumeStateDue?() == true ? 1 : 0
        let started = Date()
        try flat.withUnsafeMutableBufferPointer { try communicator.allreduceBucketed($0, bucketElements: Self.bucketElements) }
        allreduceSeconds += Date().timeIntervalSince(started)
        let result = DistributedStep(loss: Double(flat[offset]), correct: Int(flat[offset + 1]), stop: flat[offset + 2] > 0,
                                     saveResume: flat[offset + 3] > 0)
        guard result.loss.isFinite else { return result }
        offset = 0
        for p in parameters {
            try p.value.setGrad(try Tensor(Array(flat[offset..<(offset + p.count)]), shape: p.shape))
            offset += p.count
        }
        let n = Float(communicator.size)
        for (b, before) in zip(buffers, buffersBefore) {
            let delta = flat[offset..<(offset + before.count)]
            try b.value.assign(zip(before, delta).map { $1 == 0 ? $0 : $0 + $1 / n })
            offset += before.count
        }
        if let clip = settings.clipNorm { try clipGradientNorm(parameters, maxNorm: clip) }
        optimizer.apply(learningRates, step: globalStep)
        try optimizer.step()
        return result
    }
}
