import Foundation
import Testing
@testable import TLCLI

struct FailingCommand: Command {
    struct Broken: Error, CustomStringConvertible {
        var description: String { "the data folder has no images\n(second line folded)" }
    }
    static let mode = Option<String>("mode", default: "throw", help: "What to do.")
    var name: String { "fail" }
    var abstract: String { "Fails on purpose." }
    var arguments: [any ArgumentDefinition] { [Self.mode] }
    func run(_ arguments: ParsedArguments, context: CommandContext) throws -> ExitCode {
        switch arguments[Self.mode] {
        case "verdict": context.print("negative transfer"); return ExitCode(3)
        case "usage": throw UsageError("--mode usage needs a friend")
        default: throw Broken()
        }
    }
}

@Suite struct CommandLineToolTests {
    let tool = CommandLineTool(name: "tl", version: "9.9.9", abstract: "Test tool.",
                               commands: [SampleTrainCommand(), FailingCommand(), InspectCommand()])

    @Test func rootHelpAndVersion() {
        for words in [["--help"], ["-h"], ["help"]] {
            let result = runTool(tool, words)
            #expect(result.status == 0)
            #expect(result.stdout.contains("  pretrain                Train a model.\n"))
            #expect(result.stdout.contains("  inspect "))
            #expect(result.stderr.isEmpty)
        }
        // A bare `tl` asked for nothing: the overview goes to stderr and the exit status is 2,
        // so a script that forgot its command fails.
        let bare = runTool(tool, [])
        #expect(bare.status == 2)
        #expect(bare.stdout.isEmpty)
        #expect(bare.stderr.contains("  pretrain                Train a model.\n"))
        #expect(runTool(tool, ["--version"]).stdout == "tl 9.9.9\n")
    }

    @Test func commandHelpThreeWays() {
        let expected = HelpRenderer.commandHelp(toolName: "tl", command: SampleTrainCommand())
        for words in [["help", "pretrain"], ["pretrain", "--help"], ["pretrain", "--epochs", "abc", "-h"]] {
            let result = runTool(tool, words)
            #expect(result.status == 0 && result.stdout == expected, "\(words)")
        }
    }

    @Test func usageErrorsExitTwoWithUsageLine() {
        let result = runTool(tool, ["pretrain", "--epochs", "abc", "--data", "x", "out"])
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.first == "tl pretrain: --epochs expects an integer, got 'abc'")
        #expect(lines.dropFirst().first?.hasPrefix("USAGE: tl pretrain --data <path>") == true)

        let unknown = runTool(tool, ["pretrian"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.hasPrefix("tl: unknown command 'pretrian'; did you mean 'pretrain'?\n"))
        #expect(runTool(tool, ["help", "nope"]).status == 2)
        #expect(runTool(tool, ["--verbose"]).stderr.hasPrefix("tl: unknown option '--verbose'"))
        let custom = runTool(tool, ["fail", "--mode", "usage"])
        #expect(custom.status == 2 && custom.stderr.hasPrefix("tl fail: --mode usage needs a friend\nUSAGE: tl fail"))
    }

    @Test func runtimeErrorsExitOneOnOneLine() {
        let result = runTool(tool, ["fail"])
        #expect(result.status == 1)
        #expect(result.stderr == "tl fail: error: the data folder has no images (second line folded)\n")
    }

    @Test func commandsReturnCustomCodes() {
        let result = runTool(tool, ["fail", "--mode=verdict"])
        #expect(result.status == 3 && result.stdout == "negative transfer\n")
    }
}
