import Foundation
import TLKernels
import TLTensor
import TLNN
import TLOptim
import TLTransfer
import TLModels

// Encoder benchmarks (`tl-bench --encoder`): the all-MiniLM-L6-v2 architecture (6 layers,
// D = 384, 12 heads, F = 1536) with random weights — speed does not depend on the values.
//
// FLOPs of one encoder layer over a [B, T] batch (multiply-add = 2 FLOPs):
//     Q, K, V, output projections   4 · 2·B·T·D²
//     feed-forward                  2 · 2·B·T·D·F
//     scores Q·Kᵀ and context P·V   2 · 2·B·T²·D
// LayerNorm, softmax, GELU, masking and the embeddings are O(B·T·D) and not counted.

/// FLOPs of `layers` encoder layers of the MiniLM shape over `batch` sequences of `tokens`.
func encoderFLOPs(batch: Int, tokens: Int, layers: Int, d: Int = 384, f: Int = 1536) -> Double {
    let (b, t, dd, ff) = (Double(batch), Double(tokens), Double(d), Double(f))
    return Double(layers) * (8 * b * t * dd * dd + 4 * b * t * dd * ff + 4 * b * t * t * dd)
}

/// The MiniLM-L6 architecture as tl builds it on import, freshly initialised.
func miniLMModel(tokens: Int) throws -> TransferModel {
    let config = HuggingFaceImporter.BertSettings(vocabSize: 30522, hiddenSize: 384, layerCount: 6, headCount: 12,
                                                  intermediateSize: 1536, maxPositions: 512, typeVocabSize: 2,
                                                  layerNormEpsilon: 1e-12, hiddenDropout: 0.1)
    var rng = SeededGenerator(seed: 7)
    return try TransferModel(spec: HuggingFaceImporter.spec(for: config, name: "minilm-bench", tokens: tokens),
                             classCount: 2, vocabularySize: 30522, rng: &rng)
}

/// Token ids [B, T]: random words after [CLS], no padding (worst case for the work done).
func benchTokenIDs(batch: Int, tokens: Int) throws -> Tensor {
    var rng = SeededGenerator(seed: 11)
    var ids = [Float](repeating: 0, count: batch * tokens)
    for i in 0..<ids.count { ids[i] = i % tokens == 0 ? 101 : Float(1000 + Int(rng.nextUniform() * 28000)) }
    return try Tensor(ids, shape: [batch, tokens])
}

/// Benchmarks of the encoder: inference of the whole model (sentences/s and GFLOPS), one
/// fine-tuning step with the top layer trainable, and a per-op breakdown of one layer.
func encoderBenches() -> [Bench] {
    var out: [Bench] = []
    let batch = 32
    for tokens in [32, 128] {
        out.append(Bench(name: "encoder-forward-b\(batch)-t\(tokens)", group: "encoder", unit: "GFLOPS",
                         work: encoderFLOPs(batch: batch, tokens: tokens, layers: 6)) {
            let model = try! miniLMModel(tokens: tokens)
            model.eval()
            let ids = try! benchTokenIDs(batch: batch, tokens: tokens)
            return { _ = try! withNoGrad { try model.forward(ids, blocks: 0..<(model.headIndex + 1)) } }
        })
    }
    // The whole-model figure split by block (B = 32, T = 128): embeddings, one encoder layer
    // with the mask-channel plumbing of MaskedEncoderLayer, and pool + head.
    for (name, range) in [("embeddings", 0..<1), ("layer0", 1..<2), ("layers0-5", 1..<7), ("pool-head", 7..<9)] {
        out.append(Bench(name: "encoder-block-\(name)-b\(batch)-t128", group: "encoder", unit: "GFLOPS",
                         work: encoderFLOPs(batch: batch, tokens: 128, layers: range.count == 6 ? 6 : (name == "layer0" ? 1 : 0))) {
            let model = try! miniLMModel(tokens: 128)
            model.eval()
            let ids = try! benchTokenIDs(batch: batch, tokens: 128)
            let input = range.lowerBound == 0 ? ids : try! withNoGrad { try model.forward(ids, blocks: 0..<range.lowerBound) }
            return { _ = try! withNoGrad { try model.forward(input, blocks: range) } }
        })
    }
    // A fine-tuning step as the Trainer runs it with --freeze 0..5: the frozen prefix
    // (embeddings + layers 0–4) is cached, so a step is forward + backward of the top layer,
    // pool and head, then Adam. Counted as 3× the layer's forward FLOPs.
    let stepTokens = 64
    out.append(Bench(name: "finetune-step-top1-b\(batch)-t\(stepTokens)", group: "encoder", unit: "GFLOPS",
                     work: 3 * encoderFLOPs(batch: batch, tokens: stepTokens, layers: 1)) {
        let model = try! miniLMModel(tokens: stepTokens)
        for b in 0..<6 { for p in model.blocks[b].parameters() { p.freeze() } }
        for b in 0..<6 { model.blocks[b].eval() }
        let ids = try! benchTokenIDs(batch: batch, tokens: stepTokens)
        let cached = try! withNoGrad { try model.forward(ids, blocks: 0..<6) }
        let optimizer = try! Adam(model, learningRate: 1e-4)
        let labels = (0..<batch).map { $0 % 2 }
        return {
            let logits = try! model.forward(cached, blocks: 6..<model.blockCount)
            let loss = try! Loss.crossEntropy(logits: logits, labels: labels)
            optimizer.zeroGrad()
            try! loss.backward()
            try! optimizer.step()
        }
    })
    // Where the time of one layer's forward goes (B = 32, T = 128, no gradients).
    let (t, d) = (128, 384)
    func layerSetup() -> (TransformerEncoderBlock, Tensor, Tensor) {
        var rng = SeededGenerator(seed: 3)
        let layer = try! TransformerEncoderBlock(hiddenSize: d, headCount: 12, intermediateSize: 1536, dropout: 0.1,
                                                 attentionDropout: 0.1, layerNormEpsilon: 1e-12, rng: &rng)
        layer.eval()
        let x = Tensor.normal([batch, t, d], std: 1, using: &rng)
        let mask = Tensor.ones([batch, t])
        return (layer, x, mask)
    }
    let bt = Double(batch * t)
    out.append(Bench(name: "layer-b32-t128-total", group: "encoder-layer", unit: "GFLOPS",
                     work: encoderFLOPs(batch: batch, tokens: t, layers: 1)) {
        let (layer, x, mask) = layerSetup()
        return { _ = try! withNoGrad { try layer.forward(x, attentionMask: mask) } }
    })
    // The parts of that forward pass, each through the same call the layer makes (eval mode:
    // no dropout), so the parts add up to the total: the packed QKV projection (the weights
    // concatenated, as MultiHeadAttention does per call), the fused attention, the output
    // projection, the feed-forward (GELU in the first GEMM's epilogue), the two fused
    // residual + LayerNorm steps, and MaskedEncoderLayer's mask-channel split and join.
    out.append(Bench(name: "layer-b32-t128-qkv-projection", group: "encoder-layer", unit: "GFLOPS",
                     work: 6 * bt * Double(d * d)) {
        let (layer, x, _) = layerSetup()
        let a = layer.attention
        return {
            _ = try! withNoGrad {
                let w = try Tensor.concat([a.query, a.key, a.value].map(\.weight.value), axis: 0)
                let b = try Tensor.concat([a.query, a.key, a.value].compactMap { $0.bias?.value }, axis: 0)
                return try x.linear(weight: w, bias: b)
            }
        }
    })
    out.append(Bench(name: "layer-b32-t128-attention-core", group: "encoder-layer", unit: "GFLOPS",
                     work: 4 * bt * Double(t * d)) {
        // Q·Kᵀ, scale, softmax, P·V per (sequence, head), read from the packed [N, T, 3D] projection.
        var rng = SeededGenerator(seed: 4)
        let packed = Tensor.normal([batch, t, 3 * d], std: 1, using: &rng)
        return { _ = try! withNoGrad { try Tensor.multiHeadAttention(packed: packed, heads: 12, scale: 1 / Float(32).squareRoot()) } }
    })
    out.append(Bench(name: "layer-b32-t128-output-projection", group: "encoder-layer", unit: "GFLOPS",
                     work: 2 * bt * Double(d * d)) {
        let (layer, x, _) = layerSetup()
        let o = layer.attention.output
        return { _ = try! withNoGrad { try x.linear(weight: o.weight.value, bias: o.bias?.value) } }
    })
    out.append(Bench(name: "layer-b32-t128-feed-forward", group: "encoder-layer", unit: "GFLOPS",
                     work: 4 * bt * Double(d * 1536)) {
        let (layer, x, _) = layerSetup()
        let (up, down) = (layer.intermediate, layer.output)
        return {
            _ = try! withNoGrad {
                let h = try x.linear(weight: up.weight.value, bias: up.bias?.value, activation: .gelu)
                return try h.linear(weight: down.weight.value, bias: down.bias?.value)
            }
        }
    })
    out.append(Bench(name: "layer-b32-t128-residual-norm-x2", group: "encoder-layer", unit: "GB/s",
                     work: 2 * 3 * bt * Double(d) * 4) {
        // Each step reads x and r and writes the normalised sum (3 [N, T, D] passes).
        let (layer, x, _) = layerSetup()
        let (n1, n2) = (layer.attentionNorm, layer.outputNorm)
        return {
            _ = try! withNoGrad {
                let a = try x.addLayerNorm(x, dropout: nil, weight: n1.weight.value, bias: n1.bias.value, epsilon: n1.epsilon)
                return try a.addLayerNorm(x, dropout: nil, weight: n2.weight.value, bias: n2.bias.value, epsilon: n2.epsilon)
            }
        }
    })
    out.append(Bench(name: "layer-b32-t128-mask-channel", group: "encoder-layer", unit: "GB/s",
                     work: 4 * bt * Double(d + 1) * 4) {
        // MaskedEncoderLayer's plumbing: [N, T, D + 1] split into hidden and mask, re-joined.
        var rng = SeededGenerator(seed: 8)
        let x = Tensor.normal([batch, t, d + 1], std: 1, using: &rng)
        let rows = batch * t
        return {
            _ = try! withNoGrad {
                let hidden = try x.droppingLastChannel()
                let mask = x.scalars.withUnsafeBufferPointer { p in (0..<rows).map { p[$0 * (d + 1) + d] } }
                return try hidden.appendingChannel(mask)
            }
        }
    })
    // The GEMM shape of the feed-forward's first product at this size, for comparison.
    out.append(gemmBench(name: "gemm-4096x384x1536-AB", m: batch * t, k: d, n: 1536, variant: "AB"))
    return out
}
