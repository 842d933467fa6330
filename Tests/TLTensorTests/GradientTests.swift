import Testing
@testable import TLTensor

/// Finite-difference checks of every differentiable primitive and composite op.
@Suite struct GradientTests {
    func check(_ name: String, _ inputs: [Tensor], step: Float = 1e-2,
               _ f: ([Tensor]) throws -> Tensor) throws {
        let result = try GradientCheck.check(inputs, step: step, f)
        #expect(result.passed, "\(name) \(inputs.map(\.shape)): \(result)")
    }

    @Test func unaryOps() throws {
        for (n, shape) in checkShapes.enumerated() {
            let s = UInt64(n * 10)
            try check("negate", [sample(shape, seed: s)]) { -$0[0] }
            try check("exp", [sample(shape, seed: s + 1)]) { $0[0].exp() }
            try check("log", [sample(shape, seed: s + 2, low: 0.3, high: 3)]) { $0[0].log() }
            try check("sqrt", [sample(shape, seed: s + 3, low: 0.3, high: 3)]) { $0[0].sqrt() }
            try check("tanh", [sample(shape, seed: s + 4)]) { $0[0].tanh() }
            try check("sigmoid", [sample(shape, seed: s + 5, low: -4, high: 4)]) { $0[0].sigmoid() }
            try check("relu", [sample(shape, seed: s + 6, awayFrom: [0])]) { $0[0].relu() }
            try check("gelu", [sample(shape, seed: s + 7, low: -3, high: 3)]) { $0[0].gelu() }
            try check("abs", [sample(shape, seed: s + 8, awayFrom: [0])]) { $0[0].abs() }
            try check("pow3", [sample(shape, seed: s + 9)]) { $0[0].pow(3) }
            try check("pow2", [sample(shape, seed: s + 10)]) { $0[0].pow(2) }
            try check("pow-0.5", [sample(shape, seed: s + 11, low: 0.5, high: 2)]) { $0[0].pow(-0.5) }
            try check("clamp", [sample(shape, seed: s + 12, awayFrom: [-1, 0.5])]) { $0[0].clamp(min: -1, max: 0.5) }
            try check("scalar ops", [sample(shape, seed: s + 13)]) { ($0[0] * 3 + 1) / 2 - 0.5 }
            try check("scalar divided by", [sample(shape, seed: s + 14, low: 0.5, high: 2)]) { 2 / $0[0] }
        }
    }

    @Test func binaryOpsWithBroadcasting() throws {
        let pairs: [([Int], [Int])] = [([3, 5, 7], [3, 5, 7]), ([3, 5, 7], [5, 1]), ([3, 1, 7], [5, 7]),
                                        ([16], [16]), ([64], [1]), ([2, 64], [64]), ([], [3, 5]), ([4, 1], [1, 16])]
        for (n, (sa, sb)) in pairs.enumerated() {
            let a = sample(sa, seed: UInt64(100 + n)), b = sample(sb, seed: UInt64(200 + n))
            let positive = sample(sb, seed: UInt64(300 + n), low: 0.5, high: 2)
            try check("add", [a, b]) { try $0[0] + $0[1] }
            try check("subtract", [a, b]) { try $0[0] - $0[1] }
            try check("multiply", [a, b]) { try $0[0] * $0[1] }
            try check("divide", [a, positive]) { try $0[0] / $0[1] }
            try check("divide (negative denominators)", [a, -positive]) { try $0[0] / $0[1] }
        }
    }

    @Test func reductions() throws {
        let x = sample([3, 5, 7], seed: 1)
        try check("sum axis 1", [x]) { try $0[0].sum(axis: 1) }
        try check("sum axes 0,2 keepDims", [x]) { try $0[0].sum(axes: [0, 2], keepDims: true) }
        try check("sum all", [x]) { $0[0].sum() }
        try check("mean axis -1", [x]) { try $0[0].mean(axis: -1) }
        try check("mean all", [sample([64], seed: 2)]) { $0[0].mean() }
        try check("variance axes 1,2", [x]) { try $0[0].variance(axes: [1, 2]) }
        try check("variance unbiased", [sample([2, 64], seed: 3)]) { try $0[0].variance(axes: [1], correction: 1) }
        try check("max axis 1", [distinct([3, 5, 7], seed: 4)]) { try $0[0].max(axis: 1) }
        try check("max axes 0,2", [distinct([3, 5, 7], seed: 5)]) { try $0[0].max(axes: [0, 2], keepDims: true) }
        try check("max 64", [distinct([64], seed: 6)]) { try $0[0].max(axis: 0) }
        try check("logSumExp", [x]) { try $0[0].logSumExp(axis: 1) }
        try check("softmax", [x]) { try $0[0].softmax(axis: -1) }
        try check("softmax 16", [sample([4, 16], seed: 7, low: -5, high: 5)]) { try $0[0].softmax() }
        try check("logSoftmax", [sample([2, 64], seed: 8)]) { try $0[0].logSoftmax() }
    }

    @Test func movement() throws {
        let x = sample([3, 5, 7], seed: 11)
        try check("reshape", [x]) { try $0[0].reshaped([15, -1]) * $0[0].reshaped([15, 7]) }
        try check("permute", [x]) { try $0[0].permuted([2, 0, 1]) }
        try check("transpose", [sample([16, 64], seed: 12)]) { try $0[0].transposed() }
        try check("slice", [x]) { try $0[0].sliced(axis: 1, 1..<4) }
        try check("slice last", [sample([2, 64], seed: 13)]) { try $0[0].sliced(axis: -1, 16..<48) }
        try check("concat", [sample([3, 2, 7], seed: 14), x]) { try Tensor.concat($0, axis: 1) }
        try check("stack", [x, sample([3, 5, 7], seed: 15)]) { try Tensor.stack($0, axis: 1) }
        try check("indexSelect with repeats", [x]) { try $0[0].indexSelect(axis: 1, [4, 0, 4, 2]) }
        try check("embedding gather", [sample([10, 16], seed: 16)]) { try $0[0].indexSelect(axis: 0, [3, 3, 9, 0, 1]) }
        try check("pad", [x]) { try $0[0].padded([(0, 0), (2, 1), (1, 0)], value: 0.5) }
        try check("expand", [sample([5, 1], seed: 17)]) { try $0[0].expanded(to: [3, 5, 7]) }
        try check("sum(toShape:)", [x]) { try $0[0].sum(toShape: [5, 1]) }
    }

    @Test func matmul() throws {
        try check("A·B", [sample([3, 5], seed: 21), sample([5, 7], seed: 22)]) { try $0[0].matmul($0[1]) }
        try check("Aᵀ·B", [sample([5, 3], seed: 23), sample([5, 7], seed: 24)]) { try $0[0].matmul($0[1], transposeSelf: true) }
        try check("A·Bᵀ", [sample([3, 5], seed: 25), sample([7, 5], seed: 26)]) { try $0[0].matmul($0[1], transposeOther: true) }
        try check("Aᵀ·Bᵀ", [sample([5, 3], seed: 27), sample([7, 5], seed: 28)]) {
            try $0[0].matmul($0[1], transposeSelf: true, transposeOther: true)
        }
        try check("batched · shared", [sample([2, 3, 5], seed: 29), sample([5, 7], seed: 30)]) { try $0[0].matmul($0[1]) }
        try check("batched · shared ᵀ", [sample([2, 3, 5], seed: 31), sample([7, 5], seed: 32)]) {
            try $0[0].matmul($0[1], transposeOther: true)
        }
        try check("broadcast batch", [sample([2, 1, 3, 5], seed: 33), sample([4, 5, 7], seed: 34)]) { try $0[0].matmul($0[1]) }
        try check("batched both transposed", [sample([2, 5, 3], seed: 35), sample([2, 7, 5], seed: 36)]) {
            try $0[0].matmul($0[1], transposeSelf: true, transposeOther: true)
        }
        try check("shared · batched", [sample([3, 5], seed: 39), sample([2, 5, 7], seed: 40)]) { try $0[0].matmul($0[1]) }
        try check("batched heads", [sample([2, 3, 4, 5], seed: 41), sample([2, 3, 5, 4], seed: 42)]) { try $0[0].matmul($0[1]) }
        try check("SIMD widths", [sample([16, 16], seed: 37), sample([16, 64], seed: 38)]) { try $0[0].matmul($0[1]) }
    }

    /// The checker must be able to fail: a function whose recorded gradient is wrong
    /// (the detached factor hides half of d(x²)/dx) is flagged.
    @Test func checkerDetectsWrongGradient() throws {
        let result = try GradientCheck.check([sample([3, 5], seed: 40)]) { try $0[0] * $0[0].detached() }
        #expect(!result.passed)
    }
}
