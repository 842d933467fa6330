import Foundation
import TLData
import TLNN

/// A data argument of the command line: a format and a path, or a built-in name.
///
///     mnist5k | digits                     built-in data shipped with tl
///     idx:DIR[@train|@test]                MNIST-style IDX files (raw or .gz) in DIR
///     idx:IMAGES,LABELS                    an explicit IDX image/label file pair
///     csv:FILE                             numeric CSV, label in the last column
///     npy:X.npy,Y.npy | npz:FILE           NumPy arrays (npz keys x and y)
///     folder:DIR                           DIR/<class>/<image>.png|pgm|ppm
///     text:FILE                            CSV/TSV with a label column then a text column
///
/// The description round-trips through `parse`, so checkpoints can record it.
public struct DataSource: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case builtin(String)
        case idxDirectory(String, test: Bool)
        case idxFiles(images: String, labels: String)
        case csv(String)
        case npy(features: String, labels: String)
        case npz(String)
        case folder(String)
        case text(String)
    }

    public var kind: Kind

    public init(kind: Kind) { self.kind = kind }

    static let formats = "mnist5k, digits, idx:DIR[@test], idx:IMAGES,LABELS, csv:FILE, npy:X.npy,Y.npy, npz:FILE, folder:DIR, text:FILE"

    /// Parses a data argument; `option` names the flag in the error message.
    public static func parse(_ text: String, option: String = "--data") throws -> DataSource {
        func fail(_ why: String) -> DataSourceError {
            DataSourceError(message: "\(option): \(why) (expected one of: \(formats))")
        }
        if BuiltinDatasets.names.contains(text) { return DataSource(kind: .builtin(text)) }
        guard let colon = text.firstIndex(of: ":") else {
            let hint = nearestWord(to: text, in: BuiltinDatasets.names).map { "; did you mean '\($0)'?" } ?? ""
            throw fail("'\(text)' is neither a built-in data set nor FORMAT:PATH\(hint)")
        }
        let format = String(text[..<colon]), rest = String(text[text.index(after: colon)...])
        guard !rest.isEmpty else { throw fail("'\(format):' needs a path") }
        let parts = rest.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        switch format {
        case "idx":
            if parts.count == 2 { return DataSource(kind: .idxFiles(images: parts[0], labels: parts[1])) }
            if rest.hasSuffix("@test") { return DataSource(kind: .idxDirectory(String(rest.dropLast(5)), test: true)) }
            if rest.hasSuffix("@train") { return DataSource(kind: .idxDirectory(String(rest.dropLast(6)), test: false)) }
            return DataSource(kind: .idxDirectory(rest, test: false))
        case "csv": return DataSource(kind: .csv(rest))
        case "npy":
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw fail("npy needs two files, X.npy,Y.npy") }
            return DataSource(kind: .npy(features: parts[0], labels: parts[1]))
        case "npz": return DataSource(kind: .npz(rest))
        case "folder": return DataSource(kind: .folder(rest))
        case "text": return DataSource(kind: .text(rest))
        default:
            let hint = nearestWord(to: format, in: ["idx", "csv", "npy", "npz", "folder", "text"]).map { "; did you mean '\($0):'?" } ?? ""
            throw fail("unknown format '\(format)'\(hint)")
        }
    }

    public var description: String {
        switch kind {
        case .builtin(let name): return name
        case let .idxDirectory(dir, test): return "idx:\(dir)\(test ? "@test" : "")"
        case let .idxFiles(images, labels): return "idx:\(images),\(labels)"
        case .csv(let f): return "csv:\(f)"
        case let .npy(x, y): return "npy:\(x),\(y)"
        case .npz(let f): return "npz:\(f)"
        case .folder(let d): return "folder:\(d)"
        case .text(let f): return "text:\(f)"
        }
    }

    /// Whether samples are raw texts (to be tokenized) rather than numeric features.
    public var isText: Bool { if case .text = kind { return true }; return false }

    /// Loads the whole data set.
    public func load() throws -> Dataset {
        switch kind {
        case .builtin(let name): return try BuiltinDatasets.load(name: name)
        case let .idxDirectory(dir, test):
            let both = try IDXLoader.loadDirectory(dir)
            return test ? both.test : both.train
        case let .idxFiles(images, labels): return try IDXLoader.load(images: images, labels: labels)
        case .csv(let f): return try CSVLoader.load(f)
        case let .npy(x, y): return try NPYLoader.load(features: x, labels: y)
        case .npz(let f): return try NPZ.loadDataset(f)
        case .folder(let d): return try ImageFolderLoader.load(d)
        case .text(let f): return try TextClassificationLoader.load(f)
        }
    }
}

/// A malformed data argument.
public struct DataSourceError: Error, CustomStringConvertible, LocalizedError {
    public let message: String
    public var description: String { message }
    public var errorDescription: String? { message }
}

/// Which classes to keep, parsed from `--classes 5-9` / `--classes 0,2,4` / `--classes cat,dog`.
public enum ClassSelection {
    /// Resolves a selection against the data set's class names. Items are class names when
    /// they match one, else class indices; `a-b` is an inclusive range.
    public static func resolve(_ text: String, classNames: [String], option: String = "--classes") throws -> [Int] {
        var result: [Int] = []
        func index(of token: String) throws -> Int {
            if let i = classNames.firstIndex(of: token) { return i }
            if let i = Int(token), i >= 0, i < classNames.count { return i }
            throw DataSourceError(message: "\(option): no class '\(token)' (classes are \(classNames.joined(separator: ", ")))")
        }
        for item in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            if classNames.contains(item) { result.append(try index(of: item)); continue }
            let bounds = item.split(separator: "-", maxSplits: 1).map(String.init)
            if bounds.count == 2 {
                let lo = try index(of: bounds[0]), hi = try index(of: bounds[1])
                guard lo <= hi else { throw DataSourceError(message: "\(option): empty range '\(item)'") }
                result += Array(lo...hi)
            } else {
                result.append(try index(of: item))
            }
        }
        guard !result.isEmpty else { throw DataSourceError(message: "\(option): no classes selected in '\(text)'") }
        guard Set(result).count == result.count else { throw DataSourceError(message: "\(option): a class is listed twice in '\(text)'") }
        return result
    }
}
