import Foundation

extension ModelSpec {
    /// The spec as JSON in the same format `parse` reads (keys sorted, so the text is
    /// deterministic). Checkpoints store it in their metadata.
    public func jsonText() -> String {
        var top: [String: Any] = ["name": name, "blocks": blocks.map { b in
            ["name": b.name, "layers": b.layers.map(LayerRegistry.jsonObject)] as [String: Any]
        }]
        if let description { top["description"] = description }
        switch input {
        case .dense(let shape): top["input"] = shape
        case .tokens(let length): top["input"] = ["tokens": length]
        }
        let data = (try? JSONSerialization.data(withJSONObject: top, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
