import Foundation
import TLTensor
import TLNN

/// Imports EfficientNet-Lite0 from a PyTorch state dict (`efficientnet-lite0-57934424.pth`,
/// names `_conv_stem`, `_bn0`, `_blocks.N._expand_conv|_depthwise_conv|_project_conv|_bn0..2`,
/// `_conv_head`, `_bn1`, `_fc`) as a normal `tl` checkpoint with the spec of
/// `Models/efficientnet-lite0.json`:
///
///     0 stem        conv 3×3/2 "SAME" (3 → 32) – BN – ReLU6
///     1…7 stage1…7 16 inverted-residual blocks (table `stages`)
///     8 head_conv   conv 1×1 (320 → 1280) – BN – ReLU6
///     9 pool        global average
///     10 classifier dropout 0.2, linear 1280 → 1000
///
/// so `--freeze 0..5` freezes through stage 5. Convolution weights are permuted from PyTorch's
/// `[out, in, kh, kw]` to tl's `[out, kh, kw, in]` (depthwise `[C, 1, k, k]` → `[C, k, k, 1]`).
/// The checkpoint records the model's preprocessing (`ImagePreprocessing.efficientNetLite`).
public enum EfficientNetImporter {
    /// One stage: kernel, repeats, output width, expansion, stride of its first block.
    public struct Stage: Sendable {
        public let kernel: Int, repeats: Int, out: Int, expansion: Int, stride: Int
    }

    /// EfficientNet-Lite0's stages (input widths follow: 32, 16, 24, 40, 80, 112, 192).
    public static let stages: [Stage] = [
        Stage(kernel: 3, repeats: 1, out: 16, expansion: 1, stride: 1),
        Stage(kernel: 3, repeats: 2, out: 24, expansion: 6, stride: 2),
        Stage(kernel: 5, repeats: 2, out: 40, expansion: 6, stride: 2),
        Stage(kernel: 3, repeats: 3, out: 80, expansion: 6, stride: 2),
        Stage(kernel: 5, repeats: 3, out: 112, expansion: 6, stride: 1),
        Stage(kernel: 5, repeats: 4, out: 192, expansion: 6, stride: 2),
        Stage(kernel: 3, repeats: 1, out: 320, expansion: 6, stride: 1),
    ]
    public static let batchNormEpsilon = 1e-3

    /// The EfficientNet-Lite0 spec (equal to `Models/efficientnet-lite0.json`, which a test checks).
    public static func spec() -> ModelSpec {
        let eps = batchNormEpsilon
        var blocks = [ModelSpec.BlockSpec(name: "stem", layers: [
            Conv2DSpec(out: 32, kernel: 3, stride: 2, padding: .same, bias: false), BatchNormSpec(epsilon: eps), ReLU6Spec()])]
        for (i, s) in stages.enumerated() {
            let layers: [any LayerSpec] = (0..<s.repeats).map {
                InvertedResidualSpec(out: s.out, kernel: s.kernel, stride: $0 == 0 ? s.stride : 1, expand: s.expansion, epsilon: eps)
            }
            blocks.append(ModelSpec.BlockSpec(name: "stage\(i + 1)", layers: layers))
        }
        blocks += [
            ModelSpec.BlockSpec(name: "head_conv", layers: [Conv2DSpec(out: 1280, kernel: 1, bias: false), BatchNormSpec(epsilon: eps), ReLU6Spec()]),
            ModelSpec.BlockSpec(name: "pool", layers: [GlobalAvgPoolSpec()]),
            ModelSpec.BlockSpec(name: "classifier", layers: [DropoutSpec(rate: 0.2), LinearSpec(out: .classes)]),
        ]
        return ModelSpec(name: "efficientnet-lite0",
                         description: "EfficientNet-Lite0 (Tan & Le 2019, Lite variant: ReLU6, no squeeze-excitation, fixed stem and head), "
                            + "TensorFlow SAME padding, BatchNorm epsilon 1e-3. Blocks: stem, stage1-stage7 (16 inverted-residual blocks), "
                            + "head_conv, pool, classifier. Weights: tl import of the efficientnet-lite0 .pth (Scripts/fetch-data.sh).",
                         input: .dense(shape: [224, 224, 3]), blocks: blocks)
    }

    /// The PyTorch state-dict name of tl state path `path`, or nil for paths with no counterpart.
    public static func pytorchName(forPath path: String) -> String? {
        let parts = path.split(separator: ".").map(String.init)
        guard parts.count >= 4, parts[0] == "blocks", let block = Int(parts[1]), let layer = Int(parts[2]) else { return nil }
        let leaf = parts[parts.count - 1]
        let bnLeaf = ["weight": "weight", "bias": "bias", "runningMean": "running_mean", "runningVar": "running_var",
                      "numBatchesTracked": "num_batches_tracked"][leaf]
        switch block {
        case 0: return layer == 0 ? "_conv_stem.\(leaf)" : bnLeaf.map { "_bn0.\($0)" }
        case 1...stages.count:
            guard parts.count == 5, let bn = bnLeaf else { return nil }
            let index = stages.prefix(block - 1).reduce(0) { $0 + $1.repeats } + layer
            let part: String
            switch parts[3] {
            case "expandConv": part = "_expand_conv"
            case "depthwise": part = "_depthwise_conv"
            case "projectConv": part = "_project_conv"
            case "expandNorm": part = "_bn0"
            case "depthwiseNorm": part = "_bn1"
            case "projectNorm": part = "_bn2"
            default: return nil
            }
            return "_blocks.\(index).\(part).\(part.hasPrefix("_bn") ? bn : leaf)"
        case stages.count + 1: return layer == 0 ? "_conv_head.\(leaf)" : bnLeaf.map { "_bn1.\($0)" }
        case stages.count + 3: return "_fc.\(leaf)"
        default: return nil
        }
    }

    /// Builds the checkpoint from a read state dict; `classNames` label the 1,000 outputs.
    public static func checkpoint(from file: PyTorchCheckpoint, path: String, classNames: [String]) throws -> Checkpoint {
        guard let fc = file["_fc.weight"], fc.rank == 2 else {
            throw ImportError(path: path, message: "not an EfficientNet-Lite0 state dict (no _fc.weight; found \(file.entries.prefix(3).map(\.name)))")
        }
        let classes = fc.shape[0]
        guard classNames.count == classes else {
            throw ImportError(path: path, message: "the classifier has \(classes) outputs but \(classNames.count) class names were given")
        }
        var rng = SeededGenerator(seed: 0)
        let model = try TransferModel(spec: spec(), classCount: classes, rng: &rng)
        var state: [String: Tensor] = [:]
        var missing: [String] = [], used = Set<String>()
        for (tlPath, current) in model.namedState() {
            guard let name = pytorchName(forPath: tlPath) else {
                throw ImportError(path: path, message: "internal: no PyTorch name for \(tlPath)")
            }
            guard let stored = file[name] else { missing.append(name); continue }
            var t = stored
            if t.rank == 4 { t = try t.permuted([0, 2, 3, 1]) }
            guard t.shape == current.shape else {
                throw ImportError(path: path, message: "tensor '\(name)' has shape \(stored.shape), EfficientNet-Lite0 needs \(current.shape) (tl layout)")
            }
            if let bad = t.scalars.firstIndex(where: { !$0.isFinite }) {
                throw ImportError(path: path, message: "tensor '\(name)' holds a non-finite value at element \(bad)")
            }
            state[tlPath] = t
            used.insert(name)
        }
        guard missing.isEmpty else {
            throw ImportError(path: path, message: "missing \(missing.count) tensor\(missing.count == 1 ? "" : "s") of EfficientNet-Lite0: "
                              + missing.prefix(6).joined(separator: ", ") + (missing.count > 6 ? ", …" : ""))
        }
        let unused = file.entries.map(\.name).filter { !used.contains($0) }
        guard unused.isEmpty else {
            throw ImportError(path: path, message: "\(unused.count) tensor(s) EfficientNet-Lite0 does not have: \(unused.prefix(6).joined(separator: ", "))")
        }
        try model.loadState(state)
        var info = CheckpointInfo(kind: "import", classNames: classNames, seed: 0)
        info.preprocessing = .efficientNetLite
        info.normalization = ImagePreprocessing.efficientNetLite.normalizationForUnitPixels
        info.parent = path
        return Checkpoint(model: model, info: info)
    }

    /// Reads class names: a JSON array of strings, in class-index order.
    public static func readClassNames(_ url: URL) throws -> [String] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ImportError(path: url.path, message: "cannot read class names (\(error.localizedDescription))")
        }
        guard let names = (try? JSONSerialization.jsonObject(with: data)) as? [String], !names.isEmpty else {
            throw ImportError(path: url.path, message: "expected a JSON array of class-name strings")
        }
        return names
    }
}
