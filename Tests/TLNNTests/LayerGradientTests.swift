import Foundation
import Testing
@testable import TLTensor
@testable import TLNN

/// Finite-difference checks of every layer's input and parameter gradients.
@Suite struct LayerGradientTests {
    func expectPasses(_ r: GradientCheck.Result, _ name: String) { #expect(r.passed, "\(name): \(r)") }

    @Test func linear() throws {
        var rng = SeededGenerator(seed: 1)
        let layer = try Linear(inFeatures: 5, outFeatures: 3, rng: &rng)
        expectPasses(try checkGradients("linear", inputs: [sample([4, 5], seed: 2)], params: [layer.weight, layer.bias!]) {
            try layer($0[0])
        }, "Linear 2-D")
        expectPasses(try checkGradients("linear", inputs: [sample([2, 3, 5], seed: 3)], params: [layer.weight]) {
            try layer($0[0])
        }, "Linear 3-D")
        let noBias = try Linear(inFeatures: 5, outFeatures: 2, bias: false, rng: &rng)
        #expect(noBias.parameters().count == 1)
        #expect(throws: ModuleError.self) { try layer(sample([4, 4], seed: 1)) }
    }

    @Test func conv2DLayer() throws {
        var rng = SeededGenerator(seed: 4)
        let conv = try Conv2D(inChannels: 3, outChannels: 4, kernelSize: 3, stride: 2, padding: .explicit(height: 1, width: 1), rng: &rng)
        #expect(conv.weight.shape == [4, 3, 3, 3])
        expectPasses(try checkGradients("conv", inputs: [sample([2, 7, 5, 3], seed: 5)], params: [conv.weight, conv.bias!]) {
            try conv($0[0])
        }, "Conv2D stride 2 pad 1")
        let same = try Conv2D(inChannels: 2, outChannels: 2, kernelSize: (2, 3), padding: .same, rng: &rng)
        let y = try same(sample([1, 5, 6, 2], seed: 6))
        #expect(y.shape == [1, 5, 6, 2])
        expectPasses(try checkGradients("conv same", inputs: [sample([1, 5, 6, 2], seed: 7)], params: [same.weight]) {
            try same($0[0])
        }, "Conv2D same, even kernel")
        #expect(throws: ModuleError.self) { try Conv2D(inChannels: 1, outChannels: 1, kernelSize: 3, stride: 2, padding: .same, rng: &rng) }
    }

    @Test func batchNormTrainMode() throws {
        let bn1 = try BatchNorm(featureCount: 3)
        try bn1.weight.assign(sample([3], seed: 1, low: 0.5, high: 1.5))
        try bn1.bias.assign(sample([3], seed: 2))
        expectPasses(try checkGradients("bn1d", inputs: [sample([6, 3], seed: 3)], params: [bn1.weight, bn1.bias]) {
            try bn1($0[0])
        }, "BatchNorm 1-D train")
        let bn2 = try BatchNorm(featureCount: 2)
        expectPasses(try checkGradients("bn2d", inputs: [sample([2, 3, 3, 2], seed: 4)], params: [bn2.weight, bn2.bias]) {
            try bn2($0[0])
        }, "BatchNorm 2-D train")
        bn2.eval()
        expectPasses(try checkGradients("bn2d eval", inputs: [sample([2, 3, 3, 2], seed: 5)], params: [bn2.weight, bn2.bias]) {
            try bn2($0[0])
        }, "BatchNorm 2-D eval")
    }

    @Test func batchNormStatistics() throws {
        let bn = try BatchNorm(featureCount: 2, momentum: 0.1)
        let x = try Tensor([1, 10, 3, 20, 5, 30, 7, 40], shape: [4, 2])
        let y = try bn(x)
        // Batch statistics: channel 0 mean 4, biased var 5 → normalised (x − 4)/√(5 + 1e-5).
        #expect(Swift.abs(y.scalars[0] - (-3 / (5 + 1e-5 as Float).squareRoot())) < 1e-5)
        // Running: 0.9·0 + 0.1·4 = 0.4; var 0.9·1 + 0.1·(20/3) (unbiased).
        #expect(Swift.abs(bn.runningMean.value.scalars[0] - 0.4) < 1e-6)
        #expect(Swift.abs(bn.runningVar.value.scalars[0] - (0.9 + 0.1 * 20.0 / 3.0)) < 1e-5)
        #expect(bn.numBatchesTracked.value.scalars == [1])
        // Eval uses running statistics and does not update them.
        bn.eval()
        let before = bn.runningMean.value
        let z = try bn(x)
        #expect(bn.runningMean.value == before)
        #expect(Swift.abs(z.scalars[0] - (1 - 0.4) / (bn.runningVar.value.scalars[0] + 1e-5).squareRoot()) < 1e-5)
        // Frozen in train mode: running statistics used and not updated.
        bn.train()
        try bn.freeze(.all)
        let frozenOut = try bn(x)
        #expect(frozenOut == z)
        #expect(bn.runningMean.value == before && bn.numBatchesTracked.value.scalars == [1])
        #expect(throws: ModuleError.self) { try bn.unfreeze(.all); _ = try bn(Tensor.zeros([1, 2])) }
    }

    @Test func layerNorm() throws {
        let ln = try LayerNorm(featureCount: 6, epsilon: 1e-12)
        try ln.weight.assign(sample([6], seed: 1, low: 0.5, high: 1.5))
        try ln.bias.assign(sample([6], seed: 2))
        expectPasses(try checkGradients("ln", inputs: [sample([2, 3, 6], seed: 3)], params: [ln.weight, ln.bias]) {
            try ln($0[0])
        }, "LayerNorm")
        let y = try withNoGrad { try LayerNorm(featureCount: 6)(sample([4, 6], seed: 9)) }
        for r in 0..<4 {
            let row = Array(y.scalars[(r * 6)..<(r * 6 + 6)])
            #expect(Swift.abs(row.reduce(0, +) / 6) < 1e-5)
        }
    }

    @Test func embedding() throws {
        var rng = SeededGenerator(seed: 3)
        let e = try Embedding(count: 7, dimension: 4, rng: &rng)
        let ids = [3, 0, 3, 6, 1, 2]
        expectPasses(try checkGradients("emb", inputs: [], params: [e.weight]) { _ in try e(ids, shape: [2, 3]) }, "Embedding")
        #expect(try e(ids, shape: [2, 3]).shape == [2, 3, 4])
        #expect(throws: ModuleError.self) { try e([7], shape: [1]) }
        #expect(throws: ModuleError.self) { try e([1, 2], shape: [3]) }
    }

    @Test func attentionWithPaddingMask() throws {
        var rng = SeededGenerator(seed: 5)
        let mha = try MultiHeadAttention(hiddenSize: 6, headCount: 2, rng: &rng)
        let mask = try Tensor([1, 1, 1, 0, 1, 1, 0, 0], shape: [2, 4])
        let params = [mha.query.weight, mha.query.bias!, mha.key.weight, mha.value.weight, mha.output.weight, mha.output.bias!]
        expectPasses(try checkGradients("mha", inputs: [sample([2, 4, 6], seed: 6)], params: params) {
            try mha($0[0], attentionMask: mask)
        }, "MultiHeadAttention masked")
        #expect(throws: ModuleError.self) { try MultiHeadAttention(hiddenSize: 6, headCount: 4, rng: &rng) }
    }

    @Test func transformerBlocks() throws {
        for preNorm in [false, true] {
            var rng = SeededGenerator(seed: 8)
            let block = try TransformerEncoderBlock(hiddenSize: 4, headCount: 2, intermediateSize: 8,
                                                    dropout: 0, attentionDropout: 0, preNorm: preNorm, rng: &rng)
            let mask = try Tensor([1, 1, 0, 1, 1, 1], shape: [2, 3])
            let params = [block.attention.value.weight, block.intermediate.weight, block.output.bias!, block.attentionNorm.weight]
            expectPasses(try checkGradients("block", inputs: [sample([2, 3, 4], seed: 9)], params: params, tolerance: 2e-2) {
                try block($0[0], attentionMask: mask)
            }, "TransformerEncoderBlock preNorm \(preNorm)")
        }
    }

    @Test func activationsAndDropout() throws {
        let x = sample([3, 5], seed: 1, low: -2, high: 2)
        for layer in [GELU(), Tanh(), Sigmoid(), Softmax()] as [Layer] {
            expectPasses(try GradientCheck.check([x]) { try layer($0[0]) }, "\(type(of: layer))")
        }
        #expect(try ReLU()(x) == x.relu())
        var rng = SeededGenerator(seed: 2)
        let drop = try Dropout(probability: 0.5, rng: &rng)
        let ones = Tensor.ones([1000])
        let y = try drop(ones)
        let kept = y.scalars.filter { $0 != 0 }
        #expect(kept.allSatisfy { $0 == 2 } && kept.count > 400 && kept.count < 600)
        drop.eval()
        #expect(try drop(ones) == ones)
        #expect(throws: ModuleError.self) { try Dropout(probability: 1.5, rng: &rng) }
    }

    @Test func losses() throws {
        let logits = sample([4, 5], seed: 3, low: -3, high: 3)
        let labels = [0, 4, 2, 2]
        for (smoothing, weights) in [(Float(0), nil), (0.1, [1, 2, 0.5, 1, 3] as [Float]?)] {
            for reduction in [LossReduction.mean, .sum, .none] {
                expectPasses(try GradientCheck.check([logits]) {
                    try Loss.crossEntropy(logits: $0[0], labels: labels, labelSmoothing: smoothing,
                                          classWeights: weights, reduction: reduction)
                }, "cross-entropy \(smoothing) \(reduction)")
            }
        }
        let targets = sample([3, 4], seed: 5, low: 0, high: 1)
        expectPasses(try GradientCheck.check([sample([3, 4], seed: 6, low: -4, high: 4)]) {
            try Loss.binaryCrossEntropyWithLogits(logits: $0[0], targets: targets)
        }, "bce")
        expectPasses(try GradientCheck.check([sample([3, 4], seed: 6, low: -4, high: 4)]) {
            try Loss.binaryCrossEntropyWithLogits(logits: $0[0], targets: targets, positiveWeight: 3)
        }, "bce pos weight")
        expectPasses(try GradientCheck.check([sample([3, 4], seed: 7), sample([3, 4], seed: 8)]) {
            try Loss.meanSquaredError($0[0], $0[1])
        }, "mse")
    }

    @Test func lossValuesByHand() throws {
        // Cross-entropy with smoothing and weights, PyTorch's formula computed in Double.
        let raw: [Float] = [2, -1, 0.5, 0, 3, -2]
        let logits = try Tensor(raw, shape: [2, 3])
        let labels = [2, 1], w: [Double] = [1, 2, 0.5], eps = 0.2
        var total = 0.0, norm = 0.0
        for i in 0..<2 {
            let row = raw[(i * 3)..<(i * 3 + 3)].map(Double.init)
            let m = row.max()!, lse = m + Foundation.log(row.map { Foundation.exp($0 - m) }.reduce(0, +))
            let logp = row.map { $0 - lse }
            total += (1 - eps) * w[labels[i]] * -logp[labels[i]] + eps / 3 * (0..<3).map { w[$0] * -logp[$0] }.reduce(0, +)
            norm += w[labels[i]]
        }
        let ce = try Loss.crossEntropy(logits: logits, labels: labels, labelSmoothing: 0.2, classWeights: w.map(Float.init))
        #expect(Swift.abs(Double(ce.scalars[0]) - total / norm) < 1e-6)
        // Huge logits stay finite.
        // Huge logits stay finite: both rows put 1e4 on the wrong class → loss 1e4 each.
        let big = try Loss.crossEntropy(logits: Tensor([1e4, 0, -1e4, 0], shape: [2, 2]), labels: [1, 0])
        #expect(big.scalars[0].isFinite && Swift.abs(big.scalars[0] - 1e4) < 1e-2)
        let bce = try Loss.binaryCrossEntropyWithLogits(logits: Tensor([1000, -1000, 0]), targets: Tensor([0, 0, 1]),
                                                        reduction: .none)
        #expect(bce.scalars[0] == 1000 && bce.scalars[1] == 0 && Swift.abs(bce.scalars[2] - 0.693_147_2) < 1e-6)
        #expect(throws: ModuleError.self) { try Loss.crossEntropy(logits: logits, labels: [0, 3]) }
        // ignoreIndex: the ignored row adds nothing and leaves the denominator.
        let both = try Loss.crossEntropy(logits: logits, labels: [2, 1], reduction: .none)
        let ignored = try Loss.crossEntropy(logits: logits, labels: [2, -100], ignoreIndex: -100)
        #expect(ignored.scalars[0] == both.scalars[0])
        #expect(try Loss.crossEntropy(logits: logits, labels: [2, -100], ignoreIndex: -100, reduction: .none).scalars[1] == 0)
        #expect(throws: ModuleError.self) { try Loss.meanSquaredError(logits, Tensor.zeros([3, 2])) }
    }
}
