import Foundation

extension ModelSpec {
    /// The spec as JSON in the same format `parse` reads (keys sorted, so the text is
    /// deterministic). Checkpoints store it in their metadata.
    public func jsonText() -> String {
        var top: [String: Any] = ["name": name, "blocks": blocks.map { b in
            ["name": b.name, "layers": b.layers.map(Self.layerObject)] as [String: Any]
        }]
        if let description { top["description"] = description }
        switch input {
        case .dense(let shape): top["input"] = shape
        case .tokens(let length): top["input"] = ["tokens": length]
        }
        let data = (try? JSONSerialization.data(withJSONObject: top, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    private static func dim(_ d: Dim) -> Any {
        switch d { case .fixed(let n): return n; case .classes: return "classes"; case .vocab: return "vocab" }
    }

    private static func layerObject(_ layer: LayerSpec) -> [String: Any] {
        switch layer {
        case .flatten: return ["type": "flatten"]
        case .relu: return ["type": "relu"]
        case .gelu: return ["type": "gelu"]
        case .tanh: return ["type": "tanh"]
        case .sigmoid: return ["type": "sigmoid"]
        case .globalAvgPool: return ["type": "globalavgpool"]
        case .batchNorm: return ["type": "batchnorm"]
        case let .linear(out, bias): return ["type": "linear", "out": dim(out), "bias": bias]
        case let .conv2d(out, kernel, stride, padding, bias):
            return ["type": "conv2d", "out": out, "kernel": kernel, "stride": stride, "padding": padding, "bias": bias]
        case let .maxPool(size, stride): return ["type": "maxpool", "size": size, "stride": stride]
        case let .avgPool(size, stride): return ["type": "avgpool", "size": size, "stride": stride]
        case .layerNorm(let e): return ["type": "layernorm", "epsilon": e]
        case .dropout(let r): return ["type": "dropout", "rate": r]
        case let .residual(out, stride): return ["type": "residual", "out": out, "stride": stride]
        case let .embedding(vocab, d, maxLength, segments, dropout, epsilon):
            return ["type": "embedding", "vocab": dim(vocab), "dim": d, "max_length": maxLength, "segments": segments,
                    "dropout": dropout, "epsilon": epsilon]
        case let .encoder(heads, ffn, norm, dropout, epsilon):
            return ["type": "encoder", "heads": heads, "ffn": ffn, "norm": norm.rawValue, "dropout": dropout, "epsilon": epsilon]
        case .sequencePool(let mode): return ["type": "pool", "mode": mode.rawValue]
        }
    }
}
