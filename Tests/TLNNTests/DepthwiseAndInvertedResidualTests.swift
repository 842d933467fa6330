import Foundation
import Testing
@testable import TLTensor
@testable import TLNN

/// Depthwise convolution, TensorFlow "SAME" padding, BatchNorm epsilon from the spec and the
/// inverted-residual block (EfficientNet-Lite / MobileNetV2).
@Suite struct DepthwiseAndInvertedResidualTests {
    @Test func tensorFlowSamePaddingPutsTheExtraRowAfter() {
        // 224, k3, s2 → 112 outputs, total padding 1: none before, one after.
        #expect(Padding2D.tensorFlowSame(kernel: (3, 3), stride: (2, 2), height: 224, width: 224) == .sides(top: 0, bottom: 1, left: 0, right: 1))
        // 56, k5, s2 → 28, total 3: one before, two after.
        #expect(Padding2D.tensorFlowSame(kernel: (5, 5), stride: (2, 2), height: 56, width: 56) == .sides(top: 1, bottom: 2, left: 1, right: 2))
        // Stride 1 is symmetric for odd kernels; odd sizes with stride 2 too.
        #expect(Padding2D.tensorFlowSame(kernel: (5, 5), stride: (1, 1), height: 14, width: 9) == .sides(top: 2, bottom: 2, left: 2, right: 2))
        #expect(Padding2D.tensorFlowSame(kernel: (3, 3), stride: (2, 2), height: 7, width: 7) == .sides(top: 1, bottom: 1, left: 1, right: 1))
    }

    /// The depthwise op equals a naive per-channel loop with explicit padding.
    @Test func depthwiseMatchesPerChannelConvolution() throws {
        var rng = SeededGenerator(seed: 3)
        let layer = try DepthwiseConv2D(channels: 5, kernelSize: (3, 3), stride: (2, 2),
                                        padding: .tensorFlowSame(kernel: (3, 3), stride: (2, 2), height: 6, width: 6), rng: &rng)
        let x = sample([2, 6, 6, 5], seed: 4)
        let y = try layer(x)
        #expect(y.shape == [2, 3, 3, 5])
        // Each channel alone through conv2d with the same window (one input and output channel).
        for c in 0..<5 {
            let xc = try x.sliced(axis: 3, c..<(c + 1))
            let wc = try layer.weight.value.sliced(axis: 0, c..<(c + 1))
            let yc = try Tensor.conv2d(input: xc, weight: wc, window: layer.window) + layer.bias!.value.sliced(axis: 0, c..<(c + 1))
            let got = try y.sliced(axis: 3, c..<(c + 1))
            let err = zip(got.scalars, yc.scalars).map { Swift.abs($0 - $1) }.max() ?? 1
            #expect(err < 1e-5, "channel \(c): \(err)")
        }
    }

    @Test func depthwiseGradientsMatchFiniteDifferences() throws {
        var rng = SeededGenerator(seed: 5)
        // Small images (border paths only, channels in the scalar tail) and images wide enough for
        // the vector interior blocks with 17 channels (full vectors plus a tail on every backend).
        for (k, s, size, c, n) in [(3, 1, 5, 3, 2), (3, 2, 6, 3, 2), (5, 2, 8, 3, 2), (3, 1, 18, 17, 1), (3, 2, 18, 17, 1), (5, 2, 24, 17, 1)] {
            let layer = try DepthwiseConv2D(channels: c, kernelSize: (k, k), stride: (s, s),
                                            padding: .tensorFlowSame(kernel: (k, k), stride: (s, s), height: size, width: size), rng: &rng)
            let r = try checkGradients("depthwise", inputs: [sample([n, size, size, c], seed: UInt64(k * 10 + s))],
                                       params: [layer.weight, layer.bias!]) { try layer($0[0]) }
            #expect(r.passed, "k\(k) s\(s) size \(size) C \(c): \(r)")
        }
    }

    @Test func batchNormEpsilonComesFromTheSpec() throws {
        let text = LayerRegistryTests.spec(around: #"{"type": "batchnorm", "epsilon": 0.001}"#)
        let spec = try ModelSpec.parse(Data(text.utf8), file: "bn.json")
        #expect((spec.blocks[0].layers[0] as? BatchNormSpec)?.epsilon == 1e-3)
        var rng = SeededGenerator(seed: 1)
        let layer = try spec.blocks[0].layers[0].makeLayer(input: [4, 4, 2], context: SpecContext(classes: 2, vocab: 0), rng: &rng)
        #expect((layer as? BatchNorm)?.epsilon == 1e-3)
        // The default is not written, so older specs serialise unchanged.
        #expect(BatchNormSpec().jsonFields.isEmpty)
        #expect(throws: SpecError.self) {
            try ModelSpec.parse(Data(LayerRegistryTests.spec(around: #"{"type": "batchnorm", "epsilon": 2}"#).utf8), file: "bad.json")
        }
    }

    @Test func specKindsParseShapeAndRoundTrip() throws {
        let text = LayerRegistryTests.spec(around: #"{"type": "conv2d", "out": 8, "kernel": 3, "stride": 2, "padding": "same", "bias": false}, "#
            + #"{"type": "depthwiseconv2d", "kernel": 5, "stride": 2}, {"type": "invertedresidual", "out": 8, "kernel": 3, "expand": 6}, "#
            + #"{"type": "invertedresidual", "out": 12, "kernel": 5, "stride": 2, "expand": 1}"#, input: "[10, 10, 3]")
        let spec = try ModelSpec.parse(Data(text.utf8), file: "ir.json")
        #expect(try spec.blockOutputShapes(classes: 2, vocab: 0) == [[2, 2, 12], [2]])
        #expect(try ModelSpec.parse(Data(spec.jsonText().utf8), file: "again") == spec)
        #expect(throws: SpecError.self) {
            try ModelSpec.parse(Data(LayerRegistryTests.spec(around: #"{"type": "conv2d", "out": 2, "kernel": 3, "padding": "valid"}"#).utf8), file: "p.json")
        }
    }

    /// In inference the block runs fused (BatchNorm folded, one pass per stage); it must compute
    /// the same function as the unfused layers, with and without the skip connection.
    @Test(arguments: [(8, 8, 1, 6, 6, 2), (8, 16, 2, 6, 6, 2), (16, 16, 1, 1, 6, 2),
                      // 32·32·384 hidden values per image: processed in chunks of 5 images (5 + 2).
                      (64, 64, 1, 6, 32, 7)])
    func fusedInferenceEqualsLayerByLayer(_ cin: Int, _ cout: Int, _ stride: Int, _ expansion: Int, _ size: Int, _ batch: Int) throws {
        var rng = SeededGenerator(seed: 9)
        let block = try InvertedResidual(inChannels: cin, outChannels: cout, kernel: 3, stride: stride, expansion: expansion,
                                         epsilon: 1e-3, inputSize: (size, size), rng: &rng)
        #expect(block.hasSkip == (stride == 1 && cin == cout))
        // Non-trivial running statistics and affine parameters.
        for (i, bn) in [block.expandNorm, block.depthwiseNorm, block.projectNorm].compactMap({ $0 }).enumerated() {
            bn.runningMean.value = sample([bn.featureCount], seed: UInt64(20 + i))
            bn.runningVar.value = sample([bn.featureCount], seed: UInt64(30 + i), low: 0.5, high: 2)
            bn.weight.value = sample([bn.featureCount], seed: UInt64(40 + i), low: 0.5, high: 1.5).requiringGrad()
            bn.bias.value = sample([bn.featureCount], seed: UInt64(50 + i)).requiringGrad()
        }
        block.eval()
        let x = sample([batch, size, size, cin], seed: 7, low: -3, high: 3)
        let unfused = try block(x.requiringGrad())          // gradients wanted: the layer-by-layer path
        #expect(!block.runsFused(x.requiringGrad()) && withNoGrad { block.runsFused(x) })
        let fused = try withNoGrad { try block(x) }
        #expect(fused.shape == [batch, size / stride, size / stride, cout])
        let err = zip(fused.scalars, unfused.scalars).map { Swift.abs($0 - $1) }.max() ?? 1
        let scale = unfused.scalars.map { Swift.abs($0) }.max() ?? 1
        #expect(err <= 1e-5 * Swift.max(scale, 1), "max error \(err) (scale \(scale))")
    }
}
