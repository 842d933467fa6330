import TLIO

/// An in-memory labelled data set.
///
/// Features are one flat contiguous `[Float]` holding `count` samples of `sampleShape`
/// elements each (images are channels-last `[H, W, C]`), so a sample is the slice
/// `features[i * sampleSize ..< (i + 1) * sampleSize]` and batches are plain copies.
/// Text data sets keep the raw strings in `texts`, with `sampleShape == [0]` and no features
/// until a tokenizer turns them into ids.
public struct Dataset: Sendable, Equatable {
    /// All samples back to back, `count * sampleSize` values.
    public var features: [Float]
    /// The shape of one sample, e.g. `[28, 28, 1]` (channels-last) or `[64]`.
    public var sampleShape: [Int]
    /// One class index per sample, each in `0 ..< classNames.count`.
    public var labels: [Int]
    /// Human-readable class names; the label is an index into this array.
    public var classNames: [String]
    /// The raw texts of a text data set (one per sample), or `nil`.
    public var texts: [String]?
    /// Where the data came from (file, built-in name, transformations), for logs and checkpoints.
    public var source: String
    /// How the loader read it: where the labels came from, and a declared sample layout.
    public var reading = DataReading()

    /// Creates a data set after checking that sizes and labels agree.
    public init(features: [Float], sampleShape: [Int], labels: [Int], classNames: [String],
                texts: [String]? = nil, source: String) throws {
        guard sampleShape.allSatisfy({ $0 >= 0 }) else {
            throw DataError(file: source, reason: "sample shape \(sampleShape) has a negative dimension")
        }
        guard let size = AllocationBudget.product(sampleShape), let total = AllocationBudget.product([labels.count, size]) else {
            throw DataError(file: source, reason: "sample shape \(sampleShape) overflows the element count")
        }
        guard features.count == total else {
            throw DataError(file: source, reason: "\(features.count) feature values do not fill \(labels.count) samples of shape \(sampleShape)")
        }
        if let texts, texts.count != labels.count {
            throw DataError(file: source, reason: "\(texts.count) texts for \(labels.count) labels")
        }
        if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= classNames.count }) {
            throw DataError(file: source, location: "sample \(bad)", reason: "label \(labels[bad]) out of range 0..<\(classNames.count)")
        }
        self.init(unchecked: features, sampleShape: sampleShape, labels: labels, classNames: classNames, texts: texts, source: source)
    }

    /// Memberwise init for internal callers that already guarantee consistency.
    init(unchecked features: [Float], sampleShape: [Int], labels: [Int], classNames: [String], texts: [String]?, source: String) {
        self.features = features
        self.sampleShape = sampleShape
        self.labels = labels
        self.classNames = classNames
        self.texts = texts
        self.source = source
    }

    /// Number of samples.
    public var count: Int { labels.count }
    /// Number of values in one sample (product of `sampleShape`).
    public var sampleSize: Int { sampleShape.reduce(1, *) }
    /// Number of classes.
    public var classCount: Int { classNames.count }
    /// Channels of an image data set (last dimension of a rank-3 `sampleShape`), else 1.
    public var channels: Int { sampleShape.count == 3 ? sampleShape[2] : 1 }

    /// A copy of the features of sample `i` (zero-based, unlike a slice of `features`).
    public func sample(_ i: Int) -> [Float] {
        Array(sampleSlice(i))
    }

    /// The features of sample `i` as a slice of `features` (indices start at `i * sampleSize`).
    public func sampleSlice(_ i: Int) -> ArraySlice<Float> {
        features[i * sampleSize ..< (i + 1) * sampleSize]
    }

    /// How many samples each class has.
    public func classCounts() -> [Int] {
        var c = [Int](repeating: 0, count: classCount)
        for l in labels { c[l] += 1 }
        return c
    }

    /// A data set of the samples at `indices`, in that order (indices may repeat).
    /// Every index must be in `0 ..< count` (a programming error otherwise, not a data error).
    public func subset(_ indices: [Int]) -> Dataset {
        let size = sampleSize
        var f = [Float]()
        f.reserveCapacity(indices.count * size)
        features.withUnsafeBufferPointer { src in
            for i in indices { f.append(contentsOf: src[i * size ..< (i + 1) * size]) }
        }
        var d = Dataset(unchecked: f, sampleShape: sampleShape, labels: indices.map { labels[$0] },
                        classNames: classNames, texts: texts.map { t in indices.map { t[$0] } }, source: source)
        d.reading = reading
        return d
    }
}

extension Dataset: CustomStringConvertible {
    public var description: String {
        "Dataset(\(count) samples of \(sampleShape), \(classCount) classes, source: \(source))"
    }
}
