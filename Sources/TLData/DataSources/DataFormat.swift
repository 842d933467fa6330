/// One data format of the `--data` grammar: its name, path forms, options, loader and help.
///
/// Every format lives in `DataFormat.all` (DataFormat+Table.swift). Parsing, the recorded
/// description, loading, help text and "did you mean" hints all read that one table, so adding
/// a format is one entry there (plus its loader in Loaders/).
public struct DataFormat: Sendable {
    /// `csv`, `npy`, … or the whole argument for a built-in data set (`mnist5k`).
    public let name: String
    /// Accepted path lists, e.g. `[["DIR"], ["IMAGES", "LABELS"]]`; `[]` for a built-in data set.
    public let pathForms: [[String]]
    /// One help line: what the format reads.
    public let summary: String
    /// Options written `,key=value` after the path(s).
    public let options: [DataOption]
    /// Extra checks on a parsed argument (paths and options together); returns what is wrong.
    let check: @Sendable (DataSource) -> String?
    let load: @Sendable (DataSource) throws -> Dataset

    init(name: String, pathForms: [[String]], summary: String, options: [DataOption] = [],
         check: @escaping @Sendable (DataSource) -> String? = { _ in nil },
         load: @escaping @Sendable (DataSource) throws -> Dataset) {
        self.name = name
        self.pathForms = pathForms
        self.summary = summary
        self.options = options
        self.check = check
        self.load = load
    }

    /// Whether this is a built-in data set (no path, no colon).
    public var isBuiltin: Bool { pathForms.isEmpty }

    /// `idx:DIR | idx:IMAGES,LABELS`, `mnist5k`.
    public var grammar: String {
        isBuiltin ? name : pathForms.map { "\(name):" + $0.joined(separator: ",") }.joined(separator: " | ")
    }

    /// The format named `name`, if any.
    public static func named(_ name: String) -> DataFormat? { all.first { $0.name == name } }

    func option(_ key: String) -> DataOption? { options.first { $0.key == key } }

    /// Help for the data argument, one line per format and per option (what `--help` prints).
    public static func helpLines() -> [String] {
        var lines = ["Formats (options follow the path(s) as ,key=value):"]
        for f in all {
            lines.append("\(f.grammar) — \(f.summary)")
            for o in f.options {
                let example = o.value.grammar.split(separator: "|").last.map(String.init) ?? "VALUE"
                let suffix = o.suffixForm ? "; \(f.name):\(f.pathForms[0][0])@\(example) is short for \(o.key)=\(example)" : ""
                lines.append("    \(o.key)=\(o.value.grammar) — \(o.help) (default: \(o.defaultText)\(suffix))")
            }
        }
        return lines
    }

    /// `mnist5k, digits, idx:DIR | idx:IMAGES,LABELS, csv:FILE, …` for error messages.
    public static var summaryLine: String { all.map(\.grammar).joined(separator: ", ") }
}

/// One `key=value` option of a data format.
public struct DataOption: Sendable {
    /// The word before `=`.
    public let key: String
    /// What the value may be.
    public let value: DataOptionValue
    /// What applies when the option is not given, for help.
    public let defaultText: String
    /// One phrase of help.
    public let help: String
    /// Whether the value may also be written `PATH@VALUE` (as in `idx:DIR@test`).
    public let suffixForm: Bool

    init(_ key: String, _ value: DataOptionValue, default defaultText: String, help: String, suffixForm: Bool = false) {
        self.key = key
        self.value = value
        self.defaultText = defaultText
        self.help = help
        self.suffixForm = suffixForm
    }
}

/// The kinds of value a data option takes; each knows its grammar and checks a value.
public enum DataOptionValue: Sendable {
    /// One of fixed words.
    case choice([String])
    /// A 1-based column number, `first`, `last`, or a header name (`first`/`last` only when `ends`).
    case column(ends: Bool)
    /// A positive finite number.
    case positiveNumber
    /// `count` positive sizes joined by `x` (`28x28x1`); `count == 0` allows any number.
    case sizes(count: Int)
    /// A name (e.g. an array inside an archive).
    case name

    /// The value's form for help and errors: `yes|no|auto`, `HxW`, `N|NAME`.
    public var grammar: String {
        switch self {
        case .choice(let words): return words.joined(separator: "|")
        case .column(let ends): return ends ? "first|last|N|NAME" : "N|NAME"
        case .positiveNumber: return "S"
        case .sizes(let count): return count == 2 ? "HxW" : "DxDx…"
        case .name: return "NAME"
        }
    }

    /// Whether `text` is a valid value.
    public func accepts(_ text: String) -> Bool {
        guard !text.isEmpty else { return false }
        switch self {
        case .choice(let words): return words.contains(text)
        case .column: if let n = Int(text) { return n >= 1 }; return true
        case .positiveNumber: if let v = Double(text) { return v > 0 && v.isFinite }; return false
        case .sizes(let count):
            guard let s = Self.sizes(text) else { return false }
            return count == 0 || s.count == count
        case .name: return true
        }
    }

    /// `"28x28x1"` → `[28, 28, 1]`; nil unless every part is a positive integer.
    static func sizes(_ text: String) -> [Int]? {
        let parts = text.split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
        guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        return parts.compactMap { $0 }
    }
}
