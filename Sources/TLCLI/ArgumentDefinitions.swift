/// What the parser and the help renderer need to know about one declared argument.
public struct ArgumentInfo: Sendable {
    public enum Kind: Sendable { case flag, option, positional }

    public let kind: Kind
    /// Long name without dashes for options and flags ("learning-rate"); placeholder for positionals ("file").
    public let name: String
    public let short: Character?
    public let help: String
    public let valueName: String
    public let expectation: String
    public let defaultText: String?
    public let isRequired: Bool
    /// Long names of options any of which, when given, make this one unnecessary
    /// (`--data` is required unless `--resume` is given). Only for non-required options.
    public var requiredUnless: [String] = []
    public let isRepeatable: Bool
    let parse: @Sendable (String) -> (any Sendable)?

    /// Whether usage shows the argument without brackets (always or unless an alternative is given).
    public var isShownAsRequired: Bool { isRequired || !requiredUnless.isEmpty }

    /// How the argument is written: "--epochs", "<file>".
    public var displayName: String { kind == .positional ? "<\(name)>" : "--\(name)" }
}

/// A declared argument of a command (option, flag or positional).
public protocol ArgumentDefinition: Sendable {
    var info: ArgumentInfo { get }
}

func makeInfo<Value: ArgumentValue>(
    _ kind: ArgumentInfo.Kind, _ type: Value.Type, name: String, short: Character?, help: String,
    valueName: String?, defaultValue: Value?, isRequired: Bool, isRepeatable: Bool
) -> ArgumentInfo {
    ArgumentInfo(kind: kind, name: name, short: short, help: help, valueName: valueName ?? Value.valueName,
                 expectation: Value.expectation, defaultText: defaultValue?.argumentDescription,
                 isRequired: isRequired, isRepeatable: isRepeatable,
                 parse: { Value(argument: $0) })
}

/// `--name <value>` giving exactly one value: with a default (shown in help), or required.
public struct Option<Value: ArgumentValue>: ArgumentDefinition {
    public let info: ArgumentInfo
    let defaultValue: Value?

    /// An option that falls back to `defaultValue` when absent.
    public init(_ name: String, short: Character? = nil, default defaultValue: Value, valueName: String? = nil, help: String) {
        self.defaultValue = defaultValue
        info = makeInfo(.option, Value.self, name: name, short: short, help: help, valueName: valueName,
                        defaultValue: defaultValue, isRequired: false, isRepeatable: false)
    }

    /// A required option: leaving it out is a usage error.
    public init(_ name: String, short: Character? = nil, valueName: String? = nil, help: String) {
        self.defaultValue = nil
        info = makeInfo(.option, Value.self, name: name, short: short, help: help, valueName: valueName,
                        defaultValue: nil, isRequired: true, isRepeatable: false)
    }
}

/// `--name <value>` that may be left out (the value is then nil).
public struct OptionalOption<Value: ArgumentValue>: ArgumentDefinition {
    public let info: ArgumentInfo

    /// - Parameter requiredUnless: long names (without dashes) of options that replace this one;
    ///   when none of them is given, leaving this option out is a usage error.
    public init(_ name: String, short: Character? = nil, valueName: String? = nil, requiredUnless: [String] = [], help: String) {
        var info = makeInfo(.option, Value.self, name: name, short: short, help: help, valueName: valueName,
                            defaultValue: nil, isRequired: false, isRepeatable: false)
        info.requiredUnless = requiredUnless
        self.info = info
    }
}

/// `--name <value>` that may be given any number of times; values keep command-line order.
public struct RepeatedOption<Value: ArgumentValue>: ArgumentDefinition {
    public let info: ArgumentInfo

    public init(_ name: String, short: Character? = nil, valueName: String? = nil, help: String) {
        info = makeInfo(.option, Value.self, name: name, short: short, help: help, valueName: valueName,
                        defaultValue: nil, isRequired: false, isRepeatable: true)
    }
}

/// A boolean `--name` switch: false unless given.
public struct Flag: ArgumentDefinition {
    public let info: ArgumentInfo

    public init(_ name: String, short: Character? = nil, help: String) {
        info = ArgumentInfo(kind: .flag, name: name, short: short, help: help, valueName: "", expectation: "",
                            defaultText: nil, isRequired: false, isRepeatable: true, parse: { _ in true })
    }
}

/// A positional argument, matched in declaration order: required, or with a default.
public struct Positional<Value: ArgumentValue>: ArgumentDefinition {
    public let info: ArgumentInfo
    let defaultValue: Value?

    public init(_ name: String, help: String) {
        defaultValue = nil
        info = makeInfo(.positional, Value.self, name: name, short: nil, help: help, valueName: name,
                        defaultValue: nil, isRequired: true, isRepeatable: false)
    }

    public init(_ name: String, default defaultValue: Value, help: String) {
        self.defaultValue = defaultValue
        info = makeInfo(.positional, Value.self, name: name, short: nil, help: help, valueName: name,
                        defaultValue: defaultValue, isRequired: false, isRepeatable: false)
    }
}

/// A positional argument that may be left out (nil).
public struct OptionalPositional<Value: ArgumentValue>: ArgumentDefinition {
    public let info: ArgumentInfo

    public init(_ name: String, help: String) {
        info = makeInfo(.positional, Value.self, name: name, short: nil, help: help, valueName: name,
                        defaultValue: nil, isRequired: false, isRepeatable: false)
    }
}

/// One or more positional arguments (the last positional of a command): `<checkpoint> ...`.
public struct RepeatedPositional<Value: ArgumentValue>: ArgumentDefinition {
    public let info: ArgumentInfo

    public init(_ name: String, help: String) {
        info = makeInfo(.positional, Value.self, name: name, short: nil, help: help, valueName: name,
                        defaultValue: nil, isRequired: true, isRepeatable: true)
    }
}
