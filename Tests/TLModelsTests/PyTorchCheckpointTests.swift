import Foundation
import Testing
import TLTensor
import TLData
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
        // A dict that contains itself (through the memo) is refused, not walked forever:
        // PROTO 2, EMPTY_DICT, BINPUT 0, 'a', BINGET 0, SETITEM, STOP.
        #expect(throws: PyTorchCheckpointError.self) {
            try PyTorchCheckpoint.decode([0x80, 0x02, 0x7D, 0x71, 0x00, 0x8C, 0x01, 0x61, 0x68, 0x00, 0x73, 0x2E], file: "cycle.pth")
        }
        // Sizes and strides near Int.max are refused, never an arithmetic trap: the stride
        // fixture's pickle with its row stride replaced by 2^62 (LONG1 8 bytes).
        let zipBytes = [UInt8](try Data(contentsOf: Self.fixtures.appendingPathComponent("stride-outside.pth")))
        let entries = try ZipArchive.entries(zipBytes, file: "z")
        let pkl = try ZipArchive.extract(entries.first { $0.name.hasSuffix("data.pkl") }!, from: zipBytes, file: "z")
        // "K\x09" (BININT1 9, the patched stride) → LONG1 of 2^62.
        if let at = (0..<(pkl.count - 1)).first(where: { pkl[$0] == 0x4B && pkl[$0 + 1] == 9 }) {
            let huge = Array(pkl[..<at]) + [0x8A, 8, 0, 0, 0, 0, 0, 0, 0, 0x40] + Array(pkl[(at + 2)...])
            var u = Unpickler(bytes: huge, persistentLoad: PyTorchCheckpoint.storageRef)
            let refs = try PyTorchCheckpoint.tensorRefs(try u.load())
            #expect(throws: PickleError.self) { try PyTorchCheckpoint.materialize(refs, storages: [refs[0].1.storage.key: [UInt8](repeating: 0, count: 24)]) }
        } else {
            Issue.record("stride operand not found in the fixture's pickle")
        }
        // 100,000 nested one-tuples: refused at the depth limit, not a stack overflow.
        let deep: [UInt8] = [0x80, 0x02, 0x4E] + [UInt8](repeating: 0x85, count: 100_000) + [0x2E]
        #expect(throws: PyTorchCheckpointError.self) { try PyTorchCheckpoint.decode(deep, file: "deep.pth") }
        // A list appended to itself through the memo: refused, not walked forever.
        // EMPTY_LIST, BINPUT 0, BINGET 0, APPEND, STOP
        #expect(throws: PyTorchCheckpointError.self) {
            try PyTorchCheckpoint.decode([0x80, 0x02, 0x5D, 0x71, 0x00, 0x68, 0x00, 0x61, 0x2E], file: "selflist.pth")
        }
        // Every prefix of a good legacy file is refused cleanly (never a crash).
        let good = [UInt8](try Data(contentsOf: Self.fixtures.appendingPathComponent("state-legacy.pth")))
        for cut in stride(from: 0, to: good.count, by: 7) {
            #expect(throws: PyTorchCheckpointError.self) { try PyTorchCheckpoint.decode(Array(good[..<cut]), file: "cut.pth") }
        }
        // Single-byte corruptions anywhere in either format: refused or read, never a crash or a
        // huge allocation (deterministic positions and values).
        for name in ["state-legacy.pth", "state-zip.pth"] {
            let bytes = [UInt8](try Data(contentsOf: Self.fixtures.appendingPathComponent(name)))
            var state: UInt64 = 12345
            for _ in 0..<300 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                var copy = bytes
                copy[Int(state >> 33) % copy.count] = UInt8(truncatingIfNeeded: state >> 20)
                _ = try? PyTorchCheckpoint.decode(copy, file: "flip.pth")
            }
        }
    }
}
