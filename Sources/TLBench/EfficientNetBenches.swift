import Foundation
import TLKernels
import TLKernelTable
import TLTensor
import TLNN
import TLModels
import TLOptim

// EfficientNet-Lite0 benchmarks (`tl-bench --efficientnet`): inference of the whole network
// at 224×224 (eval mode, no gradients: BatchNorm folded, fused ReLU6) and the depthwise
// kernels on the stage-1/2 shapes of that batch. Random weights: speed does not depend on
// the values. Rates: images/s for the network (reported in the rate column), GB/s for the
// depthwise kernels, forward and both gradients (bytes = input read once + output written
// once + weights), printed as a fraction of the same run's STREAM rows (BandwidthBenches.swift).

/// The network at batch `batch`, as `tl import` builds it.
func efficientNetModel() throws -> TransferModel {
    var rng = SeededGenerator(seed: 3)
    let model = try TransferModel(spec: EfficientNetImporter.spec(), classCount: 1000, rng: &rng)
    model.eval()
    return model
}

/// Which depthwise pass a benchmark times.
enum DepthwisePass: String { case forward = "fwd", inputGradient = "dx", weightGradient = "dw" }

/// One depthwise shape of the batch-32 network: stage, input size, channels, kernel, stride.
/// Bytes: each tensor the pass reads or writes, once (forward: x in, y out; dx: dy in, dx out;
/// dw: x and dy in), plus the weights.
func depthwiseBench(_ name: String, batch: Int, size: Int, channels: Int, kernel: Int, stride: Int,
                    pass: DepthwisePass = .forward) -> Bench {
    let out = (size + stride - 1) / stride
    let total = max((out - 1) * stride + kernel - size, 0)
    let g = DepthwiseGeometry(batch: batch, height: size, width: size, channels: channels, kernelH: kernel, kernelW: kernel,
                              strideH: stride, strideW: stride, padTop: total / 2, padLeft: total / 2, outH: out, outW: out)
    let inCount = batch * size * size * channels, outCount = batch * out * out * channels
    let bytes = Double(4 * (inCount + outCount + kernel * kernel * channels + channels))
    return Bench(name: "\(name) \(pass.rawValue)", group: "depthwise", unit: "GB/s", work: bytes) {
        let x = UnsafeMutableBufferPointer<Float>.allocate(capacity: inCount)
        let y = UnsafeMutableBufferPointer<Float>.allocate(capacity: outCount)
        let w = UnsafeMutableBufferPointer<Float>.allocate(capacity: kernel * kernel * channels)
        let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: channels)
        for i in 0..<inCount { x[i] = Float(i % 97) * 0.01 }
        for i in 0..<outCount { y[i] = Float(i % 89) * 0.01 }
        for i in 0..<w.count { w[i] = Float(i % 13) * 0.1 }
        b.initialize(repeating: 0.5)
        switch pass {
        case .forward:
            return {
                depthwiseForward(input: UnsafeBufferPointer(x), weight: UnsafeBufferPointer(w), bias: UnsafeBufferPointer(b),
                                 geometry: g, lower: 0, upper: 6, output: y)
            }
        case .inputGradient:
            return { depthwiseBackwardInput(outputGradient: UnsafeBufferPointer(y), weight: UnsafeBufferPointer(w), geometry: g, inputGradient: x) }
        case .weightGradient:
            return {
                depthwiseBackwardWeight(input: UnsafeBufferPointer(x), outputGradient: UnsafeBufferPointer(y), geometry: g, weightGradient: w)
            }
        }
    }
}

func efficientNetBenches(batch: Int = 32) -> [Bench] {
    let network = Bench(name: "efficientnet-lite0 224 b\(batch) inference", group: "efficientnet", unit: "images/s",
                        work: Double(batch) * 1e9) {
        let model: TransferModel
        let x: Tensor
        do {
            model = try efficientNetModel()
            var rng = SeededGenerator(seed: 5)
            x = Tensor.uniform([batch, 224, 224, 3], low: -1, high: 1, using: &rng)
        } catch { fail("efficientnet setup: \(error)") }
        return { _ = try? withNoGrad { try model(x) } }
    }
    return [
        network,
        efficientNetStepBench(batch: batch, firstTrainable: 7),
        efficientNetStepBench(batch: batch, firstTrainable: 2),
    ] + bandwidthBenches() + [DepthwisePass.forward, .inputGradient, .weightGradient].flatMap { pass in [
        depthwiseBench("depthwise stage1 112² C32 k3 s1", batch: batch, size: 112, channels: 32, kernel: 3, stride: 1, pass: pass),
        depthwiseBench("depthwise stage2 112² C96 k3 s2", batch: batch, size: 112, channels: 96, kernel: 3, stride: 2, pass: pass),
    ] } + [
        depthwiseBench("depthwise stage2 56² C144 k3 s1", batch: batch, size: 56, channels: 144, kernel: 3, stride: 1),
        depthwiseBench("depthwise stage3 56² C144 k5 s2", batch: batch, size: 56, channels: 144, kernel: 5, stride: 2),
    ]
}

/// A fine-tuning step at 224×224 with blocks `firstTrainable`… trainable (7: the last stage,
/// head convolution and classifier; 2: stages 2–7 as `--freeze 0..1`): the frozen prefix runs
/// without gradients in eval mode every step (no feature cache), the rest in training mode
/// (BatchNorm with batch statistics), cross-entropy on 1000 classes, Adam. The PyTorch twin is
/// `Scripts/efficientnet-reference.py --step FIRST`.
func efficientNetStepBench(batch: Int, firstTrainable first: Int) -> Bench {
    Bench(name: "efficientnet-lite0 224 b\(batch) step \(first)..", group: "efficientnet-step", unit: "images/s",
          work: Double(batch) * 1e9) {
        let model: TransferModel
        let optimizer: Adam
        let x: Tensor
        do {
            model = try efficientNetModel()
            model.train()
            for b in 0..<first { for p in model.blocks[b].parameters() { p.freeze() }; model.blocks[b].eval() }
            optimizer = try Adam(model, learningRate: 1e-3)
            var rng = SeededGenerator(seed: 5)
            x = Tensor.uniform([batch, 224, 224, 3], low: -1, high: 1, using: &rng)
        } catch { fail("efficientnet step setup: \(error)") }
        let labels = (0..<batch).map { $0 % 1000 }
        return {
            do {
                let body = try withNoGrad { try model.forward(x, blocks: 0..<first) }
                let loss = try Loss.crossEntropy(logits: model.forward(body, blocks: first..<model.blockCount), labels: labels)
                optimizer.zeroGrad()
                try loss.backward()
                try optimizer.step()
            } catch { fail("efficientnet step: \(error)") }
        }
    }
}

/// Peak resident memory of this process so far, in bytes (Linux: ru_maxrss is in KiB).
func peakResidentBytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Int(usage.ru_maxrss) * 1024
}
