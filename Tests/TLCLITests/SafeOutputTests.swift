import Testing
import Foundation
import TLSafeTensors

/// Outputs never destroy inputs; runs leave no stale temporaries, never share an output, survive
/// a failed resume write; messages never pass control characters through. All through the binary.
@Suite(.serialized) struct SafeOutputTests {
    static let shipped = ShippedModelsTests.models.appendingPathComponent("lenet-digits0-4.safetensors").path
    static let lenet = ShippedModelsTests.models.appendingPathComponent("lenet.json").path

    func copyOfShipped(in folder: URL) throws -> String {
        let copy = folder.appendingPathComponent("m.safetensors")
        try FileManager.default.copyItem(atPath: Self.shipped, toPath: copy.path)
        return copy.path
    }

    @Test func anOutputNamingAnInputIsRefusedAndTheInputSurvives() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder("out-in")
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try copyOfShipped(in: folder)
        let before = try Data(contentsOf: URL(fileURLWithPath: model))
        // Through a symlink too.
        let link = folder.appendingPathComponent("link.safetensors").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: model)
        let cases: [[String]] = [
            ["predict", "--model", model, "--data", "mnist5k", "--limit", "2", "--out", model],
            ["predict", "--model", model, "--data", "mnist5k", "--limit", "2", "--out", link],
            ["finetune", "--from", model, "--data", "mnist5k", "--classes", "5-9", "--per-class", "2", "--epochs", "1", "--out", model],
        ]
        for words in cases {
            let r = try runTL(words)
            #expect(r.status == 2, "\(words): \(r.stderr)")
            #expect(r.stderr.contains("writing it would destroy the input"), "\(words): \(r.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: model)) == before)
        }
        // import DIR --out DIR/model.safetensors would overwrite the weights it reads.
        let hf = try TinyBertFolder().write(to: folder.appendingPathComponent("hf"))
        let weights = try Data(contentsOf: hf.appendingPathComponent("model.safetensors"))
        let r = try runTL(["import", hf.path, "--out", hf.appendingPathComponent("model.safetensors").path])
        #expect(r.status == 2 && r.stderr.contains("inside the input folder"), "\(r.stderr)")
        #expect(try Data(contentsOf: hf.appendingPathComponent("model.safetensors")) == weights)
    }

    @Test func staleTemporariesAreRemovedAndLocksKeepRunsApart() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder("stale")
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("s.safetensors").path
        // A pid no process can have: Linux's pid_max is at most 4,194,304.
        let deadPID = 4_194_400
        let stale = folder.appendingPathComponent(".s.safetensors.tmp-\(deadPID)-7").path
        _ = FileManager.default.createFile(atPath: stale, contents: Data("half".utf8))

        // A live run holding the lock (this test process's pid) makes a second run refuse.
        let lock = out + ".lock"
        _ = FileManager.default.createFile(atPath: lock, contents: Data("\(ProcessInfo.processInfo.processIdentifier)\n".utf8))
        let refused = try runTL(["pretrain", "--model", Self.lenet, "--data", "mnist5k", "--classes", "0-1", "--epochs", "1", "--out", out])
        #expect(refused.status == 1 && refused.stderr.contains("another tl run (pid \(ProcessInfo.processInfo.processIdentifier)) is writing"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))

        // A lock left by a killed run is taken over; the run removes the stale temporary and its lock.
        _ = FileManager.default.createFile(atPath: lock, contents: Data("\(deadPID)\n".utf8))
        let ok = try runTL(["pretrain", "--model", Self.lenet, "--data", "mnist5k", "--classes", "0-1", "--epochs", "1", "--out", out, "--quiet"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(FileManager.default.fileExists(atPath: out))
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(!FileManager.default.fileExists(atPath: lock))
    }

    @Test func aFailedResumeWriteIsAWarningNotTheEndOfTheRun() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder("resume-fail")
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("r.safetensors").path
        // A folder where the resume file should go: every resume write fails.
        try FileManager.default.createDirectory(atPath: folder.appendingPathComponent("r.resume.safetensors").path, withIntermediateDirectories: false)
        let r = try runTL(["pretrain", "--model", Self.lenet, "--data", "mnist5k", "--classes", "0-1", "--epochs", "2",
                           "--resume-every", "0.00001", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("warning: could not write the resume file"), "\(r.stderr)")
        #expect(r.stderr.contains("failed"))
        #expect(FileManager.default.fileExists(atPath: out))
        var isFolder: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: out.replacingOccurrences(of: ".safetensors", with: ".resume.safetensors"), isDirectory: &isFolder) && isFolder.boolValue)
    }

    @Test func controlCharactersFromFilesAreEscapedInMessages() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder("ctrl")
        defer { try? FileManager.default.removeItem(at: folder) }
        let csv = folder.appendingPathComponent("x.csv")
        try "1,2,0\n3,\u{1B}[31mred,1\n".write(to: csv, atomically: true, encoding: .utf8)
        let r = try runTL(["pretrain", "--model", Self.lenet, "--data", "csv:" + csv.path, "--out", folder.appendingPathComponent("o.safetensors").path])
        #expect(r.status != 0)
        #expect(!r.stderr.contains("\u{1B}"), "\(r.stderr.debugDescription)")
        #expect(r.stderr.contains("\\u{1B}[31mred"), "\(r.stderr)")
    }
}
