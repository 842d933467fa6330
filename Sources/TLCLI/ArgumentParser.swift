import TLNN
/// The values a command line gave, typed by the definitions that declared them.
/// Look-ups of undeclared definitions are programming errors and trap.
public struct ParsedArguments: Sendable {
    /// Parsed values per argument name, in command-line order.
    var values: [String: [any Sendable]]
    /// Every (argument name, value) in command-line order, for options whose interleaving
    /// matters (e.g. `--freeze-path` and `--unfreeze-path` applied in the order given).
    public var sequence: [(name: String, value: any Sendable)] = []

    public subscript<Value>(_ option: Option<Value>) -> Value {
        if let last = values[option.info.name]?.last { return last as! Value }
        guard let fallback = option.defaultValue else {
            preconditionFailure("required option --\(option.info.name) was not parsed by this command")
        }
        return fallback
    }

    public subscript<Value>(_ option: OptionalOption<Value>) -> Value? {
        values[option.info.name]?.last as! Value?
    }

    public subscript<Value>(_ option: RepeatedOption<Value>) -> [Value] {
        (values[option.info.name] ?? []).map { $0 as! Value }
    }

    public subscript(_ flag: Flag) -> Bool {
        !(values[flag.info.name] ?? []).isEmpty
    }

    public subscript<Value>(_ positional: Positional<Value>) -> Value {
        if let value = values[positional.info.name]?.last { return value as! Value }
        guard let fallback = positional.defaultValue else {
            preconditionFailure("required argument <\(positional.info.name)> was not parsed by this command")
        }
        return fallback
    }

    public subscript<Value>(_ positional: OptionalPositional<Value>) -> Value? {
        values[positional.info.name]?.last as! Value?
    }

    public subscript<Value>(_ positional: RepeatedPositional<Value>) -> [Value] {
        (values[positional.info.name] ?? []).map { $0 as! Value }
    }

    /// The last value of a definition known only as `any ArgumentDefinition` (option groups
    /// that declare a variant of an option per command), or nil when absent.
    public func value<Value>(of definition: any ArgumentDefinition, as type: Value.Type = Value.self) -> Value? {
        values[definition.info.name]?.last as? Value
    }

    /// Whether the argument called `name` appeared on the command line (as opposed to its default).
    public func wasGiven(_ name: String) -> Bool { !(values[name] ?? []).isEmpty }
}

/// Parses a command's words (everything after the command name) against its declared arguments.
///
/// Accepts `--name value`, `--name=value`, `-s value`, flags `--name` / `-s`, positionals in order,
/// and `--` after which every word is positional. `--help`/`-h` are handled by the caller before this.
public struct ArgumentParser: Sendable {
    public let definitions: [ArgumentInfo]

    public init(_ definitions: [any ArgumentDefinition]) {
        self.definitions = definitions.map(\.info)
    }

    /// All long names a user could have meant, for suggestions (includes --help).
    var longNames: [String] {
        definitions.filter { $0.kind != .positional }.map { "--\($0.name)" } + ["--help"]
    }

    public func parse(_ words: [String]) throws(UsageError) -> ParsedArguments {
        var values: [String: [any Sendable]] = [:]
        var sequence: [(name: String, value: any Sendable)] = []
        var positionals = definitions.filter { $0.kind == .positional }[...]
        var index = 0
        var onlyPositionals = false

        func store(_ info: ArgumentInfo, _ text: String, as shownName: String) throws(UsageError) {
            guard let value = info.parse(text) else {
                throw UsageError(.invalidValue(option: shownName, expected: info.expectation, got: text))
            }
            values[info.name, default: []].append(value)
            sequence.append((info.name, value))
        }

        while index < words.count {
            let word = words[index]
            index += 1
            if !onlyPositionals && word == "--" {
                onlyPositionals = true
                continue
            }
            if !onlyPositionals && looksLikeOption(word) {
                let (spelled, inline) = splitInlineValue(word)
                guard let info = lookUp(spelled) else {
                    throw UsageError(.unknownOption(spelled, suggestion: nearest(to: spelled, in: longNames)))
                }
                if info.kind == .flag {
                    if inline != nil { throw UsageError(.flagWithValue(spelled)) }
                    values[info.name, default: []].append(true)
                    continue
                }
                let text: String
                if let inline {
                    text = inline
                } else if index < words.count, !looksLikeOption(words[index]) || isNumber(words[index]) {
                    text = words[index]
                    index += 1
                } else {
                    throw UsageError(.missingValue(option: spelled, valueName: info.valueName))
                }
                try store(info, text, as: spelled)
                continue
            }
            guard let info = positionals.first else {
                throw UsageError(.unexpectedArgument(word))
            }
            if !info.isRepeatable { positionals.removeFirst() }   // a repeated positional takes every remaining word
            try store(info, word, as: info.displayName)
        }

        for info in definitions where info.isRequired && values[info.name] == nil {
            let what = info.kind == .positional
                ? "argument \(info.displayName)"
                : "required option \(info.displayName) <\(info.valueName)>"
            throw UsageError(.missingRequired(what))
        }
        for info in definitions where !info.requiredUnless.isEmpty && values[info.name] == nil
            && !info.requiredUnless.contains(where: { values[$0] != nil }) {
            let alternatives = info.requiredUnless.map { "--\($0)" }.joined(separator: " or ")
            throw UsageError(.missingRequired("required option \(info.displayName) <\(info.valueName)> (or \(alternatives))"))
        }
        return ParsedArguments(values: values, sequence: sequence)
    }

    /// "-x", "--name", "--name=v" (but not "-", "-5", "-0.1" which are values).
    func looksLikeOption(_ word: String) -> Bool {
        guard word.hasPrefix("-"), word.count > 1 else { return false }
        return !isNumber(word)
    }

    func isNumber(_ word: String) -> Bool { Double(word) != nil }

    func splitInlineValue(_ word: String) -> (String, String?) {
        guard word.hasPrefix("--"), let equals = word.firstIndex(of: "=") else { return (word, nil) }
        return (String(word[..<equals]), String(word[word.index(after: equals)...]))
    }

    func lookUp(_ spelled: String) -> ArgumentInfo? {
        if spelled.hasPrefix("--") {
            let name = spelled.dropFirst(2)
            return definitions.first { $0.kind != .positional && $0.name == name }
        }
        guard spelled.count == 2, let short = spelled.last else { return nil }
        return definitions.first { $0.kind != .positional && $0.short == short }
    }
}

/// The candidate closest to `word` by edit distance (TLNN's `nearestWord`, compared without
/// leading dashes), if it is a plausible typo: "--epoch" → "--epochs", "--lrr" → "--lr".
func nearest(to word: String, in candidates: [String]) -> String? {
    func bare(_ s: String) -> String { String(s.drop { $0 == "-" }) }
    let stripped = bare(word)
    guard let hit = nearestWord(to: stripped, in: candidates.map(bare)), editDistance(stripped, hit) < stripped.count else { return nil }
    return candidates.first { bare($0) == hit }
}
