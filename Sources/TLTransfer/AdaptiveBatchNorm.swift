import Foundation
import TLTensor
import TLNN
import TLData
import TLModels

/// AdaBN (Li et al., 2016): re-estimate every BatchNorm's running statistics on target inputs,
/// leaving every weight unchanged.
///
/// The statistics are **exact**, not a momentum blend: for each BatchNorm, in forward order,
/// the mean and the unbiased variance of its input over *all* given samples (accumulated in
/// Double), with every earlier BatchNorm already adapted and the model in inference mode, so
/// each layer sees exactly the inputs it will see at test time. That costs one pass over the
/// data per BatchNorm (through the blocks up to the one holding it); nothing is trained.
public enum AdaptiveBatchNorm {
    /// What was adapted.
    public struct Summary: Sendable, Equatable {
        /// BatchNorm layers re-estimated.
        public var layers: Int
        /// Samples their statistics were computed from.
        public var samples: Int
        /// Mean absolute change of the running means and variances, over all channels.
        public var meanShift: Double
        public var varianceShift: Double
    }

    /// Re-estimates the running mean and variance of every BatchNorm of `model` on `data`
    /// (prepared inputs: fitted to the model's input and normalised; labels are ignored).
    /// `numBatchesTracked` is left unchanged.
    public static func adapt(_ model: TransferModel, on data: Dataset, batchSize: Int = 256) throws -> Summary {
        guard data.count >= 2 else { throw TrainingError("AdaBN needs at least 2 unlabeled samples, got \(data.count)") }
        let wasTraining = model.isTraining
        model.eval()
        defer { if wasTraining { model.train() } }
        var layers = 0
        var meanShift = 0.0, varianceShift = 0.0, channels = 0
        for b in 0..<model.blockCount {
            for (_, module) in model.blocks[b].namedModules() {
                guard let norm = module as? BatchNorm else { continue }
                let c = norm.featureCount
                var sum = [Double](repeating: 0, count: c), squares = [Double](repeating: 0, count: c)
                var n = 0
                norm.inputObserver = { x in
                    let values = x.scalars
                    for row in stride(from: 0, to: values.count, by: c) {
                        for k in 0..<c {
                            let v = Double(values[row + k])
                            sum[k] += v
                            squares[k] += v * v
                        }
                    }
                    n += values.count / c
                }
                defer { norm.inputObserver = nil }
                try withNoGrad {
                    var batches = try data.batches(size: Swift.max(batchSize, 1), shuffle: false)
                    while let batch = batches.next() {
                        _ = try model.forward(try Tensor(batch.features, shape: batch.shape), blocks: 0..<(b + 1))
                    }
                }
                norm.inputObserver = nil
                guard n >= 2 else { throw TrainingError("AdaBN: BatchNorm in block \(b) saw \(n) values per channel; need at least 2") }
                let mean = sum.map { $0 / Double(n) }
                let variance = (0..<c).map { Swift.max(0, (squares[$0] - Double(n) * mean[$0] * mean[$0]) / Double(n - 1)) }
                let oldMean = norm.runningMean.value.scalars, oldVariance = norm.runningVar.value.scalars
                for k in 0..<c {
                    meanShift += Swift.abs(mean[k] - Double(oldMean[k]))
                    varianceShift += Swift.abs(variance[k] - Double(oldVariance[k]))
                }
                channels += c
                norm.runningMean.value = try Tensor(mean.map(Float.init), shape: [c])
                norm.runningVar.value = try Tensor(variance.map(Float.init), shape: [c])
                layers += 1
            }
        }
        return Summary(layers: layers, samples: data.count, meanShift: channels > 0 ? meanShift / Double(channels) : 0,
                       varianceShift: channels > 0 ? varianceShift / Double(channels) : 0)
    }
}
