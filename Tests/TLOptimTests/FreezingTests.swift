import Testing
@testable import TLTensor
@testable import TLNN
@testable import TLOptim

/// A small CNN with BatchNorm blocks for freezing tests.
func freezingModel(seed: UInt64) throws -> Sequential {
    var rng = SeededGenerator(seed: seed)
    func block(_ cin: Int, _ cout: Int) throws -> Sequential {
        Sequential(try Conv2D(inChannels: cin, outChannels: cout, kernelSize: 3, padding: .same, rng: &rng),
                   try BatchNorm(featureCount: cout), ReLU())
    }
    return Sequential(try block(2, 4), try block(4, 4), try block(4, 4), GlobalAvgPool(),
                      try Linear(inFeatures: 4, outFeatures: 3, rng: &rng))
}

@Suite struct FreezingTests {
    @Test func frozenParametersAndStatisticsNeverChange() throws {
        for kind in 0..<3 {
            let model = try freezingModel(seed: 3)
            try model.freeze("0..1")
            let before = model.stateDictionary()
            let opt: Optimizer
            // Weight decay and momentum everywhere: frozen parameters must still not move.
            switch kind {
            case 0: opt = try SGD(model, learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.1)
            case 1: opt = try Adam(model, learningRate: 0.01, weightDecay: 0.1)
            default: opt = try Adam.adamW(model, learningRate: 0.01, weightDecay: 0.1)
            }
            #expect(opt.groups[0].parameters.allSatisfy { !$0.path.hasPrefix("0.") && !$0.path.hasPrefix("1.") })
            for step in 0..<4 {
                let x = sample([4, 5, 5, 2], seed: UInt64(step))
                opt.zeroGrad()
                try Loss.crossEntropy(logits: model(x), labels: [0, 1, 2, 1]).backward()
                try opt.step()
            }
            let after = model.stateDictionary()
            for (path, value) in before {
                if path.hasPrefix("0.") || path.hasPrefix("1.") {
                    #expect(after[path]!.scalars.map(\.bitPattern) == value.scalars.map(\.bitPattern), "frozen \(path) moved")
                } else if !path.contains("numBatchesTracked") {
                    #expect(after[path]! != value, "trainable \(path) did not move (optimizer \(kind))")
                }
            }
            #expect(after["2.1.numBatchesTracked"]!.scalars == [4])
        }
    }

    @Test func optimizerSkipsParametersFrozenAfterConstruction() throws {
        let model = try freezingModel(seed: 4)
        let opt = try SGD(model, learningRate: 0.1, momentum: 0.9, weightDecay: 0.1)
        let x = sample([2, 4, 4, 2], seed: 9)
        try Loss.crossEntropy(logits: model(x), labels: [0, 2]).backward()
        try opt.step()
        try model.freeze("4.*")                        // freeze the head after a step
        let head = model.stateDictionary().filter { $0.key.hasPrefix("4.") }
        opt.zeroGrad()
        try Loss.crossEntropy(logits: model(x), labels: [0, 2]).backward()
        try opt.step()                                 // momentum would still move it
        for (k, v) in head { #expect(model.stateDictionary()[k] == v, "\(k)") }
    }
}

func sample(_ shape: [Int], seed: UInt64, low: Float = -1, high: Float = 1) -> Tensor {
    var rng = SeededGenerator(seed: seed)
    return Tensor.uniform(shape, low: low, high: high, using: &rng)
}
