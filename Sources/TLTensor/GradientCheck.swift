/// A reusable finite-difference gradient checker for any differentiable function of tensors.
///
/// The function's output is projected onto fixed pseudo-random weights W, L = Σ f(x)·W, so
/// every output element influences the check. The analytic gradient ∂L/∂x comes from
/// `backward()`; the numeric one from central differences (L(x+h) − L(x−h)) / 2h with L
/// accumulated in Double. In Float32 the central difference has truncation error O(h²·f''')
/// and rounding error about ulp(f)·√n / h; h = 1e-2 balances the two for O(1) inputs, so a
/// tolerance of ~1e-2 relative catches any wrong rule (those are off by O(1)) without noise.
public enum GradientCheck {
    /// The outcome of a check: the worst mismatch found.
    public struct Result: CustomStringConvertible, Sendable {
        public var maxAbsoluteError: Double
        public var worst: String
        public var passed: Bool
        public var description: String { "\(passed ? "passed" : "FAILED"): max |analytic − numeric| = \(maxAbsoluteError) (\(worst))" }
    }

    /// Checks the gradient of `function` with respect to every tensor in `inputs`.
    /// - Parameters:
    ///   - step: the finite-difference step h.
    ///   - absoluteTolerance / relativeTolerance: an element passes when
    ///     |a − n| ≤ atol + rtol · max(|a|, |n|).
    ///   - seed: seed of the projection weights.
    public static func check(_ inputs: [Tensor], step: Float = 1e-2,
                             absoluteTolerance: Double = 2e-3, relativeTolerance: Double = 1e-2,
                             seed: UInt64 = 7,
                             _ function: ([Tensor]) throws -> Tensor) throws -> Result {
        let leaves = inputs.map { $0.detached().requiringGrad() }
        let output = try function(leaves)
        var rng = SeededGenerator(seed: seed)
        let weights = Tensor.uniform(output.shape, low: -1, high: 1, using: &rng)
        try (output * weights).sum().backward()

        func projectedLoss(_ xs: [Tensor]) throws -> Double {
            let y = try withNoGrad { try function(xs) }
            var total = 0.0
            for (v, w) in zip(y.scalars, weights.scalars) { total += Double(v) * Double(w) }
            return total
        }

        var result = Result(maxAbsoluteError: 0, worst: "no elements", passed: true)
        var worstExcess = -Double.infinity
        for (i, leaf) in leaves.enumerated() {
            let analytic = leaf.grad?.scalars ?? [Float](repeating: 0, count: leaf.count)
            var probe = leaves.map { $0.detached() }
            for j in 0..<leaf.count {
                let original = probe[i].scalars[j]
                probe[i].scalars[j] = original + step
                let plus = try projectedLoss(probe)
                probe[i].scalars[j] = original - step
                let minus = try projectedLoss(probe)
                probe[i].scalars[j] = original
                let numeric = (plus - minus) / (2 * Double(step))
                let a = Double(analytic[j])
                let error = Swift.abs(a - numeric)
                let allowed = absoluteTolerance + relativeTolerance * Swift.max(Swift.abs(a), Swift.abs(numeric))
                result.maxAbsoluteError = Swift.max(result.maxAbsoluteError, error)
                if error - allowed > worstExcess {
                    worstExcess = error - allowed
                    result.worst = "input \(i) element \(j): analytic \(a), numeric \(numeric)"
                }
                if error > allowed { result.passed = false }
            }
        }
        return result
    }
}
