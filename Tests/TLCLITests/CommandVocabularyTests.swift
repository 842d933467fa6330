import Testing
import Foundation
@testable import TLCLI

/// One meaning per flag name across commands, help generated from the definitions that run,
/// and the small command-line defects of issue 11 (each checked through the real binary).
@Suite(.serialized) struct CommandVocabularyTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Options whose help legitimately names what the command does with them (a spec for
    /// pretrain, a checkpoint elsewhere; the data a command reads; the file it writes). Their
    /// spelling, short name and value kind must still agree.
    static let roleDependent: Set<String> = ["model", "data", "out", "from"]

    @Test func everySharedOptionMeansTheSameEverywhere() {
        var byName: [String: [(command: String, info: ArgumentInfo)]] = [:]
        for command in makeTool().commands {
            for info in command.allArguments.map(\.info) where info.kind != .positional {
                byName[info.name, default: []].append((command.name, info))
            }
        }
        for (name, uses) in byName where uses.count > 1 {
            let first = uses[0].info
            for (command, info) in uses.dropFirst() {
                #expect(info.short == first.short, "--\(name): short name differs in \(command)")
                #expect(info.kind == first.kind, "--\(name): flag in one command, option in another (\(command))")
                #expect(info.expectation == first.expectation, "--\(name): value kind differs in \(command)")
                if !Self.roleDependent.contains(name) {
                    #expect(info.help == first.help, "--\(name): help differs between \(uses[0].command) and \(command)")
                    #expect(info.defaultText == first.defaultText || name == "seeds", "--\(name): default differs in \(command)")
                }
            }
        }
        // The specific drifts the issue found.
        #expect(byName["format"] == nil)                                    // embed uses --json like the rest
        #expect(byName["json"]?.count == makeTool().commands.count)          // every command answers --json
        let batchDefaults = Set(byName["batch-size"]?.map { $0.info.defaultText ?? "" } ?? [])
        #expect(batchDefaults == ["64"])
        for command in ["predict", "embed", "eval", "pretrain", "finetune", "demo"] {
            #expect(byName["threads"]?.contains { $0.command == command } == true, "\(command) lacks --threads")
        }
    }

    @Test func helpIsGeneratedWithoutDrift() {
        let tool = makeTool()
        for command in tool.commands {
            let help = HelpRenderer.commandHelp(toolName: "tl", command: command)
            #expect(!help.contains("(repeatable)"), "\(command.name)")
            if command.name == "pretrain" { #expect(!help.contains("dry-run")) }
            if ["pretrain", "finetune"].contains(command.name) {
                // --data is required unless --resume: usage shows it unbracketed, help says why.
                #expect(HelpRenderer.usage(toolName: "tl", command: command).contains(" --data <source> "))
                #expect(help.contains("(required unless --resume)"))
            }
            if command.groups.contains(where: { $0 is DataOptions }) {
                #expect(help.contains("DATA SOURCES:"))
                for format in ["idx:", "@test", "csv:", "npy:", "npz:", "folder:", "text:", "mnist5k"] {
                    #expect(help.contains(format), "\(command.name) help omits \(format)")
                }
            }
        }
    }

    @Test func bareToolIsAUsageError() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let r = try runTL([])
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains("USAGE: tl <command>"))
    }

    @Test func everyComputingCommandValidatesThreads() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let target = Self.repositoryRoot.appendingPathComponent("Models/lenet-digits0-4.safetensors").path
        let bad = try runTL(["predict", "--model", target, "--data", "mnist5k", "--limit", "2", "--threads", "0"])
        #expect(bad.status == 2 && bad.stderr.contains("--threads"))
        let good = try runTL(["predict", "--model", target, "--data", "mnist5k", "--classes", "0-4", "--limit", "2", "--threads", "1"])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.hasPrefix("index,label,predicted,confidence,p_0"))
        // --seeds has one range wherever it appears.
        for words in [["demo", "--seeds", "101"], ["eval", "--model", target, "--seeds", "101"]] {
            let r = try runTL(words)
            #expect(r.status == 2 && r.stderr.contains("--seeds expects an integer from 1 to 100"), "\(words): \(r.stderr)")
        }
        // A class list that does not fit the data is a usage error naming --classes.
        let badClass = try runTL(["predict", "--model", target, "--data", "mnist5k", "--classes", "3-12"])
        #expect(badClass.status == 2 && badClass.stderr.contains("--classes: no class '12'"), "\(badClass.stderr)")
        let huge = try runTL(["predict", "--model", target, "--data", "mnist5k", "--batch-size", "1000000000000"])
        #expect(huge.status == 2 && huge.stderr.contains("--batch-size"))
    }

    /// `tl demo --help` prints the three command lines the demo runs; they work as written
    /// (here with shorter training appended, which overrides the printed budget).
    @Test func demoHelpCommandsRunAsWritten() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let help = try runTL(["demo", "--help"])
        let lines = help.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let steps = lines.filter { $0.hasPrefix("1. tl ") || $0.hasPrefix("2. tl ") || $0.hasPrefix("3. tl ") }
        #expect(steps.count == 3)
        let shorter = [["--epochs", "2"], ["--epochs", "5"], ["--seeds", "2"]]
        for (i, step) in steps.enumerated() {
            var words = step.split(separator: " ").dropFirst(2).map(String.init)
            words = words.map { word in
                if word == "Models/lenet.json" { return Self.repositoryRoot.appendingPathComponent(word).path }
                if word.hasSuffix(".safetensors") { return folder.appendingPathComponent(word).path }
                return word
            }
            let r = try runTL(words + shorter[i] + ["--quiet"])
            #expect(r.status == 0, "step \(i + 1): \(step)\n\(r.stderr)")
        }
    }
}
