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
