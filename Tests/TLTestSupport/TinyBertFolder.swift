/// Test fixtures shared by the test targets (a library target, so each lives in one place).
import Foundation
import TLSafeTensors

/// A tiny synthetic Hugging Face BERT folder (config.json, model.safetensors, vocab.txt)
/// for importer tests. Every tensor gets distinct values (a per-tensor offset plus a ramp),
/// so a name mix-up in the mapping shows up as a value mismatch.
public struct TinyBertFolder {
    public static let vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "the", "cat", "dog", "sat", "on", "mat", "ran",
                             "a", "big", "##s", "!", ".", "it", "'", "is", "fun"]
    public static let hidden = 8, layers = 2, heads = 2, intermediate = 16, positions = 16, types = 2

    public var config: [String: Any] = [
        "model_type": "bert", "architectures": ["BertModel"], "hidden_act": "gelu", "hidden_size": hidden,
        "num_hidden_layers": layers, "num_attention_heads": heads, "intermediate_size": intermediate,
        "max_position_embeddings": positions, "type_vocab_size": types, "vocab_size": vocabulary.count,
        "layer_norm_eps": 1e-12, "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
    ]
    /// Published tensor name → (shape, values).
    public var tensors: [String: (shape: [Int], values: [Float])] = [:]
    /// Extra tensors the importer must ignore.
    public var withPositionIDsAndPooler = true

    public init(prefix: String = "", oldLayerNormNames: Bool = false) {
        let d = Self.hidden, f = Self.intermediate
        var offset: Float = 0
        func add(_ name: String, _ shape: [Int], layerNorm: Bool = false) {
            var n = prefix + name
            if oldLayerNormNames && layerNorm {
                if n.hasSuffix(".weight") { n = String(n.dropLast(7)) + ".gamma" } else { n = String(n.dropLast(5)) + ".beta" }
            }
            let count = shape.reduce(1, *)
            offset += 0.01
            let base = offset
            // LayerNorm weights near 1, everything else small, all distinct per tensor.
            tensors[n] = (shape, (0..<count).map { i in
                let ramp = Float((i * 37) % 23) / 23 - 0.5
                return (layerNorm && name.hasSuffix("weight") ? 1 : 0) + 0.3 * ramp + base
            })
        }
        add("embeddings.word_embeddings.weight", [Self.vocabulary.count, d])
        add("embeddings.position_embeddings.weight", [Self.positions, d])
        add("embeddings.token_type_embeddings.weight", [Self.types, d])
        add("embeddings.LayerNorm.weight", [d], layerNorm: true)
        add("embeddings.LayerNorm.bias", [d], layerNorm: true)
        for l in 0..<Self.layers {
            let p = "encoder.layer.\(l)."
            for m in ["query", "key", "value"] {
                add(p + "attention.self.\(m).weight", [d, d]); add(p + "attention.self.\(m).bias", [d])
            }
            add(p + "attention.output.dense.weight", [d, d]); add(p + "attention.output.dense.bias", [d])
            add(p + "attention.output.LayerNorm.weight", [d], layerNorm: true)
            add(p + "attention.output.LayerNorm.bias", [d], layerNorm: true)
            add(p + "intermediate.dense.weight", [f, d]); add(p + "intermediate.dense.bias", [f])
            add(p + "output.dense.weight", [d, f]); add(p + "output.dense.bias", [d])
            add(p + "output.LayerNorm.weight", [d], layerNorm: true)
            add(p + "output.LayerNorm.bias", [d], layerNorm: true)
        }
    }

    /// Writes the folder and returns its URL.
    public func write(to folder: URL) throws -> URL {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])
            .write(to: folder.appendingPathComponent("config.json"))
        try (Self.vocabulary.joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("vocab.txt"), atomically: true, encoding: .utf8)
        var file = SafeTensorsFile()
        for (name, t) in tensors { try file.setFloats(name, t.values, shape: t.shape) }
        if withPositionIDsAndPooler {
            file.tensors["embeddings.position_ids"] = try StoredTensor(shape: [1, Self.positions], int64s: (0..<Int64(Self.positions)).map { $0 })
            try file.setFloats("pooler.dense.weight", [Float](repeating: 0.5, count: Self.hidden * Self.hidden), shape: [Self.hidden, Self.hidden])
            try file.setFloats("pooler.dense.bias", [Float](repeating: 0, count: Self.hidden), shape: [Self.hidden])
        }
        try file.write(to: folder.appendingPathComponent("model.safetensors"))
        return folder
    }
}
