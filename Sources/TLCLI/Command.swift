import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a command's text goes. `standard` writes to the process's stdout/stderr; tests pass
/// closures that capture the text instead.
public struct Console: Sendable {
    public var writeOutput: @Sendable (String) -> Void
    public var writeError: @Sendable (String) -> Void
    /// Whether stderr is an interactive terminal (decides progress-bar vs plain lines).
    public var errorIsTerminal: Bool

    public init(writeOutput: @escaping @Sendable (String) -> Void,
                writeError: @escaping @Sendable (String) -> Void,
                errorIsTerminal: Bool) {
        self.writeOutput = writeOutput
        self.writeError = writeError
        self.errorIsTerminal = errorIsTerminal
    }

    /// The process's real stdout and stderr.
    public static var standard: Console {
        Console(writeOutput: { try? FileHandle.standardOutput.write(contentsOf: Data($0.utf8)) },
                writeError: { try? FileHandle.standardError.write(contentsOf: Data($0.utf8)) },
                errorIsTerminal: isatty(STDERR_FILENO) == 1)
    }
}

/// What a running command gets besides its arguments.
public struct CommandContext: Sendable {
    /// "tl inspect": the prefix for this command's messages.
    public let commandPath: String
    public let console: Console

    public init(commandPath: String, console: Console) {
        self.commandPath = commandPath
        self.console = console
    }

    /// Writes `text` and a newline to stdout.
    public func print(_ text: String = "") { console.writeOutput(text + "\n") }

    /// Writes `text` and a newline to stderr.
    public func printError(_ text: String) { console.writeError(text + "\n") }

    /// A progress reporter on stderr: a redrawn bar on a terminal, periodic lines otherwise,
    /// nothing when `quiet`.
    public func makeProgressReporter(quiet: Bool = false) -> ProgressReporter {
        ProgressReporter(style: quiet ? .quiet : (console.errorIsTerminal ? .bar : .lines),
                         write: console.writeError)
    }
}

/// One `tl` subcommand: its name, documentation, declared arguments and behaviour.
///
/// `run` returns an exit code (use `.success`, or a documented custom code such as 3 for a verdict);
/// thrown errors are printed as one line `tl <name>: error: ...` and exit 1, except `UsageError`,
/// which is printed with the usage line and exits 2.
public protocol Command: Sendable {
    /// The word that selects the command: "inspect".
    var name: String { get }
    /// One line for `tl --help`.
    var abstract: String { get }
    /// Longer text for `tl <name> --help` (may be empty).
    var discussion: String { get }
    /// The command's own options, flags and positionals, in the order help lists them
    /// (before the options of its groups).
    var arguments: [any ArgumentDefinition] { get }
    /// Option groups shared with other commands (data, training, compute, output). Their
    /// arguments follow the command's own in help; each is validated and applied before `run`.
    var groups: [any OptionGroup] { get }

    func run(_ arguments: ParsedArguments, context: CommandContext) throws -> ExitCode
}

extension Command {
    public var discussion: String { "" }
    public var groups: [any OptionGroup] { [] }
    /// Everything the parser accepts: the command's own arguments, then its groups'.
    public var allArguments: [any ArgumentDefinition] { arguments + groups.flatMap(\.arguments) }
}
