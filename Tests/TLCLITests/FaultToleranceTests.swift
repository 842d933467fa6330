import Testing
import Foundation
import TLSafeTensors

/// Fault injection through the real binary (issue 18): `kill -9` at random moments of
/// `pretrain`, a full disk during the checkpoint write (a file-size limit, `ulimit -f`, with
/// SIGXFSZ ignored so the write fails with EFBIG), and two concurrent runs on one `--out`.
/// The output is always either absent, the previous file, or one complete run's file.
@Suite(.serialized) struct FaultToleranceTests {
    static let lenet = ShippedModelsTests.models.appendingPathComponent("lenet.json").path
    static func train(seed: Int, epochs: Int = 1) -> [String] {
        ["pretrain", "--model", lenet, "--data", "mnist5k", "--classes", "0-2", "--epochs", "\(epochs)", "--seed", "\(seed)", "--quiet"]
    }

    /// `tl`'s own temporaries and locks beside `out`.
    func leftovers(beside out: String) throws -> [String] {
        let url = URL(fileURLWithPath: out)
        let base = url.lastPathComponent
        return try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)
            .filter { $0.hasPrefix(".\(base).tmp-") || $0 == base + ".lock" }
    }

    @Test func killMinus9LeavesThePreviousCheckpointAndTheNextRunCleansUp() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder("kill9")
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("m.safetensors").path
        let first = try runTL(Self.train(seed: 1) + ["--out", out])
        #expect(first.status == 0, "\(first.stderr)")
        let previous = try Data(contentsOf: URL(fileURLWithPath: out))
        var generator = SystemRandomNumberGenerator()
        var killedMidRun = 0
        for _ in 0..<4 {
            // 200 epochs: far longer than the longest wait below on any machine, so every kill lands mid-run
            // (with 3 epochs a quiet machine finished before the kill and the test failed).
            let run = try BackgroundTL(Self.train(seed: 2, epochs: 200) + ["--out", out, "--resume-every", "0.0001"])
            usleep(UInt32.random(in: 200_000...3_000_000, using: &generator))
            if run.process.isRunning { killedMidRun += 1 }
            kill(run.process.processIdentifier, SIGKILL)
            run.process.waitUntilExit()
            // Either the previous checkpoint, or a complete newer one (pretrain replaces the
            // output atomically at epoch ends): never a partial file.
            let now = try Data(contentsOf: URL(fileURLWithPath: out))
            if now != previous {
                #expect(throws: Never.self) { _ = try SafeTensorsFile.decode(now, path: out) }
            }
        }
        #expect(killedMidRun > 0, "every run ended before the kill; make the runs longer")
        // The next run takes over the dead run's lock and removes its temporaries.
        let next = try runTL(Self.train(seed: 3) + ["--out", out])
        #expect(next.status == 0, "\(next.stderr)")
        let left = try leftovers(beside: out)
        #expect(left.isEmpty, "\(left)")
        _ = try SafeTensorsFile.read(from: URL(fileURLWithPath: out))
    }

    @Test func aFullDiskDuringTheWriteLeavesNothingPartial() throws {
        guard let tl = tlExecutablePath else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder("disk-full")
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("m.safetensors").path
        // 64 KB per file: the lock file fits, the checkpoint (about 250 KB) does not.
        func limited(_ words: [String]) -> ProcessResult? {
            runProcess("/bin/bash", ["-c", "trap '' XFSZ; ulimit -f 64 && exec \"$0\" \"$@\"", tl] + words)
        }
        let fresh = try #require(limited(Self.train(seed: 1) + ["--out", out]))
        #expect(fresh.status == 1, "\(fresh.status): \(fresh.stderr)")
        #expect(fresh.stderr.contains(out) && fresh.stderr.split(separator: "\n").count == 1, "\(fresh.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
        let left = try leftovers(beside: out)
        #expect(left.isEmpty, "\(left)")
        // Over an existing checkpoint: the old one survives byte for byte.
        let ok = try runTL(Self.train(seed: 1) + ["--out", out])
        #expect(ok.status == 0, "\(ok.stderr)")
        let before = try Data(contentsOf: URL(fileURLWithPath: out))
        let again = try #require(limited(Self.train(seed: 2) + ["--out", out]))
        #expect(again.status == 1, "\(again.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == before)
        #expect(try leftovers(beside: out).isEmpty)
    }

    @Test func twoConcurrentRunsOnOneOutputNeverMixTheirFiles() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder("concurrent")
        defer { try? FileManager.default.removeItem(at: folder) }
        // What each run writes on its own (the tensors: metadata records times and paths).
        var alone: [[String: StoredTensor]] = []
        for seed in [1, 2] {
            let path = folder.appendingPathComponent("alone-\(seed).safetensors").path
            let r = try runTL(Self.train(seed: seed) + ["--out", path])
            #expect(r.status == 0, "\(r.stderr)")
            alone.append(try SafeTensorsFile.read(from: URL(fileURLWithPath: path)).tensors)
        }
        #expect(alone[0] != alone[1])
        let out = folder.appendingPathComponent("shared.safetensors").path
        for _ in 0..<2 {
            try? FileManager.default.removeItem(atPath: out)
            let a = try BackgroundTL(Self.train(seed: 1) + ["--out", out])
            let b = try BackgroundTL(Self.train(seed: 2) + ["--out", out])
            let statuses = [a.waitForExit(), b.waitForExit()]
            // One may refuse (the lock), never both fail; the file is one run's, whole.
            #expect(statuses.contains(0), "\(statuses): \(a.stderr) \(b.stderr)")
            for (run, status) in [(a, statuses[0]), (b, statuses[1])] where status != 0 {
                #expect(run.stderr.contains("another tl run"), "\(run.stderr)")
            }
            // A mixed or partial file would not decode, or would match neither run.
            let written = try SafeTensorsFile.read(from: URL(fileURLWithPath: out)).tensors
            #expect(written == alone[0] || written == alone[1], "a mixed file")
            #expect(try leftovers(beside: out).isEmpty)
        }
    }
}

extension BackgroundTL {
    /// Waits for the run to end on its own (no Ctrl-C).
    func waitForExit() -> Int32 {
        process.waitUntilExit()
        usleep(200_000)   // let the readers collect the last of stderr
        return process.terminationStatus
    }
}
