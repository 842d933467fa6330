@testable import TLTensor

/// Random inputs for gradient checks. `awayFrom` keeps every element at least that far
/// from the given kink points (0 for relu/abs, the bounds for clamp), so the finite
/// difference step never crosses a non-differentiable point.
func sample(_ shape: [Int], seed: UInt64, low: Float = -2, high: Float = 2, awayFrom kinks: [Float] = [], margin: Float = 0.05) -> Tensor {
    var rng = SeededGenerator(seed: seed)
    var t = Tensor.uniform(shape, low: low, high: high, using: &rng)
    for i in 0..<t.count {
        for k in kinks where Swift.abs(t.scalars[i] - k) < margin {
            t.scalars[i] = k + (t.scalars[i] >= k ? margin : -margin)
        }
    }
    return t
}

/// Distinct values (a shuffled ramp) so max/argmax have no ties within the FD step.
func distinct(_ shape: [Int], seed: UInt64) -> Tensor {
    var rng = SeededGenerator(seed: seed)
    var values = (0..<Shape.count(shape)).map { Float($0) * 0.1 - 1 }
    values.seededShuffle(using: &rng)
    return try! Tensor(values, shape: shape)
}

/// Shapes every unary op is checked on: odd sizes and SIMD-width sizes.
let checkShapes: [[Int]] = [[3, 5, 7], [16], [64], [2, 64]]

func expectClose(_ a: [Float], _ b: [Float], tolerance: Float = 1e-5) -> Bool {
    guard a.count == b.count else { return false }
    for (x, y) in zip(a, b) where Swift.abs(x - y) > tolerance * Swift.max(1, Swift.abs(y)) { return false }
    return true
}
