@testable import TLTensor
@testable import TLNN

/// Uniform random tensor in [low, high).
func sample(_ shape: [Int], seed: UInt64, low: Float = -1, high: Float = 1) -> Tensor {
    var rng = SeededGenerator(seed: seed)
    return Tensor.uniform(shape, low: low, high: high, using: &rng)
}

/// Distinct values (shuffled ramp) so max pooling has no ties within the FD step.
func distinct(_ shape: [Int], seed: UInt64, spacing: Float = 0.05) -> Tensor {
    var rng = SeededGenerator(seed: seed)
    var values = (0..<Shape.count(shape)).map { Float($0) * spacing - 1 }
    values.seededShuffle(using: &rng)
    return try! Tensor(values, shape: shape)
}

/// Runs a gradient check over `inputs` and parameters: `params` are substituted into the
/// module for the duration of each evaluation, then restored.
func checkGradients(_ name: String, inputs: [Tensor], params: [Parameter] = [],
                    tolerance: Double = 1e-2, step: Float = 1e-2,
                    _ f: ([Tensor]) throws -> Tensor) throws -> GradientCheck.Result {
    let saved = params.map(\.value)
    defer { for (p, v) in zip(params, saved) { p.value = v } }
    let all = inputs + params.map(\.value)
    return try GradientCheck.check(all, step: step, relativeTolerance: tolerance) { xs in
        for (p, v) in zip(params, xs[inputs.count...]) { p.value = v }
        return try f(Array(xs[..<inputs.count]))
    }
}

func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).reduce(0) { Swift.max($0, Swift.abs($1.0 - $1.1)) }
}
