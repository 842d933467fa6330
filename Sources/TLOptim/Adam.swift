import Foundation
import TLKernels
import TLNN
import TLTensor

/// Adam and AdamW, exactly PyTorch's `torch.optim.Adam` / `AdamW` (amsgrad off):
///
///     Adam:   g ← grad + wd·p                        (L2 weight decay through the gradient)
///     AdamW:  p ← p·(1 − lr·wd)                      (decoupled weight decay)
///     m ← β₁·m + (1 − β₁)·g;   v ← β₂·v + (1 − β₂)·g²;   t ← t + 1
///     p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
///
/// Bias corrections are computed in Double (as Python floats are); the elementwise update in
/// Float32, in PyTorch's order of operations. Step counts are per parameter, so a parameter
/// unfrozen later starts its own bias correction at t = 1, as in PyTorch.
public final class Adam: Optimizer {
    public var groups: [ParameterGroup]
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    /// Decoupled (AdamW) instead of L2 weight decay.
    public let decoupledWeightDecay: Bool

    /// Per-parameter state; a class so updating it in place never copies the moment arrays.
    private final class Slot {
        var m: [Float], v: [Float], step: Int
        init(m: [Float], v: [Float], step: Int) { self.m = m; self.v = v; self.step = step }
    }
    private var slots: [String: Slot] = [:]

    public init(groups: [ParameterGroup], beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
                decoupledWeightDecay: Bool = false) throws {
        guard (0..<1).contains(beta1), (0..<1).contains(beta2), epsilon >= 0 else {
            throw OptimizerError.invalidHyperparameter("need 0 ≤ β < 1 and ε ≥ 0 (β₁ \(beta1), β₂ \(beta2), ε \(epsilon))")
        }
        self.groups = groups; self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
        self.decoupledWeightDecay = decoupledWeightDecay
    }

    /// Adam over all trainable parameters of `module` (L2 weight decay, default 0).
    public convenience init(_ module: Module, learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
                            epsilon: Double = 1e-8, weightDecay: Double = 0) throws {
        try self.init(groups: [ParameterGroup(trainableParametersOf: module, learningRate: learningRate, weightDecay: weightDecay)],
                      beta1: beta1, beta2: beta2, epsilon: epsilon)
    }

    /// AdamW (decoupled weight decay, PyTorch's default 0.01).
    public static func adamW(groups: [ParameterGroup], beta1: Double = 0.9, beta2: Double = 0.999,
                             epsilon: Double = 1e-8) throws -> Adam {
        try Adam(groups: groups, beta1: beta1, beta2: beta2, epsilon: epsilon, decoupledWeightDecay: true)
    }

    /// AdamW over all trainable parameters of `module`.
    public static func adamW(_ module: Module, learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
                             epsilon: Double = 1e-8, weightDecay: Double = 0.01) throws -> Adam {
        try adamW(groups: [ParameterGroup(trainableParametersOf: module, learningRate: learningRate, weightDecay: weightDecay)],
                  beta1: beta1, beta2: beta2, epsilon: epsilon)
    }

    public func step() throws {
        // Scalars as PyTorch applies them to Float32 tensors: Python-float (Double)
        // arithmetic first, then one rounding to Float. The elementwise passes are
        // TLKernels.adamUpdate over all parameters at once (one SIMD pass each, bit-identical
        // to the scalar loop; the small parameters share one fork across the threads).
        var updates: [(parameter: Parameter, gradient: Tensor, slot: Slot, scalars: AdamStepScalars)] = []
        for group in groups {
            let (lr, wd) = (group.learningRate, group.weightDecay)
            for (path, p) in group.parameters where !p.isFrozen {
                guard let grad = p.grad else { continue }
                let n = grad.count
                let slot: Slot
                if let existing = slots[path] { slot = existing } else {
                    slot = Slot(m: [Float](repeating: 0, count: n), v: [Float](repeating: 0, count: n), step: 0)
                    slots[path] = slot
                }
                slot.step += 1
                let t = Double(slot.step)
                var scalars = AdamStepScalars(
                    keep1Weight: Float(1 - beta1), beta2: Float(beta2), keep2Weight: Float(1 - beta2),
                    bc2Sqrt: Float((1 - Foundation.pow(beta2, t)).squareRoot()), epsilon: Float(epsilon),
                    stepScale: Float(-(lr / (1 - Foundation.pow(beta1, t)))))
                if wd != 0 {
                    if decoupledWeightDecay { scalars.decoupledDecay = Float(1 - lr * wd) } else { scalars.l2Decay = Float(wd) }
                }
                updates.append((p, grad, slot, scalars))
            }
        }
        var items: [AdamUpdateItem] = []
        items.reserveCapacity(updates.count)
        Self.withItems(updates[...], &items) { adamUpdate($0) }
    }

    /// Opens the buffers of each update in turn (nested, so every pointer stays valid) and
    /// calls `body` with all of them. The slot is a class and the parameter's array is uniquely
    /// owned once backward has released the graph, so none of these mutable accesses copies.
    private static func withItems(_ rest: ArraySlice<(parameter: Parameter, gradient: Tensor, slot: Slot, scalars: AdamStepScalars)>,
                                  _ items: inout [AdamUpdateItem], _ body: ([AdamUpdateItem]) -> Void) {
        guard let u = rest.first else { body(items); return }
        u.gradient.withUnsafeBufferPointer { g in
            u.parameter.value.withUnsafeMutableBufferPointer { w in
                u.slot.m.withUnsafeMutableBufferPointer { m in
                    u.slot.v.withUnsafeMutableBufferPointer { v in
                        if let wp = w.baseAddress, let gp = g.baseAddress, let mp = m.baseAddress, let vp = v.baseAddress {
                            items.append(AdamUpdateItem(weights: wp, gradient: gp, firstMoment: mp, secondMoment: vp,
                                                        count: Swift.min(g.count, w.count, m.count, v.count), scalars: u.scalars))
                        }
                        withItems(rest.dropFirst(), &items, body)
                    }
                }
            }
        }
    }

    public func setMomentum(_ momentum: Double) { beta1 = momentum }

    public func state() -> OptimizerState {
        var s = OptimizerState()
        for (path, p, _) in activeParameters {
            guard let slot = slots[path] else { continue }
            s.tensors[path + ".exp_avg"] = try? Tensor(slot.m, shape: p.shape)
            s.tensors[path + ".exp_avg_sq"] = try? Tensor(slot.v, shape: p.shape)
            s.scalars[path + ".step"] = Double(slot.step)
        }
        s.scalars["beta1"] = beta1
        saveGroupScalars(into: &s)
        return s
    }

    public func loadState(_ s: OptimizerState) throws {
        try loadGroupScalars(from: s)
        var restored: [String: Slot] = [:]
        for (path, p, _) in activeParameters {
            guard let step = s.scalars[path + ".step"] else { continue }
            guard let m = try stateTensor(s, path + ".exp_avg", shape: p.shape),
                  let v = try stateTensor(s, path + ".exp_avg_sq", shape: p.shape), step >= 1, step < 1e15 else {
                throw OptimizerError.stateMismatch("incomplete Adam state for \(path)")
            }
            restored[path] = Slot(m: m, v: v, step: Int(step))
        }
        slots = restored
        if let b = s.scalars["beta1"] { beta1 = b }
    }
}
