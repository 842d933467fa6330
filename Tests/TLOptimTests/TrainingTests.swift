import Testing
@testable import TLTensor
@testable import TLNN
@testable import TLOptim

/// 8×8 one-channel images: class 0 holds a horizontal bar, class 1 a vertical bar, at a
/// random place, with uniform noise. Separable, but only by looking at spatial structure.
func barImages(count: Int, seed: UInt64) -> (Tensor, [Int]) {
    var rng = SeededGenerator(seed: seed)
    var pixels = [Float](repeating: 0, count: count * 64), labels: [Int] = []
    for i in 0..<count {
        let label = i % 2
        let line = rng.nextInt(below: 8), start = rng.nextInt(below: 4)
        for p in 0..<64 { pixels[i * 64 + p] = rng.nextUniform(in: 0, 0.3) }
        for k in start..<(start + 4) {
            let (r, c) = label == 0 ? (line, k) : (k, line)
            pixels[i * 64 + r * 8 + c] += 1
        }
        labels.append(label)
    }
    return (try! Tensor(pixels, shape: [count, 8, 8, 1]), labels)
}

/// Length-5 sequences over 8 tokens; label 1 when non-decreasing. Half are generated sorted.
func sortedSequences(count: Int, seed: UInt64) -> ([Int], [Int]) {
    var rng = SeededGenerator(seed: seed)
    var ids: [Int] = [], labels: [Int] = []
    for i in 0..<count {
        var s = (0..<5).map { _ in rng.nextInt(below: 8) }
        if i % 2 == 0 { s.sort() }
        ids += s
        labels.append(zip(s, s.dropFirst()).allSatisfy { $0 <= $1 } ? 1 : 0)
    }
    return (ids, labels)
}

final class TinyTransformer: Module {
    let tokens: Embedding
    let positions: Embedding
    let encoder: TransformerEncoder
    let head: Linear
    init(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        tokens = try Embedding(count: 8, dimension: 16, rng: &rng)
        positions = try Embedding(count: 5, dimension: 16, rng: &rng)
        encoder = TransformerEncoder(layers: try (0..<2).map { _ in
            try TransformerEncoderBlock(hiddenSize: 16, headCount: 2, intermediateSize: 32, dropout: 0.1,
                                        attentionDropout: 0, layerNormEpsilon: 1e-5, rng: &rng)
        })
        head = try Linear(inFeatures: 16, outFeatures: 2, rng: &rng)
    }
    // ids: [N·5] → logits [N, 2]
    func callAsFunction(_ ids: [Int], batch: Int) throws -> Tensor {
        let x = try tokens(ids, shape: [batch, 5]) + positions(Array(0..<5), shape: [1, 5])
        return try head(encoder(x).mean(axis: 1))
    }
}

@Suite struct TrainingTests {
    static func trainCNN(seed: UInt64) throws -> (losses: [Float], accuracy: Double) {
        var rng = SeededGenerator(seed: seed)
        let model = Sequential(
            try Conv2D(inChannels: 1, outChannels: 6, kernelSize: 3, padding: .same, rng: &rng),
            try BatchNorm(featureCount: 6), ReLU(), MaxPool2D(kernelSize: 2),
            try Conv2D(inChannels: 6, outChannels: 8, kernelSize: 3, rng: &rng), ReLU(),
            GlobalAvgPool(), try Linear(inFeatures: 8, outFeatures: 2, rng: &rng))
        let (x, y) = barImages(count: 256, seed: seed)
        let opt = try Adam(model, learningRate: 0.02)
        var losses: [Float] = []
        for step in 0..<60 {
            let start = (step * 32) % 256
            let xb = try x.sliced(axis: 0, start..<(start + 32)), yb = Array(y[start..<(start + 32)])
            opt.zeroGrad()
            let loss = try Loss.crossEntropy(logits: model(xb), labels: yb)
            try loss.backward()
            try opt.step()
            losses.append(loss.scalars[0])
        }
        model.eval()
        let (tx, ty) = barImages(count: 128, seed: seed + 1000)
        let predicted = try withNoGrad { try model(tx) }.argmax(axis: 1)
        return (losses, Double(zip(predicted, ty).filter { $0 == $1 }.count) / Double(ty.count))
    }

    @Test func cnnLearnsBarOrientationReproducibly() throws {
        let a = try Self.trainCNN(seed: 5)
        #expect(a.accuracy >= 0.95, "held-out accuracy \(a.accuracy), losses \(a.losses.first!) → \(a.losses.last!)")
        #expect(a.losses.suffix(5).reduce(0, +) / 5 < 0.3 * a.losses[0])
        let b = try Self.trainCNN(seed: 5)
        #expect(a.losses.map(\.bitPattern) == b.losses.map(\.bitPattern))
    }

    static func trainTransformer(seed: UInt64) throws -> (losses: [Float], accuracy: Double) {
        let model = try TinyTransformer(seed: seed)
        let (ids, labels) = sortedSequences(count: 2048, seed: seed)
        let opt = try Adam.adamW(model, learningRate: 3e-3, weightDecay: 0.01)
        let schedule = LearningRateSchedule.warmup(steps: 20, startFactor: 0.1, then: .cosine(totalSteps: 280, minimumFactor: 0.1))
        var losses: [Float] = []
        let batch = 32
        for step in 0..<300 {
            let start = (step * batch) % 2048
            opt.apply(schedule, step: step)
            opt.zeroGrad()
            let loss = try Loss.crossEntropy(logits: model(Array(ids[(start * 5)..<((start + batch) * 5)]), batch: batch),
                                             labels: Array(labels[start..<(start + batch)]))
            try loss.backward()
            try clipGradientNorm(model.trainableParameters(), maxNorm: 1)
            try opt.step()
            losses.append(loss.scalars[0])
        }
        model.eval()
        let (tids, tlabels) = sortedSequences(count: 512, seed: seed + 99)
        let predicted = try withNoGrad { try model(tids, batch: 512) }.argmax(axis: 1)
        return (losses, Double(zip(predicted, tlabels).filter { $0 == $1 }.count) / Double(tlabels.count))
    }

    @Test func transformerLearnsSortednessReproducibly() throws {
        let a = try Self.trainTransformer(seed: 11)
        #expect(a.accuracy >= 0.9, "held-out accuracy \(a.accuracy), losses \(a.losses.first!) → \(a.losses.last!)")
        let b = try Self.trainTransformer(seed: 11)
        #expect(a.losses.map(\.bitPattern) == b.losses.map(\.bitPattern))
    }
}

/// Variable-length (3…6) sequences over tokens 1…8, padded with 0 to length 6; label 1 when
/// the real tokens are non-decreasing. Exercises the padding mask end to end.
func paddedSortedSequences(count: Int, seed: UInt64) -> (ids: [Int], mask: [Float], labels: [Int]) {
    var rng = SeededGenerator(seed: seed)
    var ids: [Int] = [], mask: [Float] = [], labels: [Int] = []
    for i in 0..<count {
        let length = 3 + rng.nextInt(below: 4)
        var s = (0..<length).map { _ in 1 + rng.nextInt(below: 8) }
        if i % 2 == 0 { s.sort() }
        ids += s + [Int](repeating: 0, count: 6 - length)
        mask += [Float](repeating: 1, count: length) + [Float](repeating: 0, count: 6 - length)
        labels.append(zip(s, s.dropFirst()).allSatisfy { $0 <= $1 } ? 1 : 0)
    }
    return (ids, mask, labels)
}

extension TrainingTests {
    static func trainBert(seed: UInt64) throws -> (losses: [Float], accuracy: Double) {
        var rng = SeededGenerator(seed: seed)
        let config = BertConfig(vocabSize: 9, hiddenSize: 16, layerCount: 2, headCount: 2, intermediateSize: 32,
                                maxPositions: 6, hiddenDropout: 0, attentionDropout: 0, initializerRange: 0.1)
        let bert = try BertModel(config: config, rng: &rng)
        let head = try Linear(inFeatures: 16, outFeatures: 2, rng: &rng)
        let data = paddedSortedSequences(count: 2048, seed: seed)
        let groups = try ParameterGroup.layerwise(bert, learningRate: 3e-3, decay: 0.9, weightDecay: 0.01)
            + [ParameterGroup(trainableParametersOf: head, learningRate: 3e-3)]
        let opt = try Adam.adamW(groups: groups)
        let schedule = LearningRateSchedule.oneCycle(totalSteps: 300, pctStart: 0.2)
        func logits(_ range: Range<Int>) throws -> Tensor {
            let mask = try Tensor(Array(data.mask[(range.lowerBound * 6)..<(range.upperBound * 6)]), shape: [range.count, 6])
            let h = try bert.forward(tokenIDs: Array(data.ids[(range.lowerBound * 6)..<(range.upperBound * 6)]),
                                     shape: [range.count, 6], attentionMask: mask)
            return try head(BertModel.meanPooled(h, attentionMask: mask))
        }
        var losses: [Float] = []
        for step in 0..<300 {
            let start = (step * 32) % 1536
            opt.apply(schedule, step: step)
            opt.zeroGrad()
            let loss = try Loss.crossEntropy(logits: logits(start..<(start + 32)), labels: Array(data.labels[start..<(start + 32)]))
            try loss.backward()
            try opt.step()
            losses.append(loss.scalars[0])
        }
        bert.eval()
        let predicted = try withNoGrad { try logits(1536..<2048) }.argmax(axis: 1)
        return (losses, Double(zip(predicted, data.labels[1536...]).filter { $0 == $1 }.count) / 512)
    }

    @Test func bertLearnsPaddedSortednessReproducibly() throws {
        let a = try Self.trainBert(seed: 3)
        #expect(a.accuracy >= 0.9, "held-out accuracy \(a.accuracy), losses \(a.losses.first!) → \(a.losses.last!)")
        let b = try Self.trainBert(seed: 3)
        #expect(a.losses.map(\.bitPattern) == b.losses.map(\.bitPattern))
    }
}
