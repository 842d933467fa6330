import Foundation
import Testing
@testable import TLTensor
@testable import TLNN
@testable import TLOptim

/// One parameter [3] with a fixed gradient sequence: every optimizer is checked against its
/// PyTorch formula written out in Double.
final class Holder: Module {
    let p: Parameter
    let q: Parameter
    init(_ p: [Float], _ q: [Float] = [0.5]) {
        self.p = Parameter(Tensor(p)); self.q = Parameter(Tensor(q))
    }
}

let initial: [Float] = [0.5, -1.5, 2.0]
/// Gradients for steps 0, 1, 2, … (deterministic, sign-varying).
func gradient(_ step: Int) -> [Float] { [0.3 - 0.1 * Float(step), -0.7 + 0.25 * Float(step), 1.1 * Float(step % 2 == 0 ? 1 : -1)] }

func runSteps(_ opt: Optimizer, _ p: Parameter, steps: Range<Int>) throws {
    for s in steps {
        try p.value.setGrad(Tensor(gradient(s)))
        try opt.step()
    }
}

func close(_ a: [Float], _ b: [Double], _ tol: Double = 2e-6) -> Bool {
    zip(a, b).allSatisfy { Swift.abs(Double($0) - $1) <= tol * Swift.max(1, Swift.abs($1)) }
}

@Suite struct OptimizerTests {
    @Test func sgdVariantsMatchPyTorchFormulas() throws {
        for (mu, damp, nesterov, wd) in [(0.0, 0.0, false, 0.0), (0.9, 0.0, false, 0.01), (0.9, 0.0, true, 0.05), (0.8, 0.3, false, 0.0)] {
            let h = Holder(initial)
            let opt = try SGD(groups: [ParameterGroup(parameters: [("p", h.p)], learningRate: 0.1, weightDecay: wd)],
                              momentum: mu, dampening: damp, nesterov: nesterov)
            var p = initial.map(Double.init), buf: [Double]? = nil
            for s in 0..<4 {
                try runSteps(opt, h.p, steps: s..<(s + 1))
                var g = zip(gradient(s).map(Double.init), p).map { $0 + wd * $1 }
                if mu != 0 {
                    buf = buf.map { b in zip(b, g).map { mu * $0 + (1 - damp) * $1 } } ?? g
                    g = nesterov ? zip(g, buf!).map { $0 + mu * $1 } : buf!
                }
                p = zip(p, g).map { $0 - 0.1 * $1 }
                #expect(close(h.p.value.scalars, p), "SGD μ \(mu) nesterov \(nesterov) step \(s): \(h.p.value.scalars) vs \(p)")
            }
        }
    }

    @Test func adamAndAdamWMatchPyTorchFormulas() throws {
        for decoupled in [false, true] {
            let (lr, b1, b2, eps, wd) = (0.01, 0.9, 0.999, 1e-8, 0.1)
            let h = Holder(initial)
            let group = ParameterGroup(parameters: [("p", h.p)], learningRate: lr, weightDecay: wd)
            let opt = try Adam(groups: [group], decoupledWeightDecay: decoupled)
            var p = initial.map(Double.init), m = [0.0, 0, 0], v = [0.0, 0, 0]
            for s in 0..<5 {
                try runSteps(opt, h.p, steps: s..<(s + 1))
                var g = gradient(s).map(Double.init)
                if decoupled { p = p.map { $0 * (1 - lr * wd) } } else { g = zip(g, p).map { $0 + wd * $1 } }
                let t = Double(s + 1)
                for i in 0..<3 {
                    m[i] = b1 * m[i] + (1 - b1) * g[i]
                    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                    let denom = v[i].squareRoot() / (1 - pow(b2, t)).squareRoot() + eps
                    p[i] -= lr / (1 - pow(b1, t)) * m[i] / denom
                }
                #expect(close(h.p.value.scalars, p), "\(decoupled ? "AdamW" : "Adam") step \(s): \(h.p.value.scalars) vs \(p)")
            }
        }
    }

    @Test func parameterGroupsUseTheirOwnRates() throws {
        let h = Holder(initial, [1])
        let opt = try SGD(groups: [ParameterGroup(parameters: [("p", h.p)], learningRate: 0.1),
                                   ParameterGroup(parameters: [("q", h.q)], learningRate: 0.01, weightDecay: 0.5)])
        try h.p.value.setGrad(Tensor([1, 1, 1])); try h.q.value.setGrad(Tensor([1]))
        try opt.step()
        #expect(close(h.p.value.scalars, initial.map { Double($0) - 0.1 }))
        #expect(close(h.q.value.scalars, [1 - 0.01 * (1 + 0.5)]))
        // Schedules scale each group's own base rate.
        opt.apply(.step(stepSize: 1, gamma: 0.5), step: 2)
        #expect(opt.groups.map(\.learningRate) == [0.025, 0.0025])
    }

    @Test func gradientClippingByGlobalNorm() throws {
        let h = Holder([0, 0, 0], [0])
        try h.p.value.setGrad(Tensor([3, 0, 0])); try h.q.value.setGrad(Tensor([4]))
        let norm = try clipGradientNorm(h.parameters(), maxNorm: 1)
        #expect(norm == 5)
        let c = 1 / (5 + 1e-6)
        #expect(close(h.p.grad!.scalars, [3 * c, 0, 0]) && close(h.q.grad!.scalars, [4 * c]))
        #expect(try clipGradientNorm(h.parameters(), maxNorm: 10) < 1.0001)   // below the limit: unchanged
        #expect(close(h.q.grad!.scalars, [4 * c]))
    }

    @Test func stateSaveRestoreContinuesIdentically() throws {
        func make(_ kind: Int, _ h: Holder) throws -> Optimizer {
            let groups = [ParameterGroup(parameters: [("p", h.p), ("q", h.q)], learningRate: 0.05, weightDecay: 0.01)]
            switch kind {
            case 0: return try SGD(groups: groups, momentum: 0.9, nesterov: true)
            case 1: return try Adam(groups: groups)
            default: return try Adam.adamW(groups: groups)
            }
        }
        for kind in 0..<3 {
            let a = Holder(initial)
            let optA = try make(kind, a)
            func stepBoth(_ opt: Optimizer, _ h: Holder, _ s: Int) throws {
                try h.q.value.setGrad(Tensor([Float(s) * 0.1 - 0.2]))
                try runSteps(opt, h.p, steps: s..<(s + 1))
            }
            for s in 0..<3 { try stepBoth(optA, a, s) }
            let saved = optA.state(), savedParams = a.stateDictionary()
            for s in 3..<6 { try stepBoth(optA, a, s) }

            let b = Holder([0, 0, 0], [0])
            try b.loadState(savedParams)
            let optB = try make(kind, b)
            try optB.loadState(saved)
            #expect(optB.state() == saved)
            for s in 3..<6 { try stepBoth(optB, b, s) }
            #expect(a.p.value.scalars.map(\.bitPattern) == b.p.value.scalars.map(\.bitPattern), "optimizer \(kind)")
            #expect(a.q.value.scalars.map(\.bitPattern) == b.q.value.scalars.map(\.bitPattern), "optimizer \(kind)")
        }
        // A state with a wrongly shaped buffer is rejected by name.
        let h = Holder(initial)
        let sgd = try SGD(groups: [ParameterGroup(parameters: [("p", h.p)], learningRate: 0.1)], momentum: 0.9)
        var bad = sgd.state()
        bad.tensors["p.momentum_buffer"] = Tensor.zeros([2])
        #expect(throws: OptimizerError.self) { try sgd.loadState(bad) }
    }
}

@Suite struct GroupBuilderTests {
    @Test func layerwiseRatesAndNoDecaySplit() throws {
        let model = try freezingModel(seed: 1)      // blocks 0, 1, 2, pool, head
        try model.freeze("0")
        let groups = try ParameterGroup.layerwise(model, learningRate: 1, decay: 0.5, weightDecay: 0.01)
        // 5 blocks (3 conv blocks, pool, head). Block 0 is frozen → no group; block i gets
        // 0.5^(5 − i): block 1 → 1/16, block 2 → 1/8; the pool has no parameters; head (4) → 1/2.
        #expect(groups.map(\.learningRate) == [0.0625, 0.125, 0.5])
        #expect(groups[0].parameters.allSatisfy { $0.path.hasPrefix("1.") })
        #expect(groups.flatMap(\.parameters).count == model.trainableParameters().count)
        let split = groups[0].excludingWeightDecay(matching: ["*.bias", "*.1.*"])
        #expect(split.count == 2 && split[1].weightDecay == 0 && split[0].weightDecay == 0.01)
        #expect(split[0].parameters.map(\.path) == ["1.0.weight"])
    }
}
