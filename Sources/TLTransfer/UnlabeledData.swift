import Foundation
import TLData
import TLModels
import TLNN

/// Unlabeled target data for domain adaptation: any data source, labels ignored.
public enum UnlabeledData {
    /// Loads `source` and prepares its inputs exactly as the model's training inputs: text
    /// encoded with `encoding`, images and arrays fitted to the model's input and normalised with
    /// `normalization`. Every sample is kept; the labels are ignored.
    public static func prepare(_ source: DataSource, spec: ModelSpec, normalization: Normalization?,
                               encoding: TextEncoding?) throws -> Dataset {
        let raw = try source.load()
        guard raw.count > 0 else { throw TrainingError("\(source): holds no samples") }
        if case .tokens(let length) = spec.input {
            guard let encoding else { throw TrainingError("\(source): the model has no vocabulary to encode text with") }
            return try encoding.encode(raw, length: length)
        }
        let fitted = try spec.fitInput(raw)
        return try normalization.map { try $0.apply(to: fitted) } ?? fitted
    }
}
