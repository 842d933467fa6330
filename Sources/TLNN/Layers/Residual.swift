import TLTensor

/// A basic ResNet block (He et al. 2016):
///
///     x: [N, H, W, Cin] → conv3×3(stride)–BN–ReLU–conv3×3–BN  (+ shortcut) → ReLU → [N, H', W', Cout]
///
/// The shortcut is the identity, or a 1×1 convolution + BN when stride or width change.
public final class ResidualBlock: Layer {
    public let conv1: Conv2D
    public let norm1: BatchNorm
    public let conv2: Conv2D
    public let norm2: BatchNorm
    public let shortcut: Sequential?

    public init(inChannels: Int, outChannels: Int, stride: Int, rng: inout SeededGenerator) throws {
        conv1 = try Conv2D(inChannels: inChannels, outChannels: outChannels, kernelSize: 3, stride: stride,
                           padding: .explicit(height: 1, width: 1), bias: false, rng: &rng)
        norm1 = try BatchNorm(featureCount: outChannels)
        conv2 = try Conv2D(inChannels: outChannels, outChannels: outChannels, kernelSize: 3, stride: 1,
                           padding: .explicit(height: 1, width: 1), bias: false, rng: &rng)
        norm2 = try BatchNorm(featureCount: outChannels)
        if stride != 1 || inChannels != outChannels {
            shortcut = Sequential(try Conv2D(inChannels: inChannels, outChannels: outChannels, kernelSize: 1, stride: stride,
                                             bias: false, rng: &rng),
                                  try BatchNorm(featureCount: outChannels))
        } else {
            shortcut = nil
        }
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        // BN + ReLU as one fused primitive (BatchNorm's clamp to [0, ∞)): one pass less each way.
        let main = try norm2(conv2(norm1.forward(conv1(x), clampTo: 0, .infinity)))
        let skip = try shortcut?.forward(x) ?? x
        return try main.addingRelu(skip)     // (main + skip).relu() in one pass each way
    }
}
