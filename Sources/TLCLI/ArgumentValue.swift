/// A type that can be parsed from one command-line word.
public protocol ArgumentValue: Sendable {
    /// Placeholder shown in usage and help, without brackets: "int", "number", "path", "sgd|adam".
    static var valueName: String { get }
    /// What a valid value looks like, for errors: "--epochs expects an integer, got 'abc'".
    static var expectation: String { get }
    /// The value for `text`, or nil if `text` is malformed.
    init?(argument text: String)
    /// How a default value is shown in help ("(default: 0.001)").
    var argumentDescription: String { get }
}

extension String: ArgumentValue {
    public static var valueName: String { "string" }
    public static var expectation: String { "a string" }
    public init?(argument text: String) { self = text }
    public var argumentDescription: String { self }
}

extension Int: ArgumentValue {
    public static var valueName: String { "int" }
    public static var expectation: String { "an integer" }
    public init?(argument text: String) {
        // Allow "1_000"-free plain decimal only; Int(_:) rejects "", "1.5", "abc" and overflow.
        self.init(text)
    }
    public var argumentDescription: String { String(self) }
}

extension Double: ArgumentValue {
    public static var valueName: String { "number" }
    public static var expectation: String { "a number" }
    public init?(argument text: String) {
        // Only finite decimal numbers: "nan"/"inf" are never sensible hyperparameters.
        guard let value = Double(text), value.isFinite else { return nil }
        self = value
    }
    public var argumentDescription: String { "\(self)" }
}

extension Float: ArgumentValue {
    public static var valueName: String { "number" }
    public static var expectation: String { "a number" }
    public init?(argument text: String) {
        guard let value = Float(text), value.isFinite else { return nil }
        self = value
    }
    public var argumentDescription: String { "\(self)" }
}

/// An enumeration chosen by its raw string, e.g. `enum OptimizerKind: String, ChoiceArgument { case sgd, adam, adamw }`.
/// Help shows `<sgd|adam|adamw>`; a wrong word is reported as "expects one of sgd, adam, adamw".
public protocol ChoiceArgument: ArgumentValue, CaseIterable, RawRepresentable where RawValue == String {}

extension ChoiceArgument {
    public static var valueName: String { allCases.map(\.rawValue).joined(separator: "|") }
    public static var expectation: String { "one of " + allCases.map(\.rawValue).joined(separator: ", ") }
    public init?(argument text: String) { self.init(rawValue: text) }
    public var argumentDescription: String { rawValue }
}
