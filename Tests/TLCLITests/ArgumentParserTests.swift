import Testing
@testable import TLCLI
import TLNN

enum OptimizerChoice: String, ChoiceArgument { case sgd, adam, adamw }

/// A command declaring every kind of argument, used to exercise the parser and help.
struct SampleTrainCommand: Command {
    static let data = Option<String>("data", short: "d", valueName: "path", help: "Training data folder.")
    static let epochs = Option<Int>("epochs", short: "e", default: 10, help: "Passes over the data.")
    static let learningRate = Option<Double>("learning-rate", default: 0.001, help: "Step size.")
    static let momentum = OptionalOption<Float>("momentum", help: "SGD momentum.")
    static let optimizer = Option<OptimizerChoice>("optimizer", default: .adam, help: "Optimizer.")
    static let tag = RepeatedOption<String>("tag", help: "A label for the run.")
    static let quiet = Flag("quiet", short: "q", help: "No progress output.")
    static let output = Positional<String>("output", help: "Where to write the checkpoint.")
    static let extra = OptionalPositional<String>("notes", help: "Free text.")

    var name: String { "pretrain" }
    var abstract: String { "Train a model." }
    var discussion: String { "Trains an architecture on a source dataset." }
    var arguments: [any ArgumentDefinition] {
        [Self.data, Self.epochs, Self.learningRate, Self.momentum, Self.optimizer, Self.tag, Self.quiet, Self.output, Self.extra]
    }
    func run(_ arguments: ParsedArguments, context: CommandContext) throws -> ExitCode { .success }
}

@Suite struct ArgumentParserTests {
    let parser = ArgumentParser(SampleTrainCommand().arguments)
    typealias C = SampleTrainCommand

    func usageError(_ words: [String]) -> UsageError? {
        do { _ = try parser.parse(words); return nil } catch { return error }
    }

    @Test func defaultsApplyWhenAbsent() throws {
        let parsed = try parser.parse(["--data", "src", "out.safetensors"])
        #expect(parsed[C.data] == "src")
        #expect(parsed[C.epochs] == 10)
        #expect(parsed[C.learningRate] == 0.001)
        #expect(parsed[C.momentum] == nil)
        #expect(parsed[C.optimizer] == .adam)
        #expect(parsed[C.tag] == [])
        #expect(parsed[C.quiet] == false)
        #expect(parsed[C.output] == "out.safetensors")
        #expect(parsed[C.extra] == nil)
        #expect(!parsed.wasGiven("epochs"))
    }

    @Test func allSpellingsParse() throws {
        let parsed = try parser.parse([
            "-d", "src", "--epochs=3", "--learning-rate", "-0.5", "--momentum=0.9", "--optimizer", "adamw",
            "--tag", "a", "--tag=b", "-q", "out", "--", "--not-a-flag",
        ])
        #expect(parsed[C.data] == "src")
        #expect(parsed[C.epochs] == 3)
        #expect(parsed[C.learningRate] == -0.5)
        #expect(parsed[C.momentum] == 0.9)
        #expect(parsed[C.optimizer] == .adamw)
        #expect(parsed[C.tag] == ["a", "b"])
        #expect(parsed[C.quiet])
        #expect(parsed[C.output] == "out")
        #expect(parsed[C.extra] == "--not-a-flag")
        #expect(parsed.wasGiven("epochs"))
        // A later single-valued option wins; short option with its value.
        #expect(try parser.parse(["--data", "a", "-e", "4", "--epochs", "5", "x"])[C.epochs] == 5)
        // "=" keeps everything after the first "=", including an empty value for strings.
        #expect(try parser.parse(["--data=a=b", "x"])[C.data] == "a=b")
        #expect(try parser.parse(["--data=", "x"])[C.data] == "")
    }

    @Test func unknownOptionSuggestsNearest() {
        #expect(usageError(["--epoch", "3"]) == UsageError(.unknownOption("--epoch", suggestion: "--epochs")))
        #expect(usageError(["--learning-rat=1"]) == UsageError(.unknownOption("--learning-rat", suggestion: "--learning-rate")))
        #expect(usageError(["--zzzzzzzz"]) == UsageError(.unknownOption("--zzzzzzzz", suggestion: nil)))
        #expect(usageError(["-x"])?.description.hasPrefix("unknown option '-x'") == true)
        #expect(usageError(["--epoch"])?.description == "unknown option '--epoch'; did you mean '--epochs'?")
    }

    @Test func valueErrors() {
        #expect(usageError(["--epochs", "abc"])?.description == "--epochs expects an integer, got 'abc'")
        #expect(usageError(["--epochs=1.5"])?.description == "--epochs expects an integer, got '1.5'")
        #expect(usageError(["--learning-rate", "fast"])?.description == "--learning-rate expects a number, got 'fast'")
        #expect(usageError(["--learning-rate", "nan"]) != nil)
        #expect(usageError(["--optimizer", "rmsprop"])?.description == "--optimizer expects one of sgd, adam, adamw, got 'rmsprop'")
        #expect(usageError(["--data"]) == UsageError(.missingValue(option: "--data", valueName: "path")))
        #expect(usageError(["--epochs", "--quiet"]) == UsageError(.missingValue(option: "--epochs", valueName: "int")))
        #expect(usageError(["--quiet=yes"]) == UsageError(.flagWithValue("--quiet")))
    }

    @Test func missingAndUnexpectedArguments() {
        #expect(usageError(["out"])?.description == "missing required option --data <path>")
        #expect(usageError(["--data", "x"])?.description == "missing argument <output>")
        #expect(usageError(["--data", "x", "a", "b", "c"]) == UsageError(.unexpectedArgument("c")))
    }

    @Test func repeatedPositionalTakesEveryRemainingWord() throws {
        let first = Positional<String>("first", help: "One.")
        let rest = RepeatedPositional<String>("file", required: true, help: "Files.")
        let p = ArgumentParser([first, rest, Flag("quiet", help: "Quiet.")])
        let a = try p.parse(["a", "b", "--quiet", "c"])
        #expect(a[first] == "a" && a[rest] == ["b", "c"])
        #expect(throws: UsageError.self) { try p.parse(["a"]) }   // at least one file
        // Without `required`: zero or more.
        let optional = RepeatedPositional<String>("input", help: "Inputs.")
        let q = ArgumentParser([optional])
        #expect(try q.parse([])[optional] == [])
        #expect(try q.parse(["x", "y"])[optional] == ["x", "y"])
        #expect(HelpRenderer.usage(toolName: "tl", command: ReportCommand()).hasSuffix("<checkpoint> ..."))
    }

    @Test func editDistanceBasics() {
        #expect(editDistance("", "abc") == 3)
        #expect(editDistance("kitten", "sitting") == 3)
        #expect(editDistance("epochs", "epochs") == 0)
        #expect(nearest(to: "pretrian", in: ["pretrain", "finetune", "eval"]) == "pretrain")
        #expect(nearest(to: "xyz", in: ["pretrain", "finetune"]) == nil)
    }
}

@Suite struct HelpRenderingTests {
    @Test func usageLineShowsRequiredAndOptional() {
        let usage = HelpRenderer.usage(toolName: "tl", command: SampleTrainCommand())
        #expect(usage == "tl pretrain --data <path> [--epochs <int>] [--learning-rate <number>] [--momentum <number>] [--optimizer <sgd|adam|adamw>] [--tag <string> ...] [--quiet] <output> [<notes>]")
    }

    @Test func commandHelpListsEverythingWithDefaults() {
        let help = HelpRenderer.commandHelp(toolName: "tl", command: SampleTrainCommand())
        #expect(help.hasPrefix("OVERVIEW: Train a model.\n\nTrains an architecture on a source dataset.\n\nUSAGE: tl pretrain"))
        #expect(help.contains("  -e, --epochs <int>      Passes over the data. (default: 10)\n"))
        #expect(help.contains("--learning-rate <number> Step size. (default: 0.001)") || help.contains("--learning-rate <number>\n"))
        #expect(help.contains("--optimizer <sgd|adam|adamw>\n                          Optimizer. (default: adam)\n"))
        #expect(help.contains("(may be repeated)"))
        #expect(help.contains("ARGUMENTS:\n  <output>                Where to write the checkpoint.\n"))
        #expect(help.contains("  -h, --help              Show help information.\n"))
        #expect(help.split(separator: "\n").allSatisfy { $0.count <= 80 })
    }

    @Test func wrapKeepsLinesWithinWidth() {
        let text = String(repeating: "word ", count: 60)
        let wrapped = HelpRenderer.wrap(text, indent: 26)
        #expect(wrapped.split(separator: "\n").allSatisfy { $0.count <= 80 && $0.hasPrefix(String(repeating: " ", count: 26)) })
        #expect(wrapped.split(separator: " ").count == 60)
    }
}
