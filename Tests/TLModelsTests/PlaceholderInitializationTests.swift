import Foundation
import Testing
@testable import TLModels
import TLSafeTensors
import TLTensor
import TLNN
import TLTestSupport

/// `Checkpoint.decode` builds the blocks it is about to load from placeholders (zeros, the
/// generator advanced without computing values). Everything a caller can observe must be what
/// the full random initialisation gave: the loaded values, a replaced head's fresh values, the
/// dropout streams and the caller's generator afterwards.
@Suite struct PlaceholderInitializationTests {
    static let spec = """
        { "name": "tiny-encoder", "input": { "tokens": 6 },
          "blocks": [
            { "name": "embeddings", "layers": [ { "type": "embedding", "vocab": "vocab", "dim": 8, "max_length": 6, "dropout": 0.25 } ] },
            { "name": "layer", "layers": [ { "type": "encoder", "heads": 2, "ffn": 16, "dropout": 0.1 } ] },
            { "name": "pool", "layers": [ { "type": "pool", "mode": "mean" } ] },
            { "name": "head", "layers": [ { "type": "linear", "out": 12 }, { "type": "relu" }, { "type": "linear", "out": "classes" } ] } ] }
        """

    /// Every count and spare-deviate state: skipping leaves the generator exactly where drawing does.
    @Test func skippingDrawsMatchesDrawing() {
        for count in [0, 1, 2, 3, 7, 64, 1001] {
            for spare in [false, true] {
                var drawn = SeededGenerator(seed: UInt64(count) + 11), skipped = drawn
                if spare { _ = drawn.nextNormal(); _ = skipped.nextNormal() }   // leaves a cached deviate
                for _ in 0..<count { _ = drawn.nextNormal() }
                skipped.skipNormals(count)
                #expect(skipped.fullState == drawn.fullState, "normals \(count), spare \(spare)")
                #expect(skipped.nextNormal() == drawn.nextNormal())
                for _ in 0..<count { _ = drawn.nextUniform() }
                skipped.skipUniforms(count)
                #expect(skipped.fullState == drawn.fullState, "uniforms \(count), spare \(spare)")
            }
        }
    }

    @Test func placeholderTensorsAreZerosAndAdvanceTheGenerator() {
        var real = SeededGenerator(seed: 5), placeholder = real
        let t = Tensor.normal([3, 5], using: &real)
        let u = Tensor.uniform([7], using: &real)
        let (pt, pu) = Tensor.$placeholderInitialization.withValue(true) {
            (Tensor.normal([3, 5], using: &placeholder), Tensor.uniform([7], using: &placeholder))
        }
        #expect(pt.shape == t.shape && pu.shape == u.shape)
        #expect(pt.scalars.allSatisfy { $0 == 0 } && pu.scalars.allSatisfy { $0 == 0 })
        #expect(placeholder.fullState == real.fullState)
        #expect(t.scalars.contains { $0 != 0 })
    }

    @Test func decodeMatchesAFullInitialisation() throws {
        let (url, folder, model) = try CheckpointDiskLoadTests.writtenModel("placeholder-init")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = try SafeTensorsFile.read(from: url)

        for (classes, dropHead) in [(2, false), (3, true)] {
            var fast = SeededGenerator(seed: 77), full = fast
            let a = try Checkpoint.decode(file, path: url.path, classCount: classes, dropHead: dropHead, rng: &fast)
            let b = try Checkpoint.decode(file, path: url.path, classCount: classes, dropHead: dropHead,
                                          placeholderInitialization: false, rng: &full)
            #expect(fast.fullState == full.fullState, "dropHead \(dropHead)")
            let sa = a.model.namedState(), sb = b.model.namedState()
            #expect(sa.map(\.name) == sb.map(\.name))
            for (x, y) in zip(sa, sb) { #expect(x.tensor.scalars == y.tensor.scalars, "\(x.name), dropHead \(dropHead)") }
            #expect(a.model.namedRandomStates() == b.model.namedRandomStates())
            #expect(!a.model.namedRandomStates().isEmpty)
            // The replaced head is freshly drawn (not zeros); the rest is the stored model's.
            let headPrefix = a.model.pathPrefix(ofBlock: a.model.headIndex)
            let head = sa.filter { $0.name.hasPrefix(headPrefix) && $0.name.hasSuffix("weight") }
            #expect(!head.isEmpty && head.allSatisfy { $0.tensor.scalars.contains { $0 != 0 } })
            let stored = Dictionary(uniqueKeysWithValues: model.namedState().map { ($0.name, $0.tensor.scalars) })
            for s in sa where !(dropHead && s.name.hasPrefix(headPrefix)) { #expect(s.tensor.scalars == stored[s.name], "\(s.name)") }
        }
    }
}
