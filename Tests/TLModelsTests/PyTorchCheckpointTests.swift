import Foundation
import Testing
import TLTensor
@testable import TLModels

/// The PyTorch reader on small fixtures written once by `Scripts/make-pth-fixtures.py` with
/// PyTorch (Tests/Fixtures/pytorch): both serialisation formats, every supported dtype,
/// strided and offset tensors, and hostile files that must be refused with one clear line.
@Suite struct PyTorchCheckpointTests {
    static let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures/pytorch")

    struct Expected: Decodable {
        let dtype: String
        let shape: [Int]
        let values: [Double]
    }

    static func expected() throws -> [String: Expected] {
        try JSONDecoder().decode([String: Expected].self, from: Data(contentsOf: fixtures.appendingPathComponent("expected.json")))
    }

    @Test(arguments: ["state-zip.pth", "state-legacy.pth"])
    func readsEveryTensorExactly(_ name: String) throws {
        let file = try PyTorchCheckpoint.read(from: Self.fixtures.appendingPathComponent(name))
        let expected = try Self.expected()
        #expect(file.format == (name.contains("zip") ? "zip" : "legacy"))
        #expect(Set(file.entries.map(\.name)) == Set(expected.keys))
        for entry in file.entries {
            guard let e = expected[entry.name] else { continue }
            #expect(entry.tensor.shape == e.shape, "\(entry.name)")
            #expect(entry.dtype.rawValue == e.dtype, "\(entry.name)")
            // Every dtype converts to Float32 exactly (half, bfloat16, small int64 values).
            #expect(entry.tensor.scalars == e.values.map { Float($0) }, "\(entry.name)")
        }
        // Insertion order of the state dict is kept (nested dicts flattened in place).
        #expect(file.entries.first?.name == "conv.weight")
        #expect(file.entries.last?.name == "nested.bias")
    }

    /// The hostile fixtures: each refused with a one-line message naming the problem.
    @Test(arguments: [
        ("forbidden-global.pth", "posix.system"),
        ("truncated-legacy.pth", "truncated"),
        ("truncated-zip.pth", "zip"),
        ("lying-size-legacy.pth", "claims 1000 elements"),
        ("lying-size-zip.pth", "declares 200 float32 elements but holds 24 bytes"),
        ("stride-outside.pth", "outside its storage of 6 elements"),
    ])
    func refusesHostileFiles(_ name: String, _ mention: String) throws {
        let marker = URL(fileURLWithPath: "/tmp/tl-pwned")
        try? FileManager.default.removeItem(at: marker)
        let url = Self.fixtures.appendingPathComponent(name)
        do {
            _ = try PyTorchCheckpoint.read(from: url)
            Issue.record("\(name) was accepted")
        } catch let error as PyTorchCheckpointError {
            #expect(error.description.hasPrefix(url.path + ": "), "\(error)")
            #expect(error.description.contains(mention), "\(error)")
            #expect(!error.description.contains("\n"), "\(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: marker.path), "the fixture's code ran")
    }

    @Test func forbiddenGlobalIsNamedAndNeverCalled() throws {
        let url = Self.fixtures.appendingPathComponent("forbidden-global.pth")
        #expect(throws: PyTorchCheckpointError.self) { try PyTorchCheckpoint.read(from: url) }
        // The allow-list: the state-dict globals are accepted, nothing else.
        #expect(PickleGlobal.allowed(module: "collections", name: "OrderedDict") == .orderedDict)
        #expect(PickleGlobal.allowed(module: "torch", name: "HalfStorage") == .storageType(.float16))
        #expect(PickleGlobal.allowed(module: "builtins", name: "eval") == nil)
        #expect(PickleGlobal.allowed(module: "torch", name: "load") == nil)
    }

    @Test func refusesNonCheckpoints() throws {
        #expect(throws: PyTorchCheckpointError.self) { try PyTorchCheckpoint.decode(Array("hello".utf8), file: "x.pth") }
        #expect(throws: PyTorchCheckpointError.self) { try PyTorchCheckpoint.decode([], file: "x.pth") }
        // A pickle of a plain list (no tensors) is not a state dict.
        #expect(throws: PyTorchCheckpointError.self) { try PyTorchCheckpoint.decode([0x80, 0x02, 0x5D, 0x2E], file: "x.pth") }
        // Every prefix of a good legacy file is refused cleanly (never a crash).
        let good = [UInt8](try Data(contentsOf: Self.fixtures.appendingPathComponent("state-legacy.pth")))
        for cut in stride(from: 0, to: good.count, by: 7) {
            #expect(throws: PyTorchCheckpointError.self) { try PyTorchCheckpoint.decode(Array(good[..<cut]), file: "cut.pth") }
        }
    }
}
