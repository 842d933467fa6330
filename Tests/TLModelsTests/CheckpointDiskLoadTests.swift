import Foundation
import Testing
@testable import TLModels
import TLSafeTensors
import TLTensor
import TLNN
import TLTestSupport

/// `Checkpoint.read(from:)` reads each tensor from disk into its parameter's array and builds
/// the loaded blocks on uninitialised placeholders. It must load what decoding the whole file
/// with a full random initialisation loads, and stay exactly as strict.
@Suite struct CheckpointDiskLoadTests {
    /// A small token model written as a checkpoint; returns the file and the model written.
    static func writtenModel(_ label: String) throws -> (url: URL, folder: URL, model: TransferModel) {
        let spec = try ModelSpec.parse(Data(PlaceholderInitializationTests.spec.utf8), file: "tiny-encoder.json")
        var rng = SeededGenerator(seed: 3)
        let vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "b", "c"]
        let model = try TransferModel(spec: spec, classCount: 2, vocabularySize: vocabulary.count, rng: &rng)
        var info = CheckpointInfo(kind: "scratch", classNames: ["x", "y"], seed: 3)
        info.vocabulary = vocabulary
        let folder = try makeTempFolder(label)
        let url = folder.appendingPathComponent("m.safetensors")
        try Checkpoint(model: model, info: info).write(to: url)
        return (url, folder, model)
    }

    @Test func readEqualsDecodingTheWholeFileWithRealInitialisation() throws {
        let (url, folder, model) = try Self.writtenModel("disk-load")
        defer { try? FileManager.default.removeItem(at: folder) }
        let image = try SafeTensorsFile.decode(Data(contentsOf: url), path: url.path)
        for (classes, dropHead) in [(2, false), (3, true)] {
            var fast = SeededGenerator(seed: 41), full = fast
            let a = try Checkpoint.read(from: url, classCount: classes, dropHead: dropHead, rng: &fast)
            let b = try Checkpoint.decode(image, path: url.path, classCount: classes, dropHead: dropHead,
                                          placeholderInitialization: false, rng: &full)
            #expect(fast.fullState == full.fullState, "dropHead \(dropHead)")
            let sa = a.model.namedState(), sb = b.model.namedState()
            #expect(sa.map(\.name) == sb.map(\.name) && !sa.isEmpty)
            for (x, y) in zip(sa, sb) {
                #expect(x.tensor.shape == y.tensor.shape && x.tensor.scalars.map(\.bitPattern) == y.tensor.scalars.map(\.bitPattern),
                        "\(x.name), dropHead \(dropHead)")
            }
            #expect(a.model.namedRandomStates() == b.model.namedRandomStates())
            #expect(a.info == b.info)
            if !dropHead {
                for (x, y) in zip(sa, model.namedState()) { #expect(x.tensor.scalars == y.tensor.scalars, "\(x.name)") }
            }
        }
    }

    /// A tensor the model has but the file lacks: the loaded blocks were built on uninitialised
    /// placeholders, and the strict load still names it instead of using them.
    @Test func aTensorMissingFromTheFileIsStillReported() throws {
        let (url, folder, _) = try Self.writtenModel("disk-load-missing")
        defer { try? FileManager.default.removeItem(at: folder) }
        var file = try SafeTensorsFile.read(from: url)
        let victim = try #require(file.tensors.keys.sorted().first { $0.hasPrefix("blocks.1.") && $0.hasSuffix("weight") })
        file.tensors[victim] = nil
        let broken = folder.appendingPathComponent("missing.safetensors")
        try file.write(to: broken)
        var rng = SeededGenerator(seed: 1)
        #expect { _ = try Checkpoint.read(from: broken, rng: &rng) } throws: { error in
            let text = "\(error)"
            return error is CheckpointError && text.hasPrefix(broken.path + ": ")
                && text.contains("state does not match the model: missing: \(victim)")
        }
    }

    @Test func aNonFiniteWeightIsRefusedAtItsIndex() throws {
        let (url, folder, _) = try Self.writtenModel("disk-load-nan")
        defer { try? FileManager.default.removeItem(at: folder) }
        var file = try SafeTensorsFile.read(from: url)
        let name = try #require(file.tensors.keys.sorted().first { $0.hasPrefix("blocks.1.") && $0.hasSuffix("weight") })
        for (bad, index) in [(Float.nan, 5), (Float.infinity, 0), (-Float.infinity, 1)] {
            let stored = try file.tensor(name)
            var values = try stored.floats()
            values[index] = bad
            try file.setFloats(name, values, shape: stored.shape)
            let broken = folder.appendingPathComponent("bad.safetensors")
            try file.write(to: broken)
            var rng = SeededGenerator(seed: 1)
            #expect { _ = try Checkpoint.read(from: broken, rng: &rng) } throws: { error in
                "\(error)".contains("tensor '\(name)' holds \(bad) at element \(index); weights must be finite")
            }
            values[index] = 0.5
            try file.setFloats(name, values, shape: stored.shape)
        }
    }

    @Test func firstNonFiniteMatchesTheElementwiseSearch() {
        var values = (0..<1000).map { Float($0) * 0.37 - 100 }
        #expect(Checkpoint.firstNonFinite(values) == nil)
        #expect(Checkpoint.firstNonFinite([]) == nil)
        for (index, bad) in [(999, Float.nan), (0, Float.infinity), (517, -Float.infinity)] {
            var v = values
            v[index] = bad
            if index != 999 { v[999] = .nan }   // a later one does not hide the first
            #expect(Checkpoint.firstNonFinite(v) == index)
        }
        values[3] = .greatestFiniteMagnitude; values[4] = -.leastNonzeroMagnitude
        #expect(Checkpoint.firstNonFinite(values) == nil)
    }
}
