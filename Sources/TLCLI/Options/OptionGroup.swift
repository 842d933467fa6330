/// A set of options that belong together (data, training, compute, output), in the spirit of
/// swift-argument-parser's `@OptionGroup`: the group owns its definitions, their validation
/// and how they are applied, so every command that lists it behaves the same way.
///
/// A command lists its groups in `Command.groups`; their arguments join the command's own
/// in help, and the tool calls `prepare` on each of them after parsing and before `run`, so
/// validation and side effects (such as `--threads`) cannot be forgotten by a command.
/// Commands read the typed values with the group's own `read` function.
public protocol OptionGroup: Sendable {
    /// The group's options, in the order help lists them.
    var arguments: [any ArgumentDefinition] { get }
    /// Validates the group's values and applies process-wide effects. Throws `UsageError`
    /// naming the flag. Called once per run, before the command runs.
    func prepare(_ arguments: ParsedArguments) throws
    /// A titled section the group adds to `--help` after OPTIONS (e.g. DATA SOURCES), or nil.
    var helpSection: (title: String, body: String)? { get }
}

extension OptionGroup {
    public func prepare(_ arguments: ParsedArguments) throws {}
    public var helpSection: (title: String, body: String)? { nil }
}

extension UsageError {
    /// "--epochs expects a positive integer, got '0'".
    static func invalid(_ option: String, expected: String, got: Any) -> UsageError {
        UsageError(.invalidValue(option: option, expected: expected, got: "\(got)"))
    }
}

/// Integer checks shared by every group.
enum Check {
    /// `value`, or a usage error naming `--name` when it is below `minimum`.
    static func atLeast(_ minimum: Int, _ value: Int, _ option: any ArgumentDefinition, what: String? = nil) throws -> Int {
        guard value >= minimum else {
            throw UsageError.invalid(option.info.displayName, expected: what ?? (minimum == 1 ? "a positive integer" : "an integer ≥ \(minimum)"), got: value)
        }
        return value
    }

    /// `value`, or a usage error when it lies outside `range`.
    static func within(_ range: ClosedRange<Int>, _ value: Int, _ option: any ArgumentDefinition) throws -> Int {
        guard range.contains(value) else {
            throw UsageError.invalid(option.info.displayName, expected: "an integer from \(range.lowerBound) to \(range.upperBound)", got: value)
        }
        return value
    }
}
