import TLNN
import TLData
import TLModels

extension ImagePreparation {
    /// How images are prepared for a model: the preprocessing its checkpoint records (a model
    /// imported with its own input size and crop, e.g. an ImageNet network), else its spec's
    /// `[H, W, C]` input with an aspect-keeping centre crop. nil for token and flat models.
    ///
    /// Normalisation is not part of this: it stays `CheckpointInfo.normalization`, applied
    /// after preparation by `TrainingPipeline.prepareForEvaluation` and the trainer.
    public static func forModel(_ spec: ModelSpec, info: CheckpointInfo? = nil) -> ImagePreparation? {
        if let recorded = info?.image { return recorded }
        guard case .dense(let shape) = spec.input, shape.count == 3, shape[2] == 1 || shape[2] == 3 else { return nil }
        return ImagePreparation(height: shape[0], width: shape[1], channels: shape[2])
    }
}

extension DataSource {
    /// This source with `preparation` for images that need fitting (a data argument's own
    /// `size=`, `channels=` and `fit=` still win).
    public func preparingImages(_ preparation: ImagePreparation?) -> DataSource {
        var s = self
        s.imagePreparation = preparation
        return s
    }
}
