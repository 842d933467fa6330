import Testing
import Foundation
@testable import TLTensor

/// A 2-layer MLP written directly on tensors and trained with plain SGD: the end-to-end
/// proof that forward ops, backward rules and accumulation work together.
@Suite struct MLPTrainingTests {
    struct Run { var losses: [Float]; var accuracy: Double }

    static func train(x: Tensor, labels: [Int], hidden: Int, steps: Int, lr: Float, seed: UInt64) throws -> Run {
        var rng = SeededGenerator(seed: seed)
        let inputs = x.shape[1]
        // Xavier-style scales keep tanh units out of saturation at the start.
        var w1 = Tensor.normal([inputs, hidden], std: (2 / Float(inputs + hidden)).squareRoot() * 2, using: &rng).requiringGrad()
        var b1 = Tensor.zeros([hidden]).requiringGrad()
        var w2 = Tensor.normal([hidden, 2], std: (2 / Float(hidden + 2)).squareRoot(), using: &rng).requiringGrad()
        var b2 = Tensor.zeros([2]).requiringGrad()
        var onehot = Tensor.zeros([labels.count, 2])
        for (i, l) in labels.enumerated() { onehot.scalars[i * 2 + l] = 1 }
        var losses: [Float] = []
        for _ in 0..<steps {
            let h = try (x.matmul(w1) + b1).tanh()
            let logits = try h.matmul(w2) + b2
            let loss = try -(logits.logSoftmax() * onehot).sum(axis: 1).mean()
            losses.append(loss.scalars[0])
            try loss.backward()
            func step(_ t: inout Tensor) throws {
                let g = t.grad!
                let updated = try t.detached() - g * lr
                t = updated.requiringGrad()
            }
            try step(&w1); try step(&b1); try step(&w2); try step(&b2)
        }
        let logits = try withNoGrad { try (x.matmul(w1) + b1).tanh().matmul(w2) + b2 }
        let predicted = try logits.argmax(axis: 1)
        let correct = zip(predicted, labels).filter { $0 == $1 }.count
        return Run(losses: losses, accuracy: Double(correct) / Double(labels.count))
    }

    @Test func learnsXORReproducibly() throws {
        let x = try Tensor([0, 0, 0, 1, 1, 0, 1, 1], shape: [4, 2])
        let labels = [0, 1, 1, 0]
        let first = try Self.train(x: x, labels: labels, hidden: 8, steps: 500, lr: 0.5, seed: 1)
        #expect(first.accuracy == 1.0)
        #expect(first.losses.last! < 0.05)
        let second = try Self.train(x: x, labels: labels, hidden: 8, steps: 500, lr: 0.5, seed: 1)
        #expect(first.losses.map(\.bitPattern) == second.losses.map(\.bitPattern))
    }

    @Test func learnsTwoSpirals() throws {
        // Two interleaved spirals, 100 points each: not linearly separable at all.
        var points: [Float] = [], labels: [Int] = []
        for cls in 0..<2 {
            for i in 0..<100 {
                let t = Float(i) / 100 * 3 * .pi
                let r = 0.2 + t / (3 * .pi)
                let angle = t + Float(cls) * .pi
                points += [r * Foundation.cos(angle), r * Foundation.sin(angle)]
                labels.append(cls)
            }
        }
        let x = try Tensor(points, shape: [200, 2]) * 3
        let run = try Self.train(x: x, labels: labels, hidden: 64, steps: 15000, lr: 1.0, seed: 3)
        #expect(run.accuracy == 1.0, "two-spirals training accuracy \(run.accuracy), final loss \(run.losses.last!)")
    }
}
