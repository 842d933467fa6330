import TLIO

/// Class tables sized by the data: when a file gives integer labels but no class names, the
/// classes are "0" … "largest label". The largest label therefore sizes every per-class
/// structure downstream (the head's weights, per-class counts, a classes × classes confusion
/// matrix), so it is checked against the allocation budget first: a label of 999,999,999 is
/// an error naming the file and where that label is, not a 16 GB allocation.
enum ClassTable {
    /// "0" … "\(max label)" for `labels` read from `file`; `where(i)` names sample `i` in errors
    /// (e.g. "line 7", "element 3").
    static func numberedNames(labels: [Int], file: String, location: (Int) -> String) throws -> [String] {
        guard let top = labels.indices.max(by: { labels[$0] < labels[$1] }) else { return ["0"] }
        let count = labels[top] + 1
        do {
            // The confusion matrix (count × count Ints) is the largest per-class table.
            try AllocationBudget.check(elements: [count, count], bytesPerElement: 8, what: "a table of \(count) classes")
        } catch let e as BudgetError {
            throw DataError(file: file, location: location(top),
                            reason: "label \(labels[top]) implies \(count) classes: \(e.description); labels must be 0 … classes − 1")
        }
        return (0..<count).map(String.init)
    }
}

/// Sample shapes declared by a header (IDX dimensions, an NPY shape): the product of the
/// dimensions after the first (one sample) must not overflow and must fit the budget even
/// when the first dimension is 0, since one sample's size sizes the model's input layer and
/// every batch buffer.
enum DeclaredShape {
    static func checkSample(_ shape: [Int], file: String, field: String) throws {
        do {
            try AllocationBudget.check(elements: Array(shape.dropFirst()), what: "one sample of shape \(Array(shape.dropFirst()))")
        } catch let e as BudgetError {
            throw DataError(file: file, location: field, reason: "\(e.description)")
        }
    }
}
