import Foundation
import TLKernels
import TLKernelTable

/// The differentiable primitives. Every recorded operation is one of these; composite ops
/// (mean, variance, softmax, logsumexp, …) are expressed through them.
enum Primitive {
    case add, subtract, multiply, divide
    case addScalar(Float), multiplyScalar(Float)
    case negate, exp, log, sqrt, tanh, sigmoid, relu, gelu, abs
    /// max(a + b, 0), one pass (`Tensor.addingRelu`); recorded with its output.
    case addRelu
    case powScalar(Float)
    case clamp(Float, Float)
    case sum(axes: [Int], inputShape: [Int])
    case max(axes: [Int], inputShape: [Int])
    case expand(inputShape: [Int])
    case reshape(inputShape: [Int])
    case permute([Int])
    case slice(axis: Int, start: Int, inputShape: [Int])
    case concat(axis: Int, sizes: [Int])
    case indexSelect(axis: Int, indices: [Int], inputShape: [Int])
    case pad([[Int]])
    case matmul(transA: Bool, transB: Bool)
    case softmaxLastAxis
    case layerNorm(mean: [Float], rstd: [Float])
    case batchNormTraining(mean: [Float], rstd: [Float], lower: Float, upper: Float)
    case softplus
    case conv2d(Conv2DGeometry)
    case depthwiseConv2d(DepthwiseGeometry)
    case maxPool2d(Window2D)
    case avgPool2d(Window2D)
    /// A fused op with its own backward rule (Tensor+Attention.swift: `FusedRule`).
    case fused(any FusedRule)

    /// The case name ("conv2d"); not `CustomStringConvertible`, whose `description` would make
    /// the interpolation below call itself.
    var description: String { "\(self)".components(separatedBy: "(").first ?? "primitive" }
}

// MARK: - The backward rules: one per primitive, all in this one place.
//
// Given the forward inputs `x`, the saved forward output `y` (only for primitives recorded
// with `saveOutput: true`), and the upstream gradient `g` = ∂L/∂y, each rule returns ∂L/∂xᵢ
// for every input that `needs` it. Rules run in no-grad mode and use ordinary tensor ops.
extension Primitive {
    func gradients(inputs x: [Tensor], output savedOutput: [Float]?, shape: [Int],
                   upstream g: Tensor, needs: [Bool]) throws -> [Tensor?] {
        let y = savedOutput.map { Tensor(unchecked: $0, shape: shape) }
        switch self {
        case .add:
            return [needs[0] ? try g.sum(toShape: x[0].shape) : nil,
                    needs[1] ? try g.sum(toShape: x[1].shape) : nil]
        case .subtract:
            return [needs[0] ? try g.sum(toShape: x[0].shape) : nil,
                    needs[1] ? try (-g).sum(toShape: x[1].shape) : nil]
        case .multiply:
            return [needs[0] ? try (g * x[1]).sum(toShape: x[0].shape) : nil,
                    needs[1] ? try (g * x[0]).sum(toShape: x[1].shape) : nil]
        case .divide:
            // d(a/b)/da = 1/b;  d(a/b)/db = −a/b²
            return [needs[0] ? try (g / x[1]).sum(toShape: x[0].shape) : nil,
                    needs[1] ? try (-(g * x[0]) / (x[1] * x[1])).sum(toShape: x[1].shape) : nil]
        case .addScalar:
            return [g]
        case .multiplyScalar(let s):
            return [g * s]
        case .negate:
            return [-g]
        case .exp:
            return [try g * y!]                                    // d eˣ = eˣ
        case .log:
            return [try g / x[0]]                                  // d log x = 1/x
        case .sqrt:
            return [try g * y!.mapped { 0.5 / $0 }]                // d √x = 1/(2√x)
        case .tanh:
            return [try g * y!.mapped { 1 - $0 * $0 }]             // d tanh = 1 − tanh²
        case .sigmoid:
            return [try g * y!.mapped { $0 * (1 - $0) }]           // d σ = σ(1 − σ)
        case .relu:
            return [Tensor.reluGradient(input: x[0], upstream: g)]       // g where x > 0, one pass
        case .addRelu:
            // The sum's ReLU mask read from the output (y > 0 ⇔ a + b > 0); one gradient for both.
            let d = Tensor.reluGradient(input: y!, upstream: g)
            return [needs[0] ? d : nil, needs[1] ? d : nil]
        case let .batchNormTraining(mean, rstd, lower, upper):
            // Fused BatchNorm (+ clamp) with batch statistics (Tensor+BatchNorm.swift).
            return Primitive.batchNormTrainingGradients(mean: mean, rstd: rstd, lower: lower, upper: upper, inputs: x, upstream: g, needs: needs)
        case .gelu, .softmaxLastAxis, .layerNorm:
            // Fused kernels: GELU' = Φ(x) + x φ(x); softmax dx = y ⊙ (g − Σ g ⊙ y);
            // LayerNorm with its saved mean and 1/std (Tensor+Fused.swift).
            return Primitive.fusedGradients(self, inputs: x, output: savedOutput, upstream: g, needs: needs)
        case .abs:
            return [try g * x[0].mapped { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }]
        case .powScalar(let p):
            return [try g * x[0].mapped { p * Foundation.pow($0, p - 1) }]
        case let .clamp(lower, upper):
            return [try g * x[0].mapped { $0 >= lower && $0 <= upper ? 1 : 0 }]
        case let .sum(axes, inputShape):
            return [try g.reshaped(Tensor.keptShape(inputShape, reducing: axes)).expanded(to: inputShape)]
        case let .max(axes, inputShape):
            // Gradient goes to the maxima, split equally between ties.
            let kept = Tensor.keptShape(inputShape, reducing: axes)
            let mask = try x[0].equal(y!.reshaped(kept))
            let ties = try mask.sum(axes: axes, keepDims: true)
            return [try g.reshaped(kept) * mask / ties]
        case let .expand(inputShape):
            return [try g.sum(toShape: inputShape)]
        case let .reshape(inputShape):
            return [try g.reshaped(inputShape)]
        case let .permute(axes):
            var inverse = axes
            for (i, a) in axes.enumerated() { inverse[a] = i }
            return [try g.permuted(inverse)]
        case let .slice(axis, start, inputShape):
            var padding = [(before: Int, after: Int)](repeating: (0, 0), count: inputShape.count)
            padding[axis] = (start, inputShape[axis] - start - g.shape[axis])
            return [try g.padded(padding)]
        case let .concat(axis, sizes):
            var offset = 0
            return try zip(sizes, needs).map { size, need in
                defer { offset += size }
                return need ? try g.sliced(axis: axis, offset..<(offset + size)) : nil
            }
        case let .indexSelect(axis, indices, inputShape):
            return [g.indexAdd(axis: axis, indices, into: inputShape)]
        case .pad(let padding):
            var r = g
            for (axis, p) in padding.enumerated() where p[0] != 0 || p[1] != 0 {
                r = try r.sliced(axis: axis, p[0]..<(r.shape[axis] - p[1]))
            }
            return [r]
        case let .matmul(transA, transB):
            return try Primitive.matmulGradients(a: x[0], b: x[1], g: g, transA: transA, transB: transB, needs: needs)
        case .fused(let rule):
            return try rule.gradients(inputs: x, upstream: g, needs: needs)
        case .softplus:
            return [try g * x[0].mapped(.sigmoid)]                  // d softplus = σ(x)
        case .conv2d(let geometry):
            // dx = col2im(g·W), dW = gᵀ·im2col(x) (see Conv2DKernels).
            return Tensor.conv2dGradients(input: x[0], weight: x[1], upstream: g, geometry: geometry, needs: needs)
        case .depthwiseConv2d(let geometry):
            // Scatter form: dx += g·w at each tap's input pixel, dw[tap] += Σ g·x (see Depthwise.swift).
            return Tensor.depthwiseGradients(input: x[0], weight: x[1], upstream: g, geometry: geometry, needs: needs)
        case .maxPool2d(let window):
            // Each window's gradient goes to its first maximum (recomputed from the input).
            return [Tensor(unchecked: Pool2DKernels.maxBackward(x[0].scalars, shape: x[0].shape, upstream: g.scalars, window,
                                                                outHeight: shape[1], outWidth: shape[2]), shape: x[0].shape)]
        case .avgPool2d(let window):
            // Each output spreads g / (KH·KW) over the in-bounds pixels of its window.
            return [Tensor(unchecked: Pool2DKernels.avgBackward(shape: x[0].shape, upstream: g.scalars, window,
                                                                outHeight: shape[1], outWidth: shape[2]), shape: x[0].shape)]
        }
    }

    /// C = op(A)·op(B):  ∂op(A) = G·op(B)ᵀ,  ∂op(B) = op(A)ᵀ·G, transposed back when the
    /// operand was used transposed; broadcast batch axes are summed out.
    private static func matmulGradients(a: Tensor, b: Tensor, g: Tensor, transA: Bool, transB: Bool,
                                        needs: [Bool]) throws -> [Tensor?] {
        var da: Tensor? = nil, db: Tensor? = nil
        if needs[0] {
            da = transA ? try b.matmul(g, transposeSelf: transB, transposeOther: true)
                        : try g.matmul(b, transposeSelf: false, transposeOther: !transB)
            da = try da!.sum(toShape: a.shape)
        }
        if needs[1] {
            if b.rank == 2 && a.rank > 2 && !transA {
                // Shared weight under a batch of inputs: fold the batch into one GEMM.
                let a2 = try a.reshaped([-1, a.shape[a.rank - 1]])
                let g2 = try g.reshaped([-1, g.shape[g.rank - 1]])
                db = transB ? try g2.matmul(a2, transposeSelf: true) : try a2.matmul(g2, transposeSelf: true)
            } else {
                db = transB ? try g.matmul(a, transposeSelf: true, transposeOther: transA)
                            : try a.matmul(g, transposeSelf: !transA, transposeOther: false)
                db = try db!.sum(toShape: b.shape)
            }
        }
        return [da, db]
    }
}
