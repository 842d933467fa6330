import Foundation

/// Learning-rate schedules as pure functions of the step (0-based: the rate used by the
/// first `optimizer.step()` is `factor(at: 0)`), so a resumed run reproduces the rates
/// exactly. A schedule gives a multiplier of each group's `baseLearningRate`.
public indirect enum LearningRateSchedule: Equatable, Sendable {
    /// Factor 1 throughout.
    case constant
    /// γ^⌊step / stepSize⌋ (PyTorch StepLR).
    case step(stepSize: Int, gamma: Double)
    /// Cosine annealing from 1 to `minimumFactor` over `totalSteps`, then flat at the minimum
    /// (PyTorch CosineAnnealingLR's closed form with η_min = minimumFactor·base, T_max = totalSteps).
    case cosine(totalSteps: Int, minimumFactor: Double)
    /// Linear decay from 1 to `endFactor` over `totalSteps`, then flat.
    case linear(totalSteps: Int, endFactor: Double)
    /// Linear warm-up from `startFactor` to 1 over `steps` steps (factor
    /// startFactor + (1 − startFactor)·step/steps), then `then` evaluated at `step − steps`.
    /// With startFactor 0 the first step has rate 0 (as HF's warm-up schedules).
    case warmup(steps: Int, startFactor: Double, then: LearningRateSchedule)
    /// PyTorch OneCycleLR with cosine annealing, as a factor of max_lr: rises from
    /// 1/divFactor to 1 over the first pctStart·totalSteps steps, then anneals to
    /// 1/(divFactor·finalDivFactor). With `cycleMomentum`, momentum goes from maxMomentum
    /// down to baseMomentum and back (see `momentum(at:)`).
    case oneCycle(totalSteps: Int, pctStart: Double, divFactor: Double, finalDivFactor: Double,
                  cycleMomentum: Bool, baseMomentum: Double, maxMomentum: Double)

    /// One-cycle with PyTorch's defaults (pct_start 0.3, div 25, final div 1e4, momentum 0.85–0.95).
    public static func oneCycle(totalSteps: Int, pctStart: Double = 0.3, divFactor: Double = 25,
                                finalDivFactor: Double = 1e4, cycleMomentum: Bool = true) -> LearningRateSchedule {
        .oneCycle(totalSteps: totalSteps, pctStart: pctStart, divFactor: divFactor, finalDivFactor: finalDivFactor,
                  cycleMomentum: cycleMomentum, baseMomentum: 0.85, maxMomentum: 0.95)
    }

    /// The learning-rate multiplier at `step` (0-based).
    public func factor(at step: Int) -> Double {
        let s = max(step, 0)
        switch self {
        case .constant:
            return 1
        case let .step(stepSize, gamma):
            return Foundation.pow(gamma, Double(s / max(stepSize, 1)))
        case let .cosine(total, minimum):
            let t = Double(min(s, max(total, 1)))
            return minimum + (1 - minimum) * (1 + Foundation.cos(Double.pi * t / Double(max(total, 1)))) / 2
        case let .linear(total, end):
            let t = Double(min(s, max(total, 1)))
            return 1 + (end - 1) * t / Double(max(total, 1))
        case let .warmup(steps, start, then):
            if s < steps { return start + (1 - start) * Double(s) / Double(steps) }
            return then.factor(at: s - steps)
        case let .oneCycle(total, pct, div, finalDiv, _, _, _):
            let initial = 1 / div, minimum = initial / finalDiv
            return Self.oneCyclePhase(step: s, total: total, pct: pct, values: (initial, 1, minimum))
        }
    }

    /// The momentum (SGD momentum / Adam β₁) at `step` for schedules that cycle it, else nil.
    public func momentum(at step: Int) -> Double? {
        switch self {
        case let .warmup(steps, _, then):
            return step < steps ? nil : then.momentum(at: step - steps)
        case let .oneCycle(total, pct, _, _, cycle, base, maxM):
            guard cycle else { return nil }
            return Self.oneCyclePhase(step: max(step, 0), total: total, pct: pct, values: (maxM, base, maxM))
        default:
            return nil
        }
    }

    /// PyTorch OneCycleLR (two phases, cosine): phase 1 ends at step pct·total − 1, phase 2 at
    /// total − 1; pct = (step − start) / (end − start); value = end + (start − end)/2·(1 + cos(π·pct)).
    /// Steps past the end stay at the final value (PyTorch raises there instead).
    private static func oneCyclePhase(step: Int, total: Int, pct: Double, values: (Double, Double, Double)) -> Double {
        let phase1End = pct * Double(total) - 1
        let phase2End = Double(total) - 1
        func anneal(_ a: Double, _ b: Double, _ p: Double) -> Double { b + (a - b) / 2 * (1 + Foundation.cos(Double.pi * p)) }
        let s = Double(step)
        if s <= phase1End {
            return anneal(values.0, values.1, phase1End > 0 ? s / phase1End : 1)
        }
        let span = phase2End - phase1End
        return anneal(values.1, values.2, span > 0 ? min((s - phase1End) / span, 1) : 1)
    }
}
