import Foundation
import TLData

/// Which classes to keep, parsed from `--classes 5-9` / `--classes 0,2,4` / `--classes cat,dog`.
public enum ClassSelection {
    /// Resolves a selection against the data set's class names. Items are class names when
    /// they match one, else class indices; `a-b` is an inclusive range.
    /// Throws `ClassSelectionError` (which names no flag; the command line adds it).
    public static func resolve(_ text: String, classNames: [String]) throws(ClassSelectionError) -> [Int] {
        var result: [Int] = []
        func index(of token: String) throws(ClassSelectionError) -> Int {
            if let i = classNames.firstIndex(of: token) { return i }
            if let i = Int(token), i >= 0, i < classNames.count { return i }
            throw ClassSelectionError(message: "no class '\(token)' (classes are \(classNames.joined(separator: ", ")))")
        }
        for item in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            if classNames.contains(item) { result.append(try index(of: item)); continue }
            let bounds = item.split(separator: "-", maxSplits: 1).map(String.init)
            if bounds.count == 2 {
                let lo = try index(of: bounds[0]), hi = try index(of: bounds[1])
                guard lo <= hi else { throw ClassSelectionError(message: "empty range '\(item)'") }
                result += Array(lo...hi)
            } else {
                result.append(try index(of: item))
            }
        }
        guard !result.isEmpty else { throw ClassSelectionError(message: "no classes selected in '\(text)'") }
        guard Set(result).count == result.count else { throw ClassSelectionError(message: "a class is listed twice in '\(text)'") }
        return result
    }
}

/// A class list that does not fit the data's classes.
public struct ClassSelectionError: Error, CustomStringConvertible, LocalizedError {
    public let message: String
    public var description: String { message }
    public var errorDescription: String? { message }
}
