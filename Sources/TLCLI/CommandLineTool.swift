/// The root of a multi-command tool: dispatches `tool <command> ...`, and answers
/// `tool --help`, `tool help [<command>]`, `tool <command> --help` and `tool --version`.
public struct CommandLineTool: Sendable {
    public let name: String
    public let version: String
    public let abstract: String
    public let commands: [any Command]

    public init(name: String, version: String, abstract: String, commands: [any Command]) {
        self.name = name
        self.version = version
        self.abstract = abstract
        self.commands = commands
        let names = commands.map(\.name)
        precondition(Set(names).count == names.count, "duplicate command names in \(names)")
        for command in commands {
            let infos = command.allArguments.map(\.info)
            let longs = infos.filter { $0.kind != .positional }.map(\.name) + ["help"]
            precondition(Set(longs).count == longs.count, "duplicate option names in \(command.name)")
            let shorts = infos.compactMap(\.short) + ["h"]
            precondition(Set(shorts).count == shorts.count, "duplicate short options in \(command.name)")
        }
    }

    /// Runs the tool for `arguments` (which start with the program path, like `CommandLine.arguments`)
    /// and returns the process exit code. Never exits the process itself.
    public func run(_ arguments: [String], console: Console = .standard) -> Int32 {
        let words = Array(arguments.dropFirst())
        guard let first = words.first else {
            // A bare `tl` is a usage error: the overview goes to stderr, and scripts see exit 2.
            console.writeError(rootHelp)
            return ExitCode.usage.rawValue
        }
        switch first {
        case "-h", "--help":
            console.writeOutput(rootHelp)
            return ExitCode.success.rawValue
        case "--version":
            console.writeOutput("\(name) \(version)\n")
            return ExitCode.success.rawValue
        case "help":
            guard words.count > 1 else {
                console.writeOutput(rootHelp)
                return ExitCode.success.rawValue
            }
            guard let command = command(named: words[1]) else {
                return rootUsageError(.init(.unknownCommand(words[1], suggestion: nearest(to: words[1], in: commandNames))), console)
            }
            console.writeOutput(HelpRenderer.commandHelp(toolName: name, command: command))
            return ExitCode.success.rawValue
        default:
            break
        }
        guard let command = command(named: first) else {
            let error: UsageError = first.hasPrefix("-")
                ? .init(.unknownOption(first, suggestion: nearest(to: first, in: ["--help", "--version"])))
                : .init(.unknownCommand(first, suggestion: nearest(to: first, in: commandNames)))
            return rootUsageError(error, console)
        }
        return run(command, Array(words.dropFirst()), console: console)
    }

    func run(_ command: any Command, _ words: [String], console: Console) -> Int32 {
        let path = "\(name) \(command.name)"
        // --help anywhere before "--" wins over everything else, as users expect.
        let beforeTerminator = words.prefix { $0 != "--" }
        if beforeTerminator.contains("--help") || beforeTerminator.contains("-h") {
            console.writeOutput(HelpRenderer.commandHelp(toolName: name, command: command))
            return ExitCode.success.rawValue
        }
        let context = CommandContext(commandPath: path, console: console)
        do {
            let parsed = try ArgumentParser(command.allArguments).parse(words)
            for group in command.groups { try group.prepare(parsed) }
            try PathRoles.checkOutputsAreNotInputs(parsed)
            return try command.run(parsed, context: context).rawValue
        } catch let error as UsageError {
            console.writeError("""
                \(path): \(error.description.escapingControlCharacters)
                USAGE: \(HelpRenderer.usage(toolName: name, command: command))
                See '\(path) --help'.

                """)
            return ExitCode.usage.rawValue
        } catch {
            console.writeError("\(path): error: \(oneLineDescription(error))\(FileKindHint.suffix(for: error))\n")
            return ExitCode.failure.rawValue
        }
    }

    var commandNames: [String] { commands.map(\.name) + ["help"] }

    func command(named word: String) -> (any Command)? {
        commands.first { $0.name == word }
    }

    var rootHelp: String {
        HelpRenderer.rootHelp(toolName: name, abstract: abstract, commands: commands)
    }

    func rootUsageError(_ error: UsageError, _ console: Console) -> Int32 {
        console.writeError("\(name): \(error)\nUSAGE: \(name) <command> [options]\nSee '\(name) --help'.\n")
        return ExitCode.usage.rawValue
    }
}
