/// How the values of one sample are ordered in a file, when the file's own shape does not say.
///
/// - `nhwc`: channels last, `[H, W, C]` (tl's own layout, TensorFlow/Keras).
/// - `nchw`: channels first, `[C, H, W]` (PyTorch); also a flat row of C·H·W values in that order.
/// - `flat`: a row-major run of values reshaped to the model's input as is.
public enum SampleLayout: String, Sendable, Equatable, CaseIterable {
    case nhwc, nchw, flat
}

/// How a loader read a data set, for messages that must say it (e.g. "labels from column
/// 'label' (column 1 of 785)") and for later steps that need a declared layout.
public struct DataReading: Sendable, Equatable {
    /// Where the labels came from, as a phrase: "labels from the last column (column 785 of 785)".
    public var labels: String?
    /// A layout declared by the data argument (`layout=`), or nil to let the input rule decide.
    public var layout: SampleLayout?
    /// What image preparation did (sizes found, resizing, channel conversion, skipped files), or nil.
    public var images: String? = nil

    public init(labels: String? = nil, layout: SampleLayout? = nil) {
        self.labels = labels
        self.layout = layout
    }
}

extension Dataset {
    /// Channels-first samples `[C, H, W]` transposed to tl's channels-last `[H, W, C]`.
    ///
    ///     features [count, C, H, W] → [count, H, W, C]
    public func channelsFirstToLast() throws -> Dataset {
        guard sampleShape.count == 3, sampleShape.allSatisfy({ $0 > 0 }) else {
            throw DataError(file: source, reason: "a channels-first transpose needs samples [C, H, W], have \(sampleShape)")
        }
        let (c, h, w) = (sampleShape[0], sampleShape[1], sampleShape[2])
        let size = c * h * w
        var f = [Float](repeating: 0, count: features.count)
        features.withUnsafeBufferPointer { src in
            f.withUnsafeMutableBufferPointer { dst in
                for i in 0..<count {
                    let base = i * size
                    for k in 0..<c {
                        for y in 0..<h {
                            for x in 0..<w { dst[base + (y * w + x) * c + k] = src[base + (k * h + y) * w + x] }
                        }
                    }
                }
            }
        }
        var d = self
        d.features = f
        d.sampleShape = [h, w, c]
        return d
    }
}
