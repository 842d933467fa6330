import Testing
import Foundation

/// Only regular files are read: a FIFO would block forever and /dev/zero never ends. Each case
/// is one line naming the file and exit 1, well inside a time limit (a hang fails the test).
@Suite(.serialized) struct SpecialFileTests {
    /// Runs `tl` under coreutils' `timeout`, so a regression that hangs fails instead of stalling the suite.
    func runBounded(_ words: [String]) -> (status: Int32, stderr: String)? {
        guard let tl = tlExecutablePath, FileManager.default.isExecutableFile(atPath: "/usr/bin/timeout"),
              let r = runProcess("/usr/bin/timeout", ["30", tl] + words) else { return nil }
        return (r.status, r.stderr)
    }

    @Test func fifosAndDevicesAreRefusedByName() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder("special")
        defer { try? FileManager.default.removeItem(at: folder) }
        let fifo = folder.appendingPathComponent("x.safetensors").path, fifoSpec = folder.appendingPathComponent("spec.json").path
        #expect(mkfifo(fifo, 0o600) == 0 && mkfifo(fifoSpec, 0o600) == 0)
        let images = folder.appendingPathComponent("photos/cat")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        #expect(mkfifo(images.appendingPathComponent("x.png").path, 0o600) == 0)
        let lenet = ShippedModelsTests.models.appendingPathComponent("lenet.json").path
        let out = folder.appendingPathComponent("o.safetensors").path
        let cases: [([String], String)] = [
            (["eval", "--model", fifo], "\(fifo): is a FIFO (named pipe), expected a regular file"),
            (["inspect", fifo], "is a FIFO"),
            (["pretrain", "--model", fifoSpec, "--data", "mnist5k", "--out", out], "is a FIFO"),
            (["pretrain", "--model", lenet, "--data", "csv:/dev/zero", "--out", out], "/dev/zero: is a character device"),
            (["pretrain", "--model", lenet, "--data", "folder:" + folder.appendingPathComponent("photos").path, "--out", out], "x.png: is a FIFO"),
        ]
        for (words, message) in cases {
            guard let r = runBounded(words) else { Issue.record("cannot run tl under timeout"); return }
            #expect(r.status == 1, "\(words): status \(r.status) \(r.stderr)")
            #expect(r.stderr.contains(message), "\(words): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }
}
