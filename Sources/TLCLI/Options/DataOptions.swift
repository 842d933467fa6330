import TLTransfer
import TLSafeTensors
import TLModels
import TLData

/// Where a command's samples come from: `--data` (one grammar for every format, from the data
/// layer's table of sources), `--classes`, and per role `--per-class` (training) or
/// `--test-data` (evaluation). Help lists every format and its options, generated from the
/// same table the parser runs on.
struct DataOptions: OptionGroup {
    enum Role: Sendable {
        /// pretrain, finetune: `--data` is required unless `--resume` supplies the recorded data.
        case training
        /// eval: `--data` defaults to the checkpoint's own data; `--test-data` names a test set.
        case evaluation
        /// predict: `--data`, or raw inputs (image files and folders, `--text`, `--file`).
        case prediction
        /// rank: `--data` (required) is the target the candidates are scored on, with `--per-class`.
        case ranking
    }

    let role: Role

    static let classes = OptionalOption<String>("classes", valueName: "list",
        help: "Keep only these classes, relabelled 0… in this order (e.g. 5-9, or 0,2,4, or names).")
    static let perClass = OptionalOption<PerClassArgument>("per-class", valueName: "n",
        help: "Few-shot: draw this many training samples per class (seeded), or one count per selected class for an imbalanced draw (e.g. 50,50,5,5).")
    static let testData = OptionalOption<String>("test-data", valueName: "source",
        help: "An independent test set (any data source): every sample is scored, none is left out.")

    var data: any ArgumentDefinition {
        switch role {
        case .training:
            return OptionalOption<String>("data", valueName: "source", requiredUnless: ["resume"],
                                          help: "Training data: a data source (see DATA SOURCES).")
        case .evaluation:
            return OptionalOption<String>("data", valueName: "source",
                help: "Data to draw the test set from (default: the checkpoint's own data); samples the model trained or validated on are left out. See DATA SOURCES.")
        case .prediction:
            return OptionalOption<String>("data", valueName: "source", help: "The samples to predict: a data source (see DATA SOURCES); labels, if any, are reported too. Instead of --data: image files or folders, --text or --file.")
        case .ranking:
            return Option<String>("data", valueName: "source", help: "The labelled target data to score the candidates on: a data source (see DATA SOURCES).")
        }
    }

    var arguments: [any ArgumentDefinition] {
        switch role {
        case .training: return [data, Self.classes, Self.perClass]
        case .evaluation: return [data, Self.testData, Self.classes]
        case .prediction: return [data, Self.classes]
        case .ranking: return [data, Self.classes, Self.perClass]
        }
    }

    var helpSection: (title: String, body: String)? {
        // Generated from the data layer's table of formats, the same table `--data` is parsed with.
        ("DATA SOURCES", (["  A built-in name or FORMAT:PATH[,PATH][,key=value…]:"] + DataSource.helpLines().map { "  " + $0 }).joined(separator: "\n"))
    }

    func prepare(_ a: ParsedArguments) throws {
        _ = try source(a)
        if role == .evaluation { _ = try testSource(a) }
        if role == .training || role == .ranking { _ = try perClass(a); _ = try perClassCounts(a) }
    }

    /// The parsed `--data`, or nil when absent.
    func source(_ a: ParsedArguments) throws -> DataSource? {
        try a.value(of: data, as: String.self).map { try Self.parse($0, option: "--data") }
    }

    /// The parsed `--test-data`, or nil when absent.
    func testSource(_ a: ParsedArguments) throws -> DataSource? {
        try a[Self.testData].map { try Self.parse($0, option: "--test-data") }
    }

    /// The validated `--per-class` when it is one count for every class.
    func perClass(_ a: ParsedArguments) throws -> Int? {
        guard case .uniform(let n)? = a[Self.perClass] else { return nil }
        return try Check.atLeast(1, n, Self.perClass)
    }

    /// The validated `--per-class` when it lists one count per class.
    func perClassCounts(_ a: ParsedArguments) throws -> [Int]? {
        guard case .counts(let counts)? = a[Self.perClass] else { return nil }
        guard counts.allSatisfy({ $0 >= 1 }) else { throw UsageError.invalid("--per-class", expected: "positive counts", got: PerClassArgument.counts(counts).argumentDescription) }
        return counts
    }

    /// A malformed data argument is a usage error (exit 2) naming the flag.
    static func parse(_ text: String, option: String) throws -> DataSource {
        do { return try DataSource.parse(text, option: option) } catch let e as DataSourceError { throw UsageError(e.message) }
    }

    /// The `--data` source, or with `--resume` the data recorded in the resume file.
    func source(_ a: ParsedArguments, recorded: CheckpointInfo?) throws -> DataSource {
        if let given = try source(a) { return given }
        if let recorded = recorded?.data { return try DataSource.parse(recorded, option: "recorded data") }
        throw UsageError(.missingRequired("required option --data <source>"))
    }

    /// Loads the task's samples: from the options, or exactly as recorded in a resume file.
    /// `image` prepares image files of any size for the model (see `ImagePreparation.forModel`).
    func task(_ a: ParsedArguments, seed: UInt64, recorded: CheckpointInfo?, image: ImagePreparation? = nil) throws -> (DataSource, TaskData) {
        let source = try source(a, recorded: recorded).preparingImages(image)
        if let recorded, let selection = recorded.selection, a.value(of: data, as: String.self) == nil {
            return (source, try TaskData.select(source.load(), source: source, selection: selection))
        }
        let counts = try perClassCounts(a)
        do {
            return (source, try Self.namingClasses { try TaskData.load(source, classes: a[Self.classes], perClass: try perClass(a), perClassCounts: counts, seed: seed) })
        } catch let e as DataError where counts != nil && e.reason.contains("per-class counts") {
            throw UsageError("--per-class: \(e.reason)")
        }
    }

    /// Runs `body`, turning a class list that does not fit the data into a usage error naming `--classes`.
    static func namingClasses<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as ClassSelectionError { throw UsageError("--classes: \(e.message)") }
    }
}

/// `--per-class`: one count for every class (`10`), or one count per selected class (`50,5`).
enum PerClassArgument: ArgumentValue, Equatable {
    case uniform(Int), counts([Int])

    static var valueName: String { "n" }
    static var expectation: String { "a positive integer, or one positive integer per class separated by commas (50,50,5,5)" }
    init?(argument text: String) {
        if let n = Int(text) { self = .uniform(n); return }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count > 1, !parts.contains(nil) else { return nil }
        self = .counts(parts.compactMap { $0 })
    }
    var argumentDescription: String {
        switch self {
        case .uniform(let n): return String(n)
        case .counts(let c): return c.map(String.init).joined(separator: ",")
        }
    }
}
