import TLNN
import TLTensor

/// A set of parameters sharing hyper-parameters (discriminative / layer-wise learning rates).
///
/// `baseLearningRate` is what schedules scale: each step's rate is
/// `baseLearningRate · schedule.factor(at: step)`, applied to `learningRate`.
public struct ParameterGroup {
    /// The parameters with their dotted paths (paths key the optimizer state).
    public var parameters: [(path: String, parameter: Parameter)]
    /// The learning rate used by the next `step()`. Hyper-parameters are Doubles, like
    /// PyTorch's Python floats, and are rounded to Float only where PyTorch does.
    public var learningRate: Double
    /// The learning rate schedules are relative to.
    public var baseLearningRate: Double
    /// Weight decay (L2 for SGD/Adam, decoupled for AdamW).
    public var weightDecay: Double

    /// A group of `parameters`. Frozen parameters are dropped here (defensively; optimizers
    /// also skip anything frozen at step time).
    public init(parameters: [(path: String, parameter: Parameter)], learningRate: Double, weightDecay: Double = 0) {
        self.parameters = parameters.filter { !$0.parameter.isFrozen }
        self.learningRate = learningRate
        self.baseLearningRate = learningRate
        self.weightDecay = weightDecay
    }

    /// One group with all trainable parameters of `module`.
    public init(trainableParametersOf module: Module, learningRate: Double, weightDecay: Double = 0) {
        self.init(parameters: module.namedTrainableParameters(), learningRate: learningRate, weightDecay: weightDecay)
    }

    /// The trainable parameters of `module` selected by `selector` (e.g. one block range).
    public init(_ module: Module, selecting selector: ParameterSelector, learningRate: Double, weightDecay: Double = 0) throws {
        self.init(parameters: try module.selectParameters(selector), learningRate: learningRate, weightDecay: weightDecay)
    }
}

/// Saved optimizer state: per-parameter tensors keyed `"<path>.<slot>"` (e.g.
/// `blocks.0.weight.exp_avg`), and scalars (step counts `"<path>.step"`, group learning
/// rates `"group.N.lr"`, …). Everything a checkpoint needs for an exact resume.
public struct OptimizerState: Equatable {
    public var tensors: [String: Tensor]
    public var scalars: [String: Double]
    public init(tensors: [String: Tensor] = [:], scalars: [String: Double] = [:]) {
        self.tensors = tensors; self.scalars = scalars
    }
}

/// Errors from optimizers.
public enum OptimizerError: Error, CustomStringConvertible, Equatable {
    case invalidHyperparameter(String)
    case stateMismatch(String)
    public var description: String {
        switch self {
        case .invalidHyperparameter(let m): return "optimizer: \(m)"
        case .stateMismatch(let m): return "optimizer state: \(m)"
        }
    }
}

/// Common interface of SGD, Adam and AdamW.
public protocol Optimizer: AnyObject {
    /// Parameter groups; learning rates and weight decay may be changed between steps.
    var groups: [ParameterGroup] { get set }
    /// Applies one update to every trainable parameter that has a gradient. Frozen
    /// parameters and parameters without a gradient are skipped entirely (no decay, no
    /// momentum update).
    func step() throws
    /// The optimizer's state (buffers and step counts) keyed by parameter path.
    func state() -> OptimizerState
    /// Restores `state()` output. Throws on missing entries or shape mismatches.
    func loadState(_ state: OptimizerState) throws
    /// Sets beta1 (Adam) or momentum (SGD), used by one-cycle momentum cycling.
    func setMomentum(_ momentum: Double)
}

extension Optimizer {
    /// Clears the gradients of every parameter in every group.
    public func zeroGrad() {
        for g in groups { for (_, p) in g.parameters { p.zeroGrad() } }
    }

    /// Sets every group's learning rate to `baseLearningRate · schedule.factor(at: step)`, and
    /// the momentum when the schedule cycles it (one-cycle). Call before `step()`.
    public func apply(_ schedule: LearningRateSchedule, step: Int) {
        let factor = schedule.factor(at: step)
        for i in groups.indices { groups[i].learningRate = groups[i].baseLearningRate * factor }
        if let m = schedule.momentum(at: step) { setMomentum(m) }
    }

    /// All trainable parameters across groups, with paths.
    var activeParameters: [(path: String, parameter: Parameter, group: Int)] {
        groups.enumerated().flatMap { gi, g in g.parameters.map { ($0.path, $0.parameter, gi) } }
    }

    func saveGroupScalars(into s: inout OptimizerState) {
        for (i, g) in groups.enumerated() {
            s.scalars["group.\(i).lr"] = g.learningRate
            s.scalars["group.\(i).base_lr"] = g.baseLearningRate
            s.scalars["group.\(i).weight_decay"] = g.weightDecay
        }
    }

    func loadGroupScalars(from s: OptimizerState) throws {
        for i in groups.indices {
            guard let lr = s.scalars["group.\(i).lr"], let base = s.scalars["group.\(i).base_lr"],
                  let wd = s.scalars["group.\(i).weight_decay"] else {
                throw OptimizerError.stateMismatch("missing hyper-parameters of group \(i)")
            }
            groups[i].learningRate = lr; groups[i].baseLearningRate = base; groups[i].weightDecay = wd
        }
    }
}

/// Rescales all gradients so their global L2 norm is at most `maxNorm` (PyTorch's
/// `clip_grad_norm_`: coefficient maxNorm / (norm + 1e-6), applied only when below 1).
/// Returns the norm before clipping (accumulated in Double, so it can differ from PyTorch's
/// Float32 norm in the last bits). Frozen parameters have no gradient and are ignored.
@discardableResult
public func clipGradientNorm(_ parameters: [Parameter], maxNorm: Double) throws -> Double {
    var total = 0.0
    for p in parameters { if let g = p.grad { for v in g.scalars { total += Double(v) * Double(v) } } }
    let norm = total.squareRoot()
    let coefficient = maxNorm / (norm + 1e-6)
    if coefficient < 1 {
        for p in parameters where !p.isFrozen {
            if let g = p.grad { try p.value.setGrad(g * Float(coefficient)) }
        }
    }
    return norm
}

/// Reads `tensor` as a state slot of the given shape, or throws naming it.
func stateTensor(_ s: OptimizerState, _ key: String, shape: [Int]) throws -> [Float]? {
    guard let t = s.tensors[key] else { return nil }
    guard t.shape == shape else { throw OptimizerError.stateMismatch("\(key) has shape \(t.shape), expected \(shape)") }
    return t.scalars
}
