import TLData

/// How raw images must be prepared for a model, recorded in its checkpoint
/// (`CheckpointInfo.preprocessing`) so that every command applies it the same way.
///
/// For EfficientNet-Lite0 (TensorFlow weights): 224×224, RGB, pixel values 0–255 normalised
/// as (x − 127) / 128. tl's image loaders scale pixels to 0–1, so the same transform on that
/// scale is `normalization` (mean 127/255, std 128/255), which `finetune`, `eval`, `predict`
/// and `embed` apply through `CheckpointInfo.normalization`.
public struct ImagePreprocessing: Codable, Sendable, Equatable {
    /// Input size the model expects, `[height, width]` (images are resized to it).
    public var size: [Int]
    /// Channel order of the model's input: "RGB" (channel 0 red) or "BGR".
    public var channelOrder: String
    /// Per-channel mean and standard deviation on the 0–255 pixel scale: x′ = (x − mean) / std.
    public var mean: [Float]
    public var std: [Float]

    public init(size: [Int], channelOrder: String, mean: [Float], std: [Float]) {
        self.size = size
        self.channelOrder = channelOrder
        self.mean = mean
        self.std = std
    }

    /// EfficientNet-Lite's TensorFlow preprocessing: 224×224 RGB, (x − 127) / 128.
    public static let efficientNetLite = ImagePreprocessing(size: [224, 224], channelOrder: "RGB",
                                                            mean: [127, 127, 127], std: [128, 128, 128])

    /// The same normalisation for pixels scaled to 0–1 (how tl's loaders read images).
    public var normalizationForUnitPixels: Normalization {
        Normalization(mean: mean.map { $0 / 255 }, std: std.map { $0 / 255 })
    }

    /// One line: "224×224 RGB, (x − 127) / 128 on 0–255 pixels".
    public var summary: String {
        let m = Set(mean).count == 1 ? "\(mean[0].formatted)" : "\(mean.map(\.formatted))"
        let s = Set(std).count == 1 ? "\(std[0].formatted)" : "\(std.map(\.formatted))"
        return "\(size.map(String.init).joined(separator: "×")) \(channelOrder), (x − \(m)) / \(s) on 0–255 pixels"
    }
}

private extension Float {
    var formatted: String { self == rounded() ? String(Int(self)) : String(self) }
}
