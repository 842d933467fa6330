import TLTensor
import TLNN
import TLData
import TLModels

/// Image embeddings: a dense model's features at one block (by default the block before the
/// head), globally average-pooled over height and width when the block outputs feature maps
/// `[N, H, W, C]`, flattened otherwise. For unsupervised reuse (clustering, retrieval, probes).
public struct ImageEmbedder {
    public let model: TransferModel
    /// The block whose output is the embedding; blocks `0...block` run.
    public let block: Int

    /// - Parameter block: a block index or name; nil = the block before the head.
    public init(model: TransferModel, block: String? = nil) throws {
        self.model = model
        guard case .dense = model.spec.input else {
            throw ModelError("model '\(model.spec.name)' takes \(model.spec.input.summary) inputs; image embeddings need an image model")
        }
        let names = model.spec.blocks.map(\.name)
        if let block {
            if let i = Int(block) {
                guard i >= 0, i < model.blockCount else {
                    throw ModelError("block \(i) is outside the model's blocks 0–\(model.blockCount - 1) (\(names.joined(separator: ", ")))")
                }
                self.block = i
            } else if let i = names.firstIndex(of: block) {
                self.block = i
            } else {
                let hint = nearestWord(to: block, in: names).map { "; did you mean '\($0)'?" } ?? ""
                throw ModelError("no block named '\(block)'\(hint) (blocks: \(names.joined(separator: ", ")))")
            }
        } else {
            self.block = max(0, model.headIndex - 1)
        }
    }

    /// The name of the embedding block.
    public var blockName: String { model.spec.blocks[block].name }

    /// Embeddings of prepared (fitted and normalised) images: `count × dimension` values.
    public func embed(_ data: Dataset, batchSize: Int = 64) throws -> (dimension: Int, values: [Float]) {
        model.eval()
        defer { model.train() }
        var values: [Float] = []
        var dimension = 0
        try withNoGrad {
            var batches = try data.batches(size: batchSize, shuffle: false)
            while let batch = batches.next() {
                let y = try model.forward(try Tensor(batch.features, shape: batch.shape), blocks: 0..<(block + 1))
                let s = y.shape, f = y.scalars
                let n = s[0]
                if s.count == 4 {
                    // Global average pool: [N, H, W, C] → [N, C].
                    let hw = s[1] * s[2], c = s[3]
                    dimension = c
                    for i in 0..<n {
                        var acc = [Float](repeating: 0, count: c)
                        for p in 0..<hw { for k in 0..<c { acc[k] += f[(i * hw + p) * c + k] } }
                        values += acc.map { $0 / Float(hw) }
                    }
                } else {
                    dimension = f.count / max(n, 1)
                    values += f
                }
            }
        }
        return (dimension, values)
    }
}
