import Foundation
import TLData
import TLModels
import TLNN

/// Turns a data argument plus `--classes` / `--per-class` into the samples a command uses.
public struct TaskData {
    /// The selected samples (the few-shot draw when `perClass` is set), raw (not normalised).
    public var selected: Dataset
    /// Samples of the selected classes that the few-shot draw left out (empty without `perClass`).
    public var rest: Dataset
    public var selection: DataSelection
    public var source: DataSource

    /// Loads `source`, keeps `classes` (relabelled 0…), draws `perClass` samples per class with `seed`.
    public static func load(_ source: DataSource, classes: String?, perClass: Int?, seed: UInt64) throws -> TaskData {
        let all = try source.load()
        let classIndices = try classes.map { try ClassSelection.resolve($0, classNames: all.classNames) }
        return try select(all, source: source, selection: DataSelection(classes: classIndices, perClass: perClass, seed: seed))
    }

    /// Applies a recorded selection to a loaded data set.
    public static func select(_ all: Dataset, source: DataSource, selection: DataSelection) throws -> TaskData {
        let data = try selection.classes.map { try all.selectingClasses($0) } ?? all
        guard let perClass = selection.perClass else {
            return TaskData(selected: data, rest: data.subset([]), selection: selection, source: source)
        }
        let chosen = try data.fewShotIndices(perClass: perClass, seed: selection.seed)
        let chosenSet = Set(chosen)
        let rest = (0..<data.count).filter { !chosenSet.contains($0) }
        var selected = data.subset(chosen)
        selected.source = data.source + " [\(perClass) per class, seed \(selection.seed)]"
        return TaskData(selected: selected, rest: data.subset(rest), selection: selection, source: source)
    }
}

extension ModelSpec {
    /// Adapts numeric samples to this model's input: identical shapes pass; an image is
    /// resized (bilinear) and its channels converted; a flat input of the same element count
    /// is reshaped. Token models take token ids and need `TextEncoding.encode` first.
    public func fitInput(_ data: Dataset) throws -> Dataset {
        guard case .dense(let shape) = input else { return data }
        if data.sampleShape == shape { return data }
        if data.texts != nil && data.sampleSize == 0 {
            throw DataError(file: data.source, reason: "model '\(name)' takes \(shape) inputs, not text")
        }
        var d = data
        if shape.count == 3 {
            guard data.sampleShape.count == 3 else {
                throw DataError(file: data.source, reason: "model '\(name)' takes [H, W, C] = \(shape) images, data samples are \(data.sampleShape)")
            }
            if d.sampleShape[2] != shape[2] { d = try d.withChannels(shape[2]) }
            if d.sampleShape[0] != shape[0] || d.sampleShape[1] != shape[1] { d = try d.resized(height: shape[0], width: shape[1]) }
            return d
        }
        guard data.sampleSize == shape.reduce(1, *) else {
            throw DataError(file: data.source, reason: "model '\(name)' takes \(shape) inputs, data samples are \(data.sampleShape)")
        }
        d.sampleShape = shape
        return d
    }
}
