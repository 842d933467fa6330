import TLTensor

/// One mini-batch: `count` samples back to back in `features` (`[count] + sampleShape`).
public struct Batch: Sendable {
    public var features: [Float]
    public var labels: [Int]
    /// Positions of these samples in the source data set.
    public var indices: [Int]
    public var sampleShape: [Int]
    /// Mixup/cutmix pairing of this batch (its loss mixes two labels per sample), or nil.
    public var mix: BatchMix? = nil
    public var count: Int { labels.count }
    /// The batch shape `[count] + sampleShape`, e.g. `[N, H, W, C]`.
    public var shape: [Int] { [count] + sampleShape }

    /// A batch of `labels.count` samples (`features` holds `[count] + sampleShape` values).
    public init(features: [Float], labels: [Int], indices: [Int], sampleShape: [Int], mix: BatchMix? = nil) {
        self.features = features
        self.labels = labels
        self.indices = indices
        self.sampleShape = sampleShape
        self.mix = mix
    }
}

/// Iterates over a data set in mini-batches, optionally shuffled and augmented, all driven by
/// one `SeededGenerator` so an epoch is reproducible from its seed.
public struct BatchIterator: IteratorProtocol, Sequence {
    let data: Dataset
    let batchSize: Int
    let dropLast: Bool
    let augmentation: Augmentation?
    var order: [Int]
    var position = 0
    var rng: SeededGenerator

    init(data: Dataset, batchSize: Int, shuffle: Bool, dropLast: Bool, augmentation: Augmentation?, seed: UInt64) {
        self.data = data
        self.batchSize = batchSize
        self.dropLast = dropLast
        self.augmentation = augmentation
        rng = SeededGenerator(seed: seed)
        order = Array(0..<data.count)
        if shuffle { order.seededShuffle(using: &rng) }
    }

    /// Number of batches this iterator yields in total.
    public var batchCount: Int { dropLast ? order.count / batchSize : (order.count + batchSize - 1) / batchSize }

    public mutating func next() -> Batch? {
        let remaining = order.count - position
        guard remaining > 0, !(dropLast && remaining < batchSize) else { return nil }
        let n = Swift.min(batchSize, remaining)
        let idx = Array(order[position..<(position + n)])
        position += n
        let size = data.sampleSize
        var f = [Float](repeating: 0, count: n * size)
        data.features.withUnsafeBufferPointer { src in
            f.withUnsafeMutableBufferPointer { dst in
                for (k, i) in idx.enumerated() {
                    guard size > 0 else { continue }
                    (dst.baseAddress! + k * size).update(from: src.baseAddress! + i * size, count: size)
                }
            }
        }
        let labels = idx.map { data.labels[$0] }
        var mix: BatchMix? = nil
        if let aug = augmentation {
            aug.apply(to: &f, sampleShape: data.sampleShape, using: &rng)
            mix = aug.mixBatch(&f, labels: labels, sampleShape: data.sampleShape, using: &rng)
        }
        return Batch(features: f, labels: labels, indices: idx, sampleShape: data.sampleShape, mix: mix)
    }
}

extension Dataset {
    /// Mini-batches for one epoch. Use a different `seed` per epoch (e.g. `baseSeed &+ epoch`)
    /// for a different order; the same seed replays the same batches and augmentations.
    public func batches(size: Int, shuffle: Bool = true, seed: UInt64 = 0, dropLast: Bool = false,
                        augmentation: Augmentation? = nil) throws -> BatchIterator {
        guard size > 0 else { throw DataError(reason: "batch size must be positive, got \(size)") }
        return BatchIterator(data: self, batchSize: size, shuffle: shuffle, dropLast: dropLast, augmentation: augmentation, seed: seed)
    }
}
