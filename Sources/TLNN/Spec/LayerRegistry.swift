/// Every layer kind a model spec can name, by its `"type"`.
///
/// Adding a kind: one file in `Spec/Layers/` declaring a `LayerSpec` (keys, validation,
/// shape, builder, serialisation), plus one line in `kinds` below.
public enum LayerRegistry {
    /// The registered kinds, in the order `tl` documents them.
    public static let kinds: [any LayerSpec.Type] = [
        FlattenSpec.self,
        LinearSpec.self,
        Conv2DSpec.self,
        MaxPoolSpec.self,
        AvgPoolSpec.self,
        GlobalAvgPoolSpec.self,
        BatchNormSpec.self,
        LayerNormSpec.self,
        DropoutSpec.self,
        ReLUSpec.self,
        GELUSpec.self,
        TanhSpec.self,
        SigmoidSpec.self,
        ResidualSpec.self,
        EmbeddingSpec.self,
        EncoderSpec.self,
        SequencePoolSpec.self,
        ReLU6Spec.self,
        DepthwiseConv2DSpec.self,
        InvertedResidualSpec.self,
    ]

    /// The `"type"` names, sorted.
    public static var typeNames: [String] { kinds.map { $0.typeName }.sorted() }

    /// The kind named `typeName`, if registered.
    public static func kind(named typeName: String) -> (any LayerSpec.Type)? {
        kinds.first { $0.typeName == typeName }
    }

    /// Reads one layer object: looks up its `"type"`, checks its keys, and lets the kind read its fields.
    static func parse(_ j: SpecJSON) throws -> any LayerSpec {
        guard let dict = j.value as? [String: Any] else { throw j.fail("expected a layer object, got \(SpecJSON.describe(j.value))") }
        let typePath = j.path + ".type"
        guard let typeValue = dict["type"] else { throw SpecError(file: j.file, path: typePath, message: "missing required field") }
        guard let type = typeValue as? String else { throw SpecError(file: j.file, path: typePath, message: "expected a string") }
        guard let kind = kind(named: type) else {
            let hint = nearestWord(to: type, in: typeNames).map { " (did you mean '\($0)'?)" } ?? ""
            throw SpecError(file: j.file, path: typePath,
                            message: "unknown layer type '\(type)'\(hint); known types: \(typeNames.joined(separator: ", "))")
        }
        let fields = LayerFields(json: j, dict: try j.object(allowed: kind.keys.union(["type"])))
        return try kind.init(fields: fields)
    }

    /// The layer's JSON object, `"type"` included.
    static func jsonObject(_ layer: any LayerSpec) -> [String: Any] {
        var object = layer.jsonFields
        object["type"] = type(of: layer).typeName
        return object
    }
}
