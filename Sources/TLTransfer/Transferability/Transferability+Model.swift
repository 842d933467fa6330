import Foundation
import TLTensor
import TLNN
import TLData
import TLModels
import TLSafeTensors

/// The scores of one block's output features on the target.
public struct BlockScores: Sendable, Equatable, Codable {
    public var block: Int
    public var name: String
    /// Width of the feature vector the scores read (flattened block output).
    public var dimension: Int
    public var logME: Double
    public var hScore: Double
}

/// Every score of one candidate source on one target.
public struct CandidateScores: Sendable {
    public var path: String
    public var architecture: String
    public var kind: String
    /// Scores of the block before the head (the features fine-tuning builds on).
    public var features: BlockScores
    /// Scores of every block below the head (only with `allBlocks`).
    public var blocks: [BlockScores]
    /// From the source head's predictions; nil when the candidate has no trained source head
    /// (an imported encoder's placeholder head): not applicable, not zero.
    public var leep: Double?
    public var nce: Double?
    public var sourceClasses: Int
    public var seconds: Double
}

extension Transferability {
    /// Output features of blocks `0...block` of `model` on prepared data (eval mode, no
    /// gradients), as a matrix: image activations flattened; token activations `[N, T, D + 1]`
    /// averaged over the tokens the mask keeps (mask channel dropped).
    public static func features(_ model: TransferModel, data: Dataset, throughBlocks blocks: [Int], batchSize: Int = 256) throws -> [Int: FeatureMatrix] {
        model.eval()
        defer { model.train() }
        guard let last = blocks.max() else { return [:] }
        var values: [Int: [Double]] = [:], widths: [Int: Int] = [:]
        try withNoGrad {
            var batches = try data.batches(size: batchSize, shuffle: false)
            while let batch = batches.next() {
                var h = try Tensor(batch.features, shape: batch.shape)
                for b in 0...last {
                    h = try model.blocks[b].forward(h)
                    guard blocks.contains(b) else { continue }
                    let (rows, width) = try flatten(h, tokens: model.vocabularySize > 0)
                    widths[b] = width
                    values[b, default: []] += rows
                }
            }
        }
        var out: [Int: FeatureMatrix] = [:]
        for b in blocks { out[b] = try FeatureMatrix(rows: data.count, columns: widths[b] ?? 0, values: values[b] ?? []) }
        return out
    }

    /// One row per sample: `[N, …]` flattened, or masked token means of `[N, T, D + 1]`.
    static func flatten(_ h: Tensor, tokens: Bool) throws -> (values: [Double], width: Int) {
        let s = h.shape, x = h.scalars
        let n = s[0]
        if tokens && s.count == 3 && s[2] > 1 {
            let t = s[1], d = s[2] - 1
            var out = [Double](repeating: 0, count: n * d)
            for i in 0..<n {
                var kept = 0.0
                for p in 0..<t where x[(i * t + p) * (d + 1) + d] != 0 {
                    kept += 1
                    for j in 0..<d { out[i * d + j] += Double(x[(i * t + p) * (d + 1) + j]) }
                }
                for j in 0..<d { out[i * d + j] /= Swift.max(kept, 1) }
            }
            return (out, d)
        }
        let width = s.dropFirst().reduce(1, *)
        return (x.map(Double.init), width)
    }

    /// LogME and H-score of each of `blocks` on `data` (prepared for `model`).
    public static func blockScores(_ model: TransferModel, data: Dataset, blocks: [Int], batchSize: Int = 256) throws -> [BlockScores] {
        let features = try features(model, data: data, throughBlocks: blocks, batchSize: batchSize)
        return try blocks.map { b in
            guard let f = features[b] else { throw TransferabilityError.shape("no features were extracted for block \(b)") }
            return BlockScores(block: b, name: model.spec.blocks[b].name, dimension: f.columns,
                               logME: try logME(f, labels: data.labels, classes: data.classCount),
                               hScore: try hScore(f, labels: data.labels, classes: data.classCount))
        }
    }

    /// Scores a candidate checkpoint on raw target samples: prepares them as the checkpoint's
    /// own training data was prepared (normalisation, input fitting, vocabulary), extracts the
    /// block before the head (and every block below it when `allBlocks`), and computes LogME and
    /// H-score on those features, and LEEP and NCE from the source head when it is a trained one.
    public static func score(checkpoint file: SafeTensorsFile, path: String, target: Dataset, allBlocks: Bool,
                             batchSize: Int = 256) throws -> CandidateScores {
        let started = Date()
        var rng = SeededGenerator(seed: 0)
        let checkpoint = try Checkpoint.decode(file, path: path, rng: &rng)
        let model = checkpoint.model, info = checkpoint.info
        let data = try TrainingPipeline.prepareForEvaluation(target, model: model, info: info)
        guard model.headIndex >= 1 else { throw TrainingError("\(path): the model has no block below its head to read features from") }
        let chosen = allBlocks ? Array(0..<model.headIndex) : [model.headIndex - 1]
        let scores = try blockScores(model, data: data, blocks: chosen, batchSize: batchSize)
        var leepValue: Double? = nil, nceValue: Double? = nil
        // A trained source head is needed; an imported encoder's 1-class placeholder is not one
        // (an imported classifier such as EfficientNet-Lite0's ImageNet head is).
        if info.classNames != [HuggingFaceImporter.placeholderClass] {
            let z = model.classCount
            let p = try TrainingPipeline.predictProbabilities(model, data: data, batchSize: batchSize).map(Double.init)
            leepValue = try leep(probabilities: p, sourceClasses: z, labels: data.labels, classes: data.classCount)
            let hard = (0..<data.count).map { i in (0..<z).max { p[i * z + $0] < p[i * z + $1] } ?? 0 }
            nceValue = try nce(sourceLabels: hard, labels: data.labels, classes: data.classCount)
        }
        return CandidateScores(path: path, architecture: model.spec.name, kind: info.kind, features: scores.last!,
                               blocks: allBlocks ? scores : [], leep: leepValue, nce: nceValue, sourceClasses: model.classCount,
                               seconds: Date().timeIntervalSince(started))
    }

    /// Kendall's τ-b between two rankings (ties counted as neither concordant nor discordant).
    public static func kendallTau(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "paired values")
        var concordant = 0.0, discordant = 0.0, tiesA = 0.0, tiesB = 0.0
        for i in 0..<a.count {
            for j in (i + 1)..<Swift.max(i + 1, a.count) {
                let x = (a[i] - a[j]).sign, y = (b[i] - b[j]).sign
                if a[i] == a[j] && b[i] == b[j] { continue }
                if a[i] == a[j] { tiesA += 1; continue }
                if b[i] == b[j] { tiesB += 1; continue }
                if x == y { concordant += 1 } else { discordant += 1 }
            }
        }
        let denominator = ((concordant + discordant + tiesA) * (concordant + discordant + tiesB)).squareRoot()
        return denominator > 0 ? (concordant - discordant) / denominator : .nan
    }
}
