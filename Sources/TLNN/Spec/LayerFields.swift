import Foundation

/// The fields of one layer object in a spec, for a `LayerSpec`'s `init(fields:)`. Every
/// reader checks the value and throws a `SpecError` naming the file, the JSON path and what
/// was expected (`blocks[0].layers[2].kernel: expected a positive integer, got "five"`).
public struct LayerFields {
    let json: SpecJSON
    let dict: [String: Any]

    /// A positive integer; required unless `default` is given.
    public func positiveInt(_ key: String, default value: Int? = nil) throws -> Int {
        if let value, dict[key] == nil { return value }
        return try json.field(key, in: dict).positiveInt()
    }

    /// An integer ≥ 0.
    public func nonNegativeInt(_ key: String, default value: Int) throws -> Int {
        guard let f = json.optionalField(key, in: dict) else { return value }
        let v = try f.int()
        guard v >= 0 else { throw f.fail("expected a non-negative integer, got \(v)") }
        return v
    }

    public func bool(_ key: String, default value: Bool) throws -> Bool {
        try json.optionalField(key, in: dict)?.bool() ?? value
    }

    /// A rate in [0, 1).
    public func fraction(_ key: String, default value: Double) throws -> Double {
        guard let f = json.optionalField(key, in: dict) else { return value }
        let v = try f.double()
        guard v >= 0, v < 1 else { throw f.fail("expected a number in [0, 1), got \(v)") }
        return v
    }

    /// A convolution padding: an integer ≥ 0 or `"same"` (TensorFlow "SAME").
    public func padding(_ key: String, default value: SpecPadding) throws -> SpecPadding {
        guard let f = json.optionalField(key, in: dict) else { return value }
        if let s = f.value as? String {
            guard s == "same" else { throw f.fail("expected a non-negative integer or \"same\", got \"\(s)\"") }
            return .same
        }
        let v = try f.int()
        guard v >= 0 else { throw f.fail("expected a non-negative integer or \"same\", got \(v)") }
        return .explicit(v)
    }

    /// A normalisation epsilon in (0, 1), under the key `epsilon`.
    public func epsilon(default value: Double) throws -> Double {
        guard let f = json.optionalField("epsilon", in: dict) else { return value }
        let v = try f.double()
        guard v > 0, v < 1 else { throw f.fail("expected a small positive number, got \(v)") }
        return v
    }

    /// A required width: a positive integer, or the data-dependent `symbol` (`"classes"`, `"vocab"`).
    public func dim(_ key: String, symbol: ModelSpec.Dim) throws -> ModelSpec.Dim {
        let f = try json.field(key, in: dict)
        if let s = f.value as? String {
            let name = symbol.jsonValue as? String ?? ""
            guard s == name else { throw f.fail("expected a positive integer or \"\(name)\", got \"\(s)\"") }
            return symbol
        }
        return .fixed(try f.positiveInt())
    }

    /// One of an enumeration's raw values; required unless `default` is given.
    public func choice<E: RawRepresentable & CaseIterable>(_ key: String, default value: E? = nil) throws -> E where E.RawValue == String {
        if let value, dict[key] == nil { return value }
        let f = try json.field(key, in: dict)
        let s = try f.string()
        guard let choice = E(rawValue: s) else {
            throw f.fail("expected \(E.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or ")), got \"\(s)\"")
        }
        return choice
    }
}
