import Foundation

/// Process exit codes used by `tl`. The convention, for scripts and CI:
///
/// | code | meaning |
/// | --- | --- |
/// | 0 | success |
/// | 1 | runtime failure: a command ran and failed (bad file, I/O error, diverged training, ...) |
/// | 2 | usage error: the command line itself was wrong; nothing was run |
/// | 3 and up | command-specific verdicts (e.g. 3 for a negative-transfer verdict), documented by the command |
/// | 130 | interrupted by Ctrl-C (128 + SIGINT) |
public struct ExitCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }
    public init(_ rawValue: Int32) { self.rawValue = rawValue }

    /// 0: the command did what was asked.
    public static let success = ExitCode(0)
    /// 1: the command failed at run time.
    public static let failure = ExitCode(1)
    /// 2: the command line was malformed.
    public static let usage = ExitCode(2)
    /// 130: stopped by SIGINT (Ctrl-C).
    public static let interrupted = ExitCode(130)

    public var description: String { String(rawValue) }
}

/// A problem with the command line, reported with the command's usage line and exit code 2.
/// Commands may throw it from `run` for checks the parser cannot express
/// (e.g. two options that exclude each other).
public struct UsageError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case unknownOption(String, suggestion: String?)
        case unknownCommand(String, suggestion: String?)
        case missingValue(option: String, valueName: String)
        case invalidValue(option: String, expected: String, got: String)
        case missingRequired(String)
        case unexpectedArgument(String)
        case flagWithValue(String)
        case custom(String)
    }

    public let kind: Kind

    public init(_ kind: Kind) { self.kind = kind }
    /// A free-form usage problem, e.g. `UsageError("--freeze needs --checkpoint")`.
    public init(_ message: String) { self.kind = .custom(message) }

    public var description: String {
        switch kind {
        case let .unknownOption(name, suggestion):
            return "unknown option '\(name)'" + (suggestion.map { "; did you mean '\($0)'?" } ?? "")
        case let .unknownCommand(name, suggestion):
            return "unknown command '\(name)'" + (suggestion.map { "; did you mean '\($0)'?" } ?? "")
        case let .missingValue(option, valueName):
            return "\(option) needs a value (\(option) <\(valueName)>)"
        case let .invalidValue(option, expected, got):
            return "\(option) expects \(expected), got '\(got)'"
        case let .missingRequired(what):
            return "missing \(what)"
        case let .unexpectedArgument(text):
            return "unexpected argument '\(text)'"
        case let .flagWithValue(name):
            return "\(name) is a flag and takes no value"
        case let .custom(message):
            return message
        }
    }
}

/// Folds an error into one line for `tl <command>: error: ...` messages.
func oneLineDescription(_ error: any Error) -> String {
    let text: String
    if let localized = (error as? LocalizedError)?.errorDescription {
        text = localized
    } else {
        text = String(describing: error)
    }
    return text.split(whereSeparator: \.isNewline)
        .map { $0.trimmingCharacters(in: .whitespaces) }
        .joined(separator: " ")
        .escapingControlCharacters
}

extension String {
    /// The text with control characters (C0, DEL, C1) shown as `\u{1B}` escapes, so bytes
    /// copied from an input file into a message cannot drive the terminal (colours, cursor moves).
    var escapingControlCharacters: String {
        var out = ""
        for scalar in unicodeScalars {
            if scalar.value < 0x20 && scalar != "\t" || (0x7F...0x9F).contains(scalar.value) {
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
