import Foundation
import Testing
import TLTransfer
import TLModels
@testable import TLCLI
import TLSafeTensors

@Suite struct InspectCommandTests {
    func writeSample(to url: URL) throws {
        var file = SafeTensorsFile(metadata: ["format": "tl", "note": "a\nb"])
        try file.setFloats("conv.weight", [Float](repeating: 0.5, count: 2 * 3 * 3 * 1), shape: [2, 3, 3, 1])
        try file.setFloats("fc.bias", [1, 2, 3], shape: [3])
        file.tensors["steps"] = try StoredTensor(shape: [], int64s: [1234567])
        try file.write(to: url)
    }

    @Test func describesAGoodFile() throws {
        let folder = try makeTempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("m.safetensors")
        try writeSample(to: url)
        let result = runTool(makeTool(), ["inspect", url.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("  tensors     3\n  parameters  22\n"))
        #expect(result.stdout.contains("conv.weight  F32    [2, 3, 3, 1]          18\n"))
        #expect(result.stdout.contains("steps        I64    []                     1\n"))
        #expect(result.stdout.contains("metadata:\n  format  tl\n  note    a\\nb"))

        let limited = runTool(makeTool(), ["inspect", "--sort", "size", "-n", "1", url.path])
        #expect(limited.stdout.contains("conv.weight") && !limited.stdout.contains("fc.bias  "))
        #expect(limited.stdout.contains("(2 more tensors not shown)"))

        let json = runTool(makeTool(), ["inspect", "--json", url.path])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["parameters"] as? Int == 22)
        #expect((object["tensors"] as? [Any])?.count == 3)
        #expect(runTool(makeTool(), ["inspect", "--limit", "-1", url.path]).status == 2)
    }

    @Test func badFileIsOneLineExitOne() throws {
        let folder = try makeTempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("bad.safetensors")
        try Data("not a safetensors file at all".utf8).write(to: url)
        let result = runTool(makeTool(), ["inspect", url.path])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("tl inspect: error: \(url.path): "))
        #expect(result.stderr.filter { $0 == "\n" }.count == 1)
    }
}

@Suite(.enabled(if: tlExecutablePath != nil,
                "the tl executable was not found next to the test bundle or in .build/{release,debug}; run `swift build` first"))
struct EndToEndTests {
    @Test func helpAndVersion() throws {
        let help = try runTL(["--help"])
        #expect(help.status == 0 && help.stdout.contains("COMMANDS:") && help.stdout.contains("  inspect "))
        let inspectHelp = try runTL(["inspect", "--help"])
        #expect(inspectHelp.status == 0 && inspectHelp.stdout.contains("USAGE: tl inspect"))
        let version = try runTL(["--version"])
        #expect(version.status == 0 && version.stdout == "tl \(tlVersion)\n")
    }

    @Test func usageErrorsExitTwo() throws {
        let flag = try runTL(["inspect", "--jsn", "x.safetensors"])
        #expect(flag.status == 2)
        #expect(flag.stderr.hasPrefix("tl inspect: unknown option '--jsn'; did you mean '--json'?\nUSAGE: tl inspect"))
        let value = try runTL(["inspect", "--limit", "abc", "x"])
        #expect(value.status == 2 && value.stderr.hasPrefix("tl inspect: --limit expects an integer, got 'abc'"))
        let command = try runTL(["inspekt"])
        #expect(command.status == 2 && command.stderr.hasPrefix("tl: unknown command 'inspekt'; did you mean 'inspect'?"))
    }

    @Test func inspectGoodAndCorruptFiles() throws {
        let folder = try makeTempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let good = folder.appendingPathComponent("good.safetensors")
        var file = SafeTensorsFile(metadata: ["arch": "mlp"])
        try file.setFloats("w", [1, 2, 3, 4, 5, 6], shape: [2, 3])
        try file.write(to: good)
        let ok = try runTL(["inspect", good.path])
        #expect(ok.status == 0 && ok.stderr.isEmpty)
        #expect(ok.stdout.contains("w     F32    [2, 3]           6") && ok.stdout.contains("arch  mlp"))

        let bad = folder.appendingPathComponent("truncated.safetensors")
        try Data(try Data(contentsOf: good).dropLast(3)).write(to: bad)
        let failed = try runTL(["inspect", bad.path])
        #expect(failed.status == 1 && failed.stdout.isEmpty)
        #expect(failed.stderr.hasPrefix("tl inspect: error: \(bad.path): "), "\(failed.stderr)")
        #expect(failed.stderr.filter { $0 == "\n" }.count == 1)

        let missing = try runTL(["inspect", folder.appendingPathComponent("nope.safetensors").path])
        #expect(missing.status == 1 && missing.stderr.contains("nope.safetensors: cannot open"))
    }
}
