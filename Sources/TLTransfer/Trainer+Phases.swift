import TLModels
import TLSafeTensors
import Foundation
import TLTensor
import TLNN
import TLOptim
import TLData

/// Phases (which parameters train, with which optimizer groups) and the frozen-prefix cache.
extension Trainer {
    /// Applies the freeze state of schedule phase `index` and builds a fresh optimizer over
    /// the trainable parameters, one group per block so discriminative learning rates apply.
    func enterPhase(_ index: Int) throws {
        let frozen = schedule.frozenParameters(inPhase: index)
        var groups: [ParameterGroup] = []
        for (b, params) in parametersByBlock.enumerated() {
            for (_, p) in params { if frozen.contains(ObjectIdentifier(p)) { p.freeze() } else { p.unfreeze() } }
            let trainable = params.filter { !$0.parameter.isFrozen }
            guard !trainable.isEmpty else { continue }
            groups.append(ParameterGroup(parameters: trainable, learningRate: settings.learningRate(ofBlock: b, headIndex: model.headIndex),
                                         weightDecay: settings.weightDecay))
        }
        guard !groups.isEmpty else { throw FreezeError.nothingToTrain(epoch: schedule.phases[index].firstEpoch) }
        switch settings.optimizer {
        case .sgd: optimizer = try SGD(groups: groups, momentum: settings.momentum)
        case .adam: optimizer = try Adam(groups: groups)
        case .adamw: optimizer = try Adam.adamW(groups: groups)
        }
        phase = index
    }

    /// Restores the user's freeze configuration (after the run, for verification and saving).
    func restoreInitialFreeze() {
        for p in parametersByBlock.joined().map(\.parameter) {
            if schedule.initiallyFrozen.contains(ObjectIdentifier(p)) { p.freeze() } else { p.unfreeze() }
        }
    }

    /// The leading run of fully frozen blocks is a fixed feature extractor: it runs in
    /// inference mode (no dropout; BatchNorm already uses running statistics when frozen),
    /// which also makes it deterministic, so its outputs can be cached. Blocks above it keep
    /// their dropout.
    func setFrozenPrefixToInference() {
        var b = 0
        while b < model.headIndex, model.isBlockFrozen(b) { model.blocks[b].eval(); b += 1 }
    }

    /// Index of the first block that must run every step: blocks before it are frozen and
    /// deterministic, so their outputs can be computed once.
    func cacheablePrefix() -> Int {
        guard settings.useCache, settings.augment.isIdentity else { return 0 }
        var k = 0
        while k < model.headIndex, model.isBlockFrozen(k), model.isBlockDeterministic(k) { k += 1 }
        return k
    }

    /// Runs the prefix `0..<k` over a data set in fixed-size chunks without recording
    /// gradients, returning a data set of the prefix's outputs.
    func prefixFeatures(_ data: Dataset, blocks k: Int) throws -> Dataset? {
        let chunk = settings.batchSize
        var features: [Float] = []
        var sampleShape: [Int] = []
        var start = 0
        while start < data.count {
            let idx = Array(start..<Swift.min(start + chunk, data.count))
            let part = data.subset(idx)
            let x = try Tensor(part.features, shape: [idx.count] + part.sampleShape)
            let h = try withNoGrad { try model.forward(x, blocks: 0..<k) }
            if sampleShape.isEmpty {
                sampleShape = Array(h.shape.dropFirst())
                let bytes = data.count * sampleShape.reduce(1, *) * 4
                guard bytes <= cacheLimitBytes else {
                    events.message?("frozen-prefix cache would need \(bytes >> 20) MiB (limit \(cacheLimitBytes >> 20) MiB, TL_CACHE_LIMIT_MB): running the prefix every step")
                    return nil
                }
                features.reserveCapacity(data.count * sampleShape.reduce(1, *))
            }
            features += h.scalars
            start += chunk
        }
        return try Dataset(features: features, sampleShape: sampleShape, labels: data.labels,
                           classNames: data.classNames, source: data.source + " [cached through block \(k - 1)]")
    }
}
