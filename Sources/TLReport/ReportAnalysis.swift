import Foundation
import TLTensor
import TLNN
import TLData
import TLModels
import TLTransfer
import TLSafeTensors

/// Scores a model on prepared data in one pass — features before the head, then the head —
/// and derives what the evaluation sections show: metrics (the same `ClassificationMetrics`
/// `tl eval` prints), reliability bins, the highest-loss examples and a PCA of the features.
public enum ReportAnalysis {
    /// - Parameters:
    ///   - data: prepared as for training (fitted, normalised or encoded).
    ///   - normalization: undone for thumbnails (images are then scaled to their own range).
    ///   - worstCount: how many highest-loss examples to keep.
    ///   - projectionSamples: at most this many samples (evenly spaced) in the PCA plot.
    public static func evaluate(_ model: TransferModel, data: Dataset, setName: String, classNames: [String],
                                normalization: Normalization?, batchSize: Int = 256, worstCount: Int = 12,
                                projectionSamples: Int = 600) throws -> Evaluation {
        let classes = model.classCount
        let pcaEvery = Swift.max(1, (data.count + projectionSamples - 1) / Swift.max(projectionSamples, 1))
        var probabilities: [Float] = []
        probabilities.reserveCapacity(data.count * classes)
        var kept: [Float] = []
        var keptLabels: [Int] = []
        var featureCount = 0
        model.eval()
        defer { model.train() }
        try withNoGrad {
            var batches = try data.batches(size: batchSize, shuffle: false)
            var offset = 0
            while let batch = batches.next() {
                let features = try model.forward(try Tensor(batch.features, shape: batch.shape), blocks: 0..<model.headIndex)
                let logits = try model.blocks[model.headIndex].forward(features)
                probabilities += try logits.softmax(axis: 1).scalars
                let rows = batch.shape[0]
                let width = features.count / Swift.max(rows, 1)
                featureCount = width
                let scalars = features.scalars
                for r in 0..<rows where (offset + r) % pcaEvery == 0 {
                    kept += scalars[(r * width)..<((r + 1) * width)]
                    keptLabels.append(data.labels[offset + r])
                }
                offset += rows
            }
        }
        let metrics = ClassificationMetrics(probabilities: probabilities, labels: data.labels, classes: classes)
        var confidences: [Double] = [], correct: [Bool] = [], examples: [Example] = []
        confidences.reserveCapacity(data.count)
        for i in 0..<data.count {
            let row = probabilities[(i * classes)..<((i + 1) * classes)]
            var best = row.startIndex
            for j in row.indices where row[j] > row[best] { best = j }
            let predicted = best - row.startIndex
            confidences.append(Double(row[best]))
            correct.append(predicted == data.labels[i])
            let p = Double(row[row.startIndex + data.labels[i]])
            examples.append(Example(index: i, trueClass: data.labels[i], predicted: predicted, probabilityOfTrue: p,
                                    loss: -Foundation.log(Swift.max(p, 1e-12))))
        }
        var worst = Array(examples.sorted { $0.loss != $1.loss ? $0.loss > $1.loss : $0.index < $1.index }.prefix(worstCount))
        for k in worst.indices {
            if let texts = data.texts, worst[k].index < texts.count {
                worst[k].text = texts[worst[k].index]
            } else {
                worst[k].thumbnail = thumbnail(data, index: worst[k].index, normalization: normalization)
            }
        }
        var projection: Projection? = nil
        if keptLabels.count >= 3 && featureCount >= 2 {
            let (p, explained) = PCA.project(kept, rows: keptLabels.count, columns: featureCount)
            projection = Projection(xs: p[0], ys: p[1], classes: keptLabels, explained: (explained[0], explained[1]),
                                    featureCount: featureCount, sampleCount: keptLabels.count)
        }
        return Evaluation(setName: setName, classNames: classNames, metrics: metrics,
                          bins: ReliabilityPlot.bins(confidences: confidences, correct: correct), worst: worst, projection: projection)
    }

    /// Sample `index` of image data (`[H, W, 1|3]`) as a PNG data URI: normalisation undone,
    /// then scaled to its own minimum and maximum. Nil for other shapes.
    public static func thumbnail(_ data: Dataset, index: Int, normalization: Normalization?) -> String? {
        let shape = data.sampleShape
        guard shape.count == 3, shape[2] == 1 || shape[2] == 3, shape[0] <= 256, shape[1] <= 256 else { return nil }
        let c = shape[2], size = data.sampleSize
        var values = Array(data.features[(index * size)..<((index + 1) * size)])
        if let normalization, normalization.mean.count == c {
            for i in values.indices { values[i] = values[i] * normalization.std[i % c] + normalization.mean[i % c] }
        }
        let low = values.min() ?? 0, high = values.max() ?? 1
        let scale = high > low ? 255 / (high - low) : 0
        let pixels = values.map { UInt8(Swift.max(0, Swift.min(255, (($0 - low) * scale).rounded()))) }
        return try? PNGEncoder.dataURI(width: shape[1], height: shape[0], channels: c, pixels: pixels)
    }

    /// Relative L2 change of each block's parameters from the same-named tensors of `source`:
    /// ‖w − w₀‖ / ‖w₀‖ over the block. Blocks without parameters, or whose tensors the
    /// source lacks (a new head), get a note instead of a figure.
    /// A replaced head (`headReplaced`) is never compared, even when its shape matches the source's.
    public static func drift(_ model: TransferModel, source: SafeTensorsFile, frozenBlocks: Set<Int>,
                             headReplaced: Bool = false) throws -> [DriftPlot.Row] {
        try (0..<model.blockCount).map { b in
            let label = "\(b) \(model.spec.blocks[b].name)"
            let named = model.blocks[b].namedParameters()
            guard !named.isEmpty else { return DriftPlot.Row(label: label, drift: nil, frozen: false, note: "no parameters") }
            if headReplaced && b == model.headIndex {
                return DriftPlot.Row(label: label, drift: nil, frozen: false, note: "new head (not in the source)")
            }
            var diff = 0.0, base = 0.0, compared = 0
            for (path, parameter) in named {
                let name = model.pathPrefix(ofBlock: b) + path
                guard let stored = source.tensors[name], stored.shape == parameter.shape else { continue }
                let w0 = try stored.floats(), w = parameter.value.scalars
                for i in w.indices {
                    let d = Double(w[i]) - Double(w0[i])
                    diff += d * d
                    base += Double(w0[i]) * Double(w0[i])
                }
                compared += 1
            }
            guard compared > 0 else {
                return DriftPlot.Row(label: label, drift: nil, frozen: false,
                                     note: b == model.headIndex ? "new head (not in the source)" : "not in the source")
            }
            let value = base > 0 ? (diff / base).squareRoot() : diff.squareRoot()
            return DriftPlot.Row(label: label, drift: value, frozen: frozenBlocks.contains(b))
        }
    }
}
