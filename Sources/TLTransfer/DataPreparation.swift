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
    /// `perClassCounts` (one count per selected class) replaces `perClass` when given.
    public static func load(_ source: DataSource, classes: String?, perClass: Int?, perClassCounts: [Int]? = nil, seed: UInt64) throws -> TaskData {
        let all = try source.load()
        let classIndices = try classes.map { try ClassSelection.resolve($0, classNames: all.classNames) }
        var selection = DataSelection(classes: classIndices, perClass: perClass, seed: seed)
        selection.perClassCounts = perClassCounts
        return try select(all, source: source, selection: selection)
    }

    /// Applies a recorded selection to a loaded data set.
    public static func select(_ all: Dataset, source: DataSource, selection: DataSelection) throws -> TaskData {
        let data = try selection.classes.map { try all.selectingClasses($0) } ?? all
        let counts = selection.perClassCounts ?? selection.perClass.map { [Int](repeating: $0, count: data.classCount) }
        guard let counts else {
            return TaskData(selected: data, rest: data.subset([]), selection: selection, source: source)
        }
        let chosen = try data.fewShotIndices(counts: counts, seed: selection.seed)
        let chosenSet = Set(chosen)
        let rest = (0..<data.count).filter { !chosenSet.contains($0) }
        var selected = data.subset(chosen)
        let drawn = selection.perClassCounts.map { $0.map(String.init).joined(separator: ",") } ?? "\(counts[0])"
        selected.source = data.source + " [\(drawn) per class, seed \(selection.seed)]"
        return TaskData(selected: selected, rest: data.subset(rest), selection: selection, source: source)
    }
}
