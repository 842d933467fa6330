import TLNN
import TLTensor

/// Stochastic gradient descent with momentum, dampening, Nesterov and (L2) weight decay,
/// exactly PyTorch's `torch.optim.SGD` update:
///
///     g ← grad + wd·p
///     if μ ≠ 0:  b ← g (first step) or μ·b + (1 − dampening)·g;  g ← g + μ·b (Nesterov) or b
///     p ← p − lr·g
public final class SGD: Optimizer {
    public var groups: [ParameterGroup]
    public var momentum: Double
    public var dampening: Double
    public var nesterov: Bool
    /// Momentum buffers by parameter path.
    private var buffers: [String: [Float]] = [:]

    public init(groups: [ParameterGroup], momentum: Double = 0, dampening: Double = 0, nesterov: Bool = false) throws {
        guard momentum >= 0, !(nesterov && (momentum <= 0 || dampening != 0)) else {
            throw OptimizerError.invalidHyperparameter("Nesterov momentum requires momentum > 0 and zero dampening")
        }
        self.groups = groups; self.momentum = momentum; self.dampening = dampening; self.nesterov = nesterov
    }

    /// One group with all trainable parameters of `module`.
    public convenience init(_ module: Module, learningRate: Double, momentum: Double = 0, dampening: Double = 0,
                            nesterov: Bool = false, weightDecay: Double = 0) throws {
        try self.init(groups: [ParameterGroup(trainableParametersOf: module, learningRate: learningRate, weightDecay: weightDecay)],
                      momentum: momentum, dampening: dampening, nesterov: nesterov)
    }

    public func step() throws {
        for group in groups {
            // Scalars are rounded to Float as PyTorch does when it applies them to Float tensors.
            let (lr, wd, mu, damp) = (Float(group.learningRate), Float(group.weightDecay), Float(momentum), Float(1 - dampening))
            for (path, p) in group.parameters where !p.isFrozen {
                guard let grad = p.grad else { continue }
                var g = grad.scalars
                let n = g.count
                p.value.withUnsafeMutableBufferPointer { w in
                    if wd != 0 { for i in 0..<n { g[i] += wd * w[i] } }
                    if mu != 0 {
                        if var b = buffers[path] {
                            for i in 0..<n { b[i] = mu * b[i] + damp * g[i] }
                            buffers[path] = b
                        } else {
                            buffers[path] = g
                        }
                        let b = buffers[path]!
                        if nesterov { for i in 0..<n { g[i] += mu * b[i] } } else { g = b }
                    }
                    for i in 0..<n { w[i] -= lr * g[i] }
                }
            }
        }
    }

    public func setMomentum(_ momentum: Double) { self.momentum = momentum }

    public func state() -> OptimizerState {
        var s = OptimizerState()
        for (path, p, _) in activeParameters {
            if let b = buffers[path] { s.tensors[path + ".momentum_buffer"] = try? Tensor(b, shape: p.shape) }
        }
        s.scalars["momentum"] = momentum
        saveGroupScalars(into: &s)
        return s
    }

    public func loadState(_ s: OptimizerState) throws {
        try loadGroupScalars(from: s)
        var restored: [String: [Float]] = [:]
        for (path, p, _) in activeParameters {
            if let b = try stateTensor(s, path + ".momentum_buffer", shape: p.shape) { restored[path] = b }
        }
        buffers = restored
        if let m = s.scalars["momentum"] { momentum = m }
    }
}
