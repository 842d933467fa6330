import Foundation
import TLNN

/// A data argument: a built-in name, or `FORMAT:PATH[,PATH][,key=value…]`.
///
///     mnist5k                                  a built-in data set
///     csv:train.csv,label=first,scale=255      a format, its path(s), then its options
///     idx:DIR@test                             = idx:DIR,split=test (the older spelling)
///
/// The formats, their path forms and options come from `DataFormat.all`. After the first
/// path, a comma-part `key=value` (key a word) is an option of the format; anything else is a
/// path, and a single-path format keeps commas in its path. `description` is the canonical
/// form (options in table order) and round-trips through `parse`, so checkpoints record it.
public struct DataSource: Sendable, Equatable, CustomStringConvertible {
    /// A `DataFormat` name (`csv`) or a built-in data set name (`mnist5k`).
    public let format: String
    /// The path(s) after the colon, in order (`[]` for a built-in data set).
    public let paths: [String]
    /// Options given as `key=value`, keyed by option key (keys the format declares).
    public let options: [String: String]
    /// How images of any size are fitted when the argument has no `size=`: set by the command
    /// from the model (its input size, channels and preprocessing); not part of `description`.
    public var imagePreparation: ImagePreparation? = nil

    /// A data argument as is (no checks; `parse` validates against the table).
    public init(format: String, paths: [String] = [], options: [String: String] = [:]) {
        self.format = format
        self.paths = paths
        self.options = options
    }

    /// A built-in data set (`mnist5k`, `digits`).
    public static func builtin(_ name: String) -> DataSource { DataSource(format: name) }

    /// Whether samples are raw texts (to be tokenized) rather than numeric features.
    public var isText: Bool { format == "text" }

    /// Parses a data argument; `option` names the argument in error messages.
    public static func parse(_ text: String, option: String = "data argument") throws -> DataSource {
        func fail(_ why: String) -> DataSourceError {
            DataSourceError(message: "\(option): \(why)")
        }
        let formats = DataFormat.all
        if let builtin = formats.first(where: { $0.isBuiltin && $0.name == text }) { return DataSource(format: builtin.name) }
        if let builtin = formats.first(where: { $0.isBuiltin && text.hasPrefix($0.name + ",") }) {
            // A built-in data set with options: `mnist5k,invert=yes`.
            var options: [String: String] = [:]
            for part in text.dropFirst(builtin.name.count + 1).split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
                guard let (key, value) = optionParts(part), let declared = builtin.option(key) else {
                    let keys = builtin.options.map(\.key)
                    throw fail("'\(part)' is not an option of \(builtin.name) (\(keys.isEmpty ? "it takes no options" : "options are \(keys.joined(separator: ", "))"))")
                }
                guard declared.value.accepts(value) else {
                    throw fail("\(builtin.name): option \(key)=\(value): expected \(key)=\(declared.value.grammar) (\(declared.help))")
                }
                guard options[key] == nil else { throw fail("\(builtin.name): option '\(key)' is given twice") }
                options[key] = value
            }
            return DataSource(format: builtin.name, options: options)
        }
        guard let colon = text.firstIndex(of: ":") else {
            var hint = nearest(text, in: formats.filter(\.isBuiltin).map(\.name)).map { "; did you mean '\($0)'?" } ?? ""
            let ext = (text as NSString).pathExtension.lowercased()
            if hint.isEmpty, let f = formats.first(where: { !$0.isBuiltin && ($0.name == ext || (ext == "tsv" && $0.name == "text")) }) {
                hint = "; did you mean '\(f.name):\(text)'?"
            }
            throw fail("'\(text)' is neither a built-in data set nor FORMAT:PATH\(hint) (expected one of: \(DataFormat.summaryLine))")
        }
        let name = String(text[..<colon]), rest = String(text[text.index(after: colon)...])
        guard let format = formats.first(where: { !$0.isBuiltin && $0.name == name }) else {
            let hint = nearest(name, in: formats.filter { !$0.isBuiltin }.map(\.name)).map { "; did you mean '\($0):'?" } ?? ""
            throw fail("unknown format '\(name)'\(hint) (expected one of: \(DataFormat.summaryLine))")
        }
        guard !rest.isEmpty else { throw fail("'\(name):' needs a path (\(format.grammar))") }
        let parts = rest.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        var paths = [parts[0]], options: [String: String] = [:]
        for part in parts.dropFirst() {
            guard let (key, value) = optionParts(part) else {
                guard options.isEmpty else { throw fail("'\(part)' follows an option; in \(name): the path(s) come first, then key=value options") }
                paths.append(part)
                continue
            }
            guard let declared = format.option(key) else {
                let keys = format.options.map(\.key)
                let hint = nearest(key, in: keys).map { "did you mean '\($0)'? " } ?? ""
                let list = keys.isEmpty ? "\(name): takes no options" : "\(name): options are \(keys.joined(separator: ", "))"
                throw fail("unknown option '\(key)' for \(name): (\(hint)\(list))")
            }
            guard declared.value.accepts(value) else {
                throw fail("\(name): option \(key)=\(value): expected \(key)=\(declared.value.grammar) (\(declared.help))")
            }
            guard options[key] == nil else { throw fail("\(name): option '\(key)' is given twice") }
            options[key] = value
        }
        if format.pathForms.count == 1 && format.pathForms[0].count == 1 { paths = [paths.joined(separator: ",")] }
        for o in format.options where o.suffixForm && paths.count == 1 {
            guard case .choice(let words) = o.value, let at = paths[0].lastIndex(of: "@") else { continue }
            let word = String(paths[0][paths[0].index(after: at)...])
            guard words.contains(word) else { continue }
            guard options[o.key] == nil || options[o.key] == word else { throw fail("\(name): '@\(word)' and \(o.key)=\(options[o.key] ?? "") disagree") }
            paths[0] = String(paths[0][..<at])
            options[o.key] = word
        }
        guard format.pathForms.contains(where: { $0.count == paths.count }) else {
            throw fail("\(name): takes \(format.grammar), got \(paths.count) path(s) in '\(text)'")
        }
        guard !paths.contains(where: \.isEmpty) else { throw fail("'\(text)' has an empty path (\(format.grammar))") }
        let source = DataSource(format: name, paths: paths, options: options)
        if let problem = format.check(source) { throw fail("\(name): \(problem)") }
        return source
    }

    /// `("label", "first")` for `label=first` when the key is a word; nil for anything else.
    static func optionParts(_ part: String) -> (String, String)? {
        guard let eq = part.firstIndex(of: "=") else { return nil }
        let key = part[..<eq]
        guard let first = key.first, first.isLetter,
              key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else { return nil }
        return (String(key), String(part[part.index(after: eq)...]))
    }

    static func nearest(_ word: String, in candidates: [String]) -> String? {
        nearestWord(to: word.lowercased(), in: candidates)
    }

    /// The canonical argument: `format:paths,key=value…` with options in table order.
    public var description: String {
        guard let format = DataFormat.named(self.format) else { return self.format }
        let opts = format.options.compactMap { o in options[o.key].map { "\(o.key)=\($0)" } }
        if format.isBuiltin { return ([self.format] + opts).joined(separator: ",") }
        return "\(self.format):" + (paths + opts).joined(separator: ",")
    }

    /// Loads the whole data set, recording a declared `layout=` in its `reading`.
    public func load() throws -> Dataset {
        guard let format = DataFormat.named(format) else {
            throw DataError(reason: "unknown data format '\(self.format)' (expected one of: \(DataFormat.summaryLine))")
        }
        var data = try format.load(self)
        if let layout = options["layout"].flatMap(SampleLayout.init(rawValue:)) { data.reading.layout = layout }
        if options["invert"] == "yes" {
            // A constructed domain shift: v → 1 − v on values scaled to [0, 1] (255 − x on bytes).
            data.features = data.features.map { 1 - $0 }
            data.source += " [inverted]"
        }
        return data
    }

    /// The lines of help for a data argument, from the format table.
    public static func helpLines() -> [String] { DataFormat.helpLines() }
}

/// A malformed data argument.
public struct DataSourceError: Error, CustomStringConvertible, LocalizedError {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
    public var errorDescription: String? { message }
}
