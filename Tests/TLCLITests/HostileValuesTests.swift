import Testing
import Foundation
import TLSafeTensors

/// Values a file holds, checked where they enter (issue 18): non-finite features (policy: an
/// error naming the file, line and column), non-finite weights (an error naming the tensor),
/// impossible resume positions (an error naming the resume file). Through the real binary.
@Suite(.serialized) struct HostileValuesTests {
    static let shipped = ShippedModelsTests.models.appendingPathComponent("lenet-digits0-4.safetensors").path
    static let lenet = ShippedModelsTests.models.appendingPathComponent("lenet.json").path

    func expectOneLineRefusal(_ r: ProcessResult?, _ mentions: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        guard let r else { Issue.record("cannot run tl", sourceLocation: sourceLocation); return }
        #expect(r.status == 1 || r.status == 2, "status \(r.status): \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)", sourceLocation: sourceLocation)
        for m in mentions { #expect(r.stderr.contains(m), "expected \"\(m)\" in \(r.stderr)", sourceLocation: sourceLocation) }
    }

    @Test func nonFiniteFeaturesAreAnErrorNamingTheCell() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder("nonfinite")
        defer { try? FileManager.default.removeItem(at: folder) }
        for (name, cell) in [("inf", "inf"), ("big", "1e39"), ("nan", "nan"), ("minus-inf", "-inf")] {
            let csv = folder.appendingPathComponent("\(name).csv")
            try "a,b,label\n1,2,0\n3,\(cell),1\n".write(to: csv, atomically: true, encoding: .utf8)
            let r = Hostile.run(["eval", "--model", Self.shipped, "--test-data", "csv:" + csv.path])
            expectOneLineRefusal(r, [csv.path, "line 3", "column 2", cell, "finite"])
        }
    }

    @Test func checkpointsWithNaNWeightsAreRefusedNamingTheTensor() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder("nan-weights")
        defer { try? FileManager.default.removeItem(at: folder) }
        var file = try SafeTensorsFile.read(from: URL(fileURLWithPath: Self.shipped))
        let name = try #require(file.tensors.keys.sorted().first { $0.hasSuffix("weight") })
        var values = try file.floats(name)
        values[3] = .nan
        try file.setFloats(name, values, shape: file.tensor(name).shape)
        let bad = folder.appendingPathComponent("nan.safetensors")
        try file.write(to: bad)
        let out = folder.appendingPathComponent("p.csv").path
        expectOneLineRefusal(Hostile.run(["eval", "--model", bad.path, "--data", "digits"]), [bad.path, name, "nan", "finite"])
        expectOneLineRefusal(Hostile.run(["predict", "--model", bad.path, "--data", "digits", "--out", out]), [bad.path, name])
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func impossibleResumePositionsAreRefused() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder("bad-resume")
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("run.safetensors").path
        let resumeFile = folder.appendingPathComponent("run.resume.safetensors").path
        let run = try BackgroundTL(["pretrain", "--model", Self.lenet, "--data", "mnist5k", "--classes", "0-1", "--epochs", "300",
                                    "--out", out, "--resume-every", "0"])
        let started = run.waitForError(containing: "epoch 1/300  loss")
        guard started, run.process.isRunning else {
            _ = run.interruptAndWait()
            Issue.record("training ended before it could be interrupted: \(run.stderr)")
            return
        }
        #expect(run.interruptAndWait() == 130)
        let good = try SafeTensorsFile.read(from: URL(fileURLWithPath: resumeFile))
        let state = try #require(good.metadata["tl.resume"])
        let edits: [(String, (inout [String: Any]) -> Void)] = [
            ("epoch-minus-1", { $0["epoch"] = -1 }),
            ("step-1e15", { $0["stepInEpoch"] = 1_000_000_000_000_000; $0["globalStep"] = 1_000_000_000_000_000 }),
            ("step-minus-1", { $0["stepInEpoch"] = -1 }),
            ("epoch-past-end", { $0["epoch"] = 301 }),
        ]
        for (label, edit) in edits {
            var json = try #require(try JSONSerialization.jsonObject(with: Data(state.utf8)) as? [String: Any])
            edit(&json)
            var file = good
            file.metadata["tl.resume"] = String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self)
            let bad = folder.appendingPathComponent("\(label).resume.safetensors")
            try file.write(to: bad)
            let newOut = folder.appendingPathComponent("\(label).safetensors").path
            expectOneLineRefusal(Hostile.run(["pretrain", "--resume", bad.path, "--out", newOut, "--quiet"]), [bad.path, "resume state is impossible"])
            #expect(!FileManager.default.fileExists(atPath: newOut))
        }
    }
}
