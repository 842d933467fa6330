import Foundation
import TLTensor

/// Weight initialisers (Kaiming/He and Xavier/Glorot, uniform and normal). All draw from an
/// explicit `SeededGenerator`, so the same seed gives the same weights.
///
/// Fans follow tl's layouts: Linear `[out, in]` has fanIn = in, fanOut = out; a convolution
/// weight `[Cout, KH, KW, Cin]` has fanIn = KH·KW·Cin and fanOut = Cout·KH·KW (the same
/// numbers PyTorch computes for its `[Cout, Cin, KH, KW]` layout).
public enum Init {
    /// Which fan the Kaiming variance preserves: activations forward (`fanIn`) or gradients
    /// backward (`fanOut`).
    public enum FanMode: Sendable { case fanIn, fanOut }

    /// (fanIn, fanOut) of a weight of `shape` in tl's layout.
    public static func fans(_ shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        switch shape.count {
        case 0: return (1, 1)
        case 1: return (shape[0], shape[0])
        case 2: return (shape[1], shape[0])
        default:
            let receptive = shape[1..<(shape.count - 1)].reduce(1, *)
            return (receptive * shape[shape.count - 1], shape[0] * receptive)
        }
    }

    /// The recommended gain of a nonlinearity (PyTorch's `calculate_gain`): √2 for ReLU,
    /// 5/3 for tanh, 1 for linear/sigmoid, √(2 / (1 + a²)) for leaky ReLU with slope `a`.
    public static func reluGain(negativeSlope a: Float = 0) -> Float { (2 / (1 + a * a)).squareRoot() }
    /// 5/3, the tanh gain.
    public static let tanhGain: Float = 5.0 / 3.0

    /// Kaiming uniform: U(−b, b) with b = gain · √(3 / fan).
    public static func kaimingUniform(_ shape: [Int], mode: FanMode = .fanIn, gain: Float = reluGain(),
                                      using rng: inout SeededGenerator) -> Tensor {
        let (fi, fo) = fans(shape)
        let bound = gain * (3 / Float(max(mode == .fanIn ? fi : fo, 1))).squareRoot()
        return Tensor.uniform(shape, low: -bound, high: bound, using: &rng)
    }

    /// Kaiming normal: N(0, σ²) with σ = gain / √fan.
    public static func kaimingNormal(_ shape: [Int], mode: FanMode = .fanIn, gain: Float = reluGain(),
                                     using rng: inout SeededGenerator) -> Tensor {
        let (fi, fo) = fans(shape)
        return Tensor.normal(shape, std: gain / Float(max(mode == .fanIn ? fi : fo, 1)).squareRoot(), using: &rng)
    }

    /// Xavier/Glorot uniform: U(−b, b) with b = gain · √(6 / (fanIn + fanOut)).
    public static func xavierUniform(_ shape: [Int], gain: Float = 1, using rng: inout SeededGenerator) -> Tensor {
        let (fi, fo) = fans(shape)
        let bound = gain * (6 / Float(max(fi + fo, 1))).squareRoot()
        return Tensor.uniform(shape, low: -bound, high: bound, using: &rng)
    }

    /// Xavier/Glorot normal: N(0, σ²) with σ = gain · √(2 / (fanIn + fanOut)).
    public static func xavierNormal(_ shape: [Int], gain: Float = 1, using rng: inout SeededGenerator) -> Tensor {
        let (fi, fo) = fans(shape)
        return Tensor.normal(shape, std: gain * (2 / Float(max(fi + fo, 1))).squareRoot(), using: &rng)
    }

    /// PyTorch's default for Linear and Conv weights and biases: U(−1/√fanIn, 1/√fanIn)
    /// (`kaiming_uniform_(a=√5)` for the weight works out to exactly this bound).
    public static func pytorchDefault(_ shape: [Int], fanIn: Int, using rng: inout SeededGenerator) -> Tensor {
        let bound = 1 / Float(max(fanIn, 1)).squareRoot()
        return Tensor.uniform(shape, low: -bound, high: bound, using: &rng)
    }
}
