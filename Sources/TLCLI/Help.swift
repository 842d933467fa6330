/// Renders usage lines and help pages in the style of swift-argument-parser.
enum HelpRenderer {
    static let width = 80
    static let labelColumn = 26

    /// "tl inspect <file> [--json] [--limit <int>] [--sort <name|offset|size>]"
    static func usage(toolName: String, command: any Command) -> String {
        var parts = ["\(toolName) \(command.name)"]
        let infos = command.allArguments.map(\.info)
        for info in infos where info.kind != .positional {
            var text = info.kind == .flag ? "--\(info.name)" : "--\(info.name) <\(info.valueName)>"
            if info.isRepeatable && info.kind == .option { text += " ..." }
            parts.append(info.isShownAsRequired ? text : "[\(text)]")
        }
        for info in infos where info.kind == .positional {
            let shown = info.displayName + (info.isRepeatable ? " ..." : "")
            parts.append(info.isRequired ? shown : "[\(shown)]")
        }
        return parts.joined(separator: " ")
    }

    static func commandHelp(toolName: String, command: any Command) -> String {
        var out = "OVERVIEW: \(command.abstract)\n"
        if !command.discussion.isEmpty { out += "\n" + wrap(command.discussion, indent: 0) + "\n" }
        out += "\n" + wrapUsage(usage(toolName: toolName, command: command)) + "\n"
        let infos = command.allArguments.map(\.info)
        let positionals = infos.filter { $0.kind == .positional }
        if !positionals.isEmpty {
            out += "\nARGUMENTS:\n"
            for info in positionals { out += row(info.displayName, describe(info)) }
        }
        out += "\nOPTIONS:\n"
        for info in infos where info.kind != .positional {
            var label = info.short.map { "-\($0), " } ?? ""
            label += "--\(info.name)"
            if info.kind == .option { label += " <\(info.valueName)>" }
            out += row(label, describe(info))
        }
        out += row("-h, --help", "Show help information.")
        for section in command.groups.compactMap(\.helpSection) {
            out += "\n\(section.title):\n" + section.body + (section.body.hasSuffix("\n") ? "" : "\n")
        }
        return out
    }

    static func rootHelp(toolName: String, abstract: String, commands: [any Command]) -> String {
        var out = "OVERVIEW: \(abstract)\n\nUSAGE: \(toolName) <command> [options]\n\nCOMMANDS:\n"
        for command in commands { out += row(command.name, command.abstract) }
        out += row("help", "Show help for a command.")
        out += "\nOPTIONS:\n"
        out += row("-h, --help", "Show help information.")
        out += row("--version", "Show the version.")
        out += "\nSee '\(toolName) help <command>' for detailed help.\n"
        out += "Exit codes: 0 success, 1 runtime error, 2 usage error, 130 interrupted; commands may document others.\n"
        return out
    }

    /// "USAGE: tl x [--a <int>] ..." broken at spaces between arguments to fit 80 columns;
    /// continuation lines are indented under the command name.
    static func wrapUsage(_ usage: String) -> String {
        let indent = String(repeating: " ", count: 7)
        var lines: [String] = []
        var line = "USAGE:"
        // Split into tokens at " [" / " <" / " --" boundaries so "[--epochs <int>]" stays whole.
        var tokens: [String] = []
        var depth = 0
        var current = ""
        for character in usage {
            if character == "[" { depth += 1 }
            if character == "]" { depth -= 1 }
            if character == " " && depth == 0 {
                tokens.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        tokens.append(current)
        for (i, token) in tokens.enumerated() {
            // Keep "tl" and the command name together on the first line.
            if line.count + 1 + token.count > width && i > 1 {
                lines.append(line)
                line = indent + token
            } else {
                line += " " + token
            }
        }
        lines.append(line)
        return lines.joined(separator: "\n")
    }

    static func describe(_ info: ArgumentInfo) -> String {
        var text = info.help
        if info.isRepeatable && info.kind == .option { text += " (may be repeated)" }
        if !info.requiredUnless.isEmpty {
            text += " (required unless " + info.requiredUnless.map { "--\($0)" }.joined(separator: " or ") + ")"
        }
        if let defaultText = info.defaultText { text += " (default: \(defaultText))" }
        return text
    }

    /// "  label                   help text wrapped at 80 columns"
    static func row(_ label: String, _ help: String) -> String {
        let lead = "  " + label
        let wrapped = wrap(help, indent: labelColumn)
        if lead.count + 2 <= labelColumn {
            let body = wrapped.dropFirst(labelColumn)
            return lead + String(repeating: " ", count: labelColumn - lead.count) + body + "\n"
        }
        return lead + "\n" + wrapped + "\n"
    }

    /// Word-wraps `text` to `width` columns, every line indented by `indent` spaces.
    static func wrap(_ text: String, indent: Int) -> String {
        let pad = String(repeating: " ", count: indent)
        var lines: [String] = []
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            // Indented lines (examples, command lines) are shown as written.
            if paragraph.hasPrefix("  ") {
                lines.append(pad + paragraph)
                continue
            }
            var line = ""
            for word in paragraph.split(separator: " ") {
                if !line.isEmpty && indent + line.count + 1 + word.count > width {
                    lines.append(pad + line)
                    line = ""
                }
                line += line.isEmpty ? String(word) : " " + word
            }
            lines.append(pad + line)
        }
        return lines.joined(separator: "\n")
    }
}
