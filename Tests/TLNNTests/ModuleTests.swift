import Testing
@testable import TLTensor
@testable import TLNN

/// A small model exercising discovery: a Sequential of blocks, an optional child, an array
/// property and a stored non-module array that must be ignored.
final class TinyBlock: Layer {
    let linear: Linear
    let norm: BatchNorm
    init(_ width: Int, rng: inout SeededGenerator) throws {
        linear = try Linear(inFeatures: width, outFeatures: width, rng: &rng)
        norm = try BatchNorm(featureCount: width)
    }
    override func forward(_ x: Tensor) throws -> Tensor { try norm(linear(x)).relu() }
}

final class TinyModel: Layer {
    let blocks: Sequential
    let head: Linear
    let extra: Linear?
    let missing: Linear? = nil
    let towers: [Linear]
    let notState: [Float] = [1, 2, 3]
    init(seed: UInt64 = 1, width: Int = 4, blockCount: Int = 3) throws {
        var rng = SeededGenerator(seed: seed)
        blocks = Sequential(try (0..<blockCount).map { _ in try TinyBlock(width, rng: &rng) })
        head = try Linear(inFeatures: width, outFeatures: 2, rng: &rng)
        extra = try Linear(inFeatures: 1, outFeatures: 1, bias: false, rng: &rng)
        towers = [try Linear(inFeatures: 1, outFeatures: 1, bias: false, rng: &rng)]
    }
    override func forward(_ x: Tensor) throws -> Tensor { try head(blocks(x)) }
}

@Suite struct ModuleTests {
    @Test func discoversParametersWithStablePaths() throws {
        let m = try TinyModel()
        let paths = m.namedParameters().map(\.path)
        #expect(paths == ["blocks.0.linear.weight", "blocks.0.linear.bias", "blocks.0.norm.weight", "blocks.0.norm.bias",
                          "blocks.1.linear.weight", "blocks.1.linear.bias", "blocks.1.norm.weight", "blocks.1.norm.bias",
                          "blocks.2.linear.weight", "blocks.2.linear.bias", "blocks.2.norm.weight", "blocks.2.norm.bias",
                          "head.weight", "head.bias", "extra.weight", "towers.0.weight"])
        #expect(m.namedBuffers().map(\.path).prefix(3) == ["blocks.0.norm.runningMean", "blocks.0.norm.runningVar",
                                                          "blocks.0.norm.numBatchesTracked"])
        #expect(m.namedBuffers().count == 9)
        #expect(try m.orderedBlocks().map(\.path) == ["blocks.0", "blocks.1", "blocks.2"])
        #expect(try TinyModel().namedParameters().map(\.path) == paths)  // stable across instances
    }

    @Test func trainEvalIsSeparateFromFreezing() throws {
        let m = try TinyModel()
        m.eval()
        #expect(m.namedModules().allSatisfy { !$0.module.isTraining })
        m.train()
        try m.freeze(.all)
        #expect(m.namedModules().allSatisfy { $0.module.isTraining })
        #expect(m.trainableParameters().isEmpty && m.isFrozen)
    }

    @Test func selectors() throws {
        let m = try TinyModel()
        #expect(try m.freeze(ParameterSelector.parse("0..1")) == 8)
        #expect(m.namedTrainableParameters().map(\.path).first == "blocks.2.linear.weight")
        try m.unfreeze(.all)
        #expect(try m.freeze("*.bias") == 7)
        #expect(m.namedParameters().filter { $0.parameter.isFrozen }.allSatisfy { $0.path.hasSuffix(".bias") })
        try m.unfreeze(.all)
        #expect(try m.freeze("blocks.*.norm.*") == 6)
        try m.unfreeze(.all)
        #expect(try m.freeze("blocks.1") == 4)          // a module path selects its subtree
        try m.unfreeze(.all)
        #expect(try m.freeze("2..") == 4)
        #expect(try m.freeze("..<1") == 4)
        #expect(try ParameterSelector.parse("1..3") == .blocks(from: 1, through: 3))
        #expect(try ParameterSelector.parse("1..<3") == .blocks(from: 1, through: 2))
        #expect(throws: ModuleError.self) { try ParameterSelector.parse("3..1") }
    }

    @Test func selectorErrors() throws {
        let m = try TinyModel()
        do {
            try m.freeze("blocks.*.atention.*")
            Issue.record("expected an error")
        } catch let error as ModuleError {
            guard case let .noMatch(pattern, nearest) = error else { Issue.record("wrong error \(error)"); return }
            #expect(pattern == "blocks.*.atention.*")
            #expect(nearest.count == 5)
            #expect(error.description.contains("blocks.*.atention.*") && error.description.contains("nearest valid paths"))
        }
        do {
            try m.freeze("hed.weight")
            Issue.record("expected an error")
        } catch let error as ModuleError {
            guard case let .noMatch(_, nearest) = error else { Issue.record("wrong error"); return }
            #expect(nearest.first == "head.weight")
        }
        #expect(throws: ModuleError.blockOutOfRange(requested: "2..3", blockCount: 3)) { try m.freeze("2..3") }
        #expect(throws: ModuleError.self) { try m.freeze("5") }
        #expect(throws: ModuleError.self) { try Linear(inFeatures: 2, outFeatures: 2, rng: &SeededGenerator.scratch).freeze("0") }
        #expect(m.trainableParameters().count == 16)   // failed selections changed nothing
    }

    @Test func frozenPrefixRecordsNoGraph() throws {
        let m = try TinyModel()
        try m.freeze("0..1")
        let x = sample([5, 4], seed: 3)
        let afterPrefix = try m.blocks[1](m.blocks[0](x))
        #expect(!afterPrefix.requiresGrad)
        let loss = try Loss.crossEntropy(logits: m(x), labels: [0, 1, 0, 1, 1])
        try loss.backward()
        for (path, p) in m.namedParameters() {
            if path.hasPrefix("blocks.0.") || path.hasPrefix("blocks.1.") {
                #expect(p.grad == nil, "\(path)")
                #expect(!p.value.requiresGrad)
            } else if path.hasPrefix("blocks.2.") || path.hasPrefix("head.") {
                #expect(p.grad != nil, "\(path)")
            }
        }
        // Frozen BatchNorms used running statistics, so their counters did not move.
        #expect(m.blocks[0].namedBuffers().first { $0.path == "norm.numBatchesTracked" }!.buffer.value.scalars == [0])
        #expect((m.blocks[2] as! TinyBlock).norm.numBatchesTracked.value.scalars == [1])
    }

    @Test func stateRoundTrip() throws {
        let a = try TinyModel(seed: 1), b = try TinyModel(seed: 2)
        _ = try a(sample([4, 4], seed: 1))                 // moves BatchNorm running stats
        try b.freeze("0")
        try b.loadState(a.stateDictionary())
        #expect(b.namedState().map(\.name) == a.namedState().map(\.name))
        for (x, y) in zip(a.namedState(), b.namedState()) { #expect(x.tensor == y.tensor, "\(x.name)") }
        #expect(b.blocks[0].isFrozen && b.head.weight.value.isLeaf)   // freeze state and leaves kept

        var state = a.stateDictionary()
        state["head.weight"] = Tensor.zeros([3, 4])
        state.removeValue(forKey: "head.bias")
        state["bogus"] = Tensor.zeros([1])
        let before = b.namedState().map(\.tensor)
        do {
            try b.loadState(state)
            Issue.record("expected an error")
        } catch let error as ModuleError {
            #expect(error == .stateMismatch(missing: ["head.bias"], unexpected: ["bogus"],
                                            shapeMismatches: ["head.weight expected [2, 4], got [3, 4]"]))
        }
        #expect(b.namedState().map(\.tensor) == before)   // nothing changed
        state["head.weight"] = Tensor.zeros([2, 4])
        let report = try b.loadState(state, strict: false)
        #expect(report.missing == ["head.bias"] && report.unexpected == ["bogus"])
        #expect(b.head.weight.value == Tensor.zeros([2, 4]))
    }

    @Test func bertLayoutMapsToHuggingFaceNames() throws {
        var rng = SeededGenerator(seed: 3)
        let config = BertConfig(vocabSize: 20, hiddenSize: 8, layerCount: 2, headCount: 2, intermediateSize: 16,
                                maxPositions: 10, hasPooler: true)
        let bert = try BertModel(config: config, rng: &rng)
        let names = Set(bert.namedParameters().map { BertModel.huggingFaceName(forPath: $0.path) })
        var expected: Set<String> = ["embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
                                     "embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.weight",
                                     "embeddings.LayerNorm.bias", "pooler.dense.weight", "pooler.dense.bias"]
        for l in 0..<2 {
            for part in ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
                         "attention.output.LayerNorm", "intermediate.dense", "output.dense", "output.LayerNorm"] {
                expected.insert("encoder.layer.\(l).\(part).weight"); expected.insert("encoder.layer.\(l).\(part).bias")
            }
        }
        #expect(names == expected)
        #expect(bert.path(forHuggingFaceName: "bert.encoder.layer.1.attention.output.LayerNorm.gamma") == "encoder.layers.1.attentionNorm.weight")
        #expect(bert.path(forHuggingFaceName: "embeddings.position_ids") == nil)
        #expect(bert.encoder.layers[0].intermediate.weight.shape == [16, 8])
        #expect(try bert.orderedBlocks().map(\.path) == ["embeddings", "encoder.layers.0", "encoder.layers.1"])
        bert.eval()
        let h = try bert.forward(tokenIDs: [1, 5, 7, 0, 2, 3], shape: [2, 3], attentionMask: Tensor([1, 1, 1, 1, 1, 0], shape: [2, 3]))
        #expect(h.shape == [2, 3, 8])
        #expect(try bert.pooled(h).shape == [2, 8])
        #expect(try BertModel.meanPooled(h, attentionMask: Tensor([1, 1, 1, 1, 1, 0], shape: [2, 3])).shape == [2, 8])
        #expect(BertConfig.miniLML6.hiddenSize == 384 && BertConfig.miniLML6.layerNormEpsilon == 1e-12)
    }

    @Test func initializers() throws {
        var rng = SeededGenerator(seed: 4)
        #expect(Init.fans([16, 3, 5, 8]) == (fanIn: 120, fanOut: 240))
        #expect(Init.fans([10, 20]) == (fanIn: 20, fanOut: 10))
        let ku = Init.kaimingUniform([64, 100], using: &rng)
        let bound = (2 as Float).squareRoot() * (3 / 100 as Float).squareRoot()
        #expect(ku.scalars.allSatisfy { Swift.abs($0) <= bound } && ku.scalars.contains { Swift.abs($0) > 0.9 * bound })
        let kn = Init.kaimingNormal([200, 100], using: &rng)
        let std = (kn.scalars.map { $0 * $0 }.reduce(0, +) / Float(kn.count)).squareRoot()
        #expect(Swift.abs(std - (2 / 100 as Float).squareRoot()) < 0.01)
        let xu = Init.xavierUniform([30, 50], using: &rng)
        #expect(xu.scalars.allSatisfy { Swift.abs($0) <= (6 / 80 as Float).squareRoot() })
        let xn = Init.xavierNormal([300, 100], gain: 2, using: &rng)
        let xs = (xn.scalars.map { $0 * $0 }.reduce(0, +) / Float(xn.count)).squareRoot()
        #expect(Swift.abs(xs - 2 * (2 / 400 as Float).squareRoot()) < 0.005)
        var a = SeededGenerator(seed: 9), b = SeededGenerator(seed: 9)
        #expect(try Linear(inFeatures: 3, outFeatures: 2, rng: &a).weight.value == Linear(inFeatures: 3, outFeatures: 2, rng: &b).weight.value)
    }
}

extension SeededGenerator {
    /// A throwaway generator for tests that need one inline.
    nonisolated(unsafe) static var scratch = SeededGenerator(seed: 0)
}

@Suite struct RandomStateTests {
    @Test func dropoutStreamsResumeExactly() throws {
        var rng = SeededGenerator(seed: 1)
        let model = Sequential(try Dropout(probability: 0.5, rng: &rng), try Linear(inFeatures: 8, outFeatures: 8, rng: &rng),
                               try Dropout(probability: 0.3, rng: &rng))
        let x = Tensor.ones([4, 8])
        _ = try model(x)
        let saved = model.namedRandomStates()
        #expect(Set(saved.keys) == ["0", "2"])
        let first = try model(x)
        try model.loadRandomStates(saved)
        #expect(try model(x) == first)
        #expect(throws: ModuleError.self) { try model.loadRandomStates(["0": saved["0"]!]) }
    }
}

final class OddContainers: Module {
    let direct: [Parameter] = [Parameter(Tensor([1])), Parameter(Tensor([2]))]
    let nested: [[Linear?]]
    let shared: Parameter
    let alias: Parameter
    let noise: [Int] = Array(0..<1000)
    init(seed: UInt64 = 1) throws {
        var rng = SeededGenerator(seed: 1)
        nested = [[nil, try Linear(inFeatures: 1, outFeatures: 1, bias: false, rng: &rng)]]
        shared = Parameter(Tensor([3]))
        alias = shared
    }
}

@Test func discoversArraysNestedOptionalsAndTiedParameters() throws {
    let m = try OddContainers()
    // A module's own parameters come before its children's (as in PyTorch); the tied `alias`
    // is reported once; the [Int] and the nil are ignored.
    #expect(m.namedParameters().map(\.path) == ["direct.0", "direct.1", "shared", "nested.0.1.weight"])
    #expect(ParameterSelector.globMatches("*.weight", "nested.0.1.weight") && !ParameterSelector.globMatches("*.bias", "a.weight"))
}
