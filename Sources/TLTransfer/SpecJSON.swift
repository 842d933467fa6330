import Foundation
import TLNN

/// A small JSON reader that tracks the JSON path of every value, so that problems in a
/// model spec are reported as `Models/lenet.json: blocks[2].layers[0].kernel: expected a
/// positive integer, got "five"` — with the file, the path and what was expected.
struct SpecJSON {
    let value: Any
    let path: String
    let file: String

    static func parse(_ data: Data, file: String) throws -> SpecJSON {
        do {
            let object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            return SpecJSON(value: object, path: "$", file: file)
        } catch {
            throw SpecError(file: file, path: "$", message: "invalid JSON (\((error as NSError).userInfo["NSDebugDescription"] ?? error.localizedDescription))")
        }
    }

    func fail(_ message: String) -> SpecError { SpecError(file: file, path: path, message: message) }

    private func child(_ v: Any, _ suffix: String) -> SpecJSON {
        SpecJSON(value: v, path: path == "$" ? String(suffix.drop(while: { $0 == "." })) : path + suffix, file: file)
    }

    /// The object's keys, after checking that no key outside `allowed` is present.
    func object(allowed: Set<String>) throws -> [String: Any] {
        guard let dict = value as? [String: Any] else { throw fail("expected an object, got \(Self.describe(value))") }
        if let unknown = dict.keys.sorted().first(where: { !allowed.contains($0) }) {
            let hint = Self.nearest(unknown, in: allowed).map { " (did you mean '\($0)'?)" } ?? ""
            throw SpecError(file: file, path: path == "$" ? unknown : "\(path).\(unknown)",
                            message: "unknown key\(hint); allowed: \(allowed.sorted().joined(separator: ", "))")
        }
        return dict
    }

    func field(_ key: String, in dict: [String: Any]) throws -> SpecJSON {
        guard let v = dict[key] else { throw SpecError(file: file, path: path == "$" ? key : "\(path).\(key)", message: "missing required field") }
        return child(v, ".\(key)")
    }

    func optionalField(_ key: String, in dict: [String: Any]) -> SpecJSON? {
        dict[key].map { child($0, ".\(key)") }
    }

    func array() throws -> [SpecJSON] {
        guard let a = value as? [Any] else { throw fail("expected an array, got \(Self.describe(value))") }
        return a.enumerated().map { child($0.element, "[\($0.offset)]") }
    }

    func string() throws -> String {
        guard let s = value as? String else { throw fail("expected a string, got \(Self.describe(value))") }
        return s
    }

    func positiveInt() throws -> Int {
        let i = try int()
        guard i > 0 else { throw fail("expected a positive integer, got \(i)") }
        return i
    }

    func int() throws -> Int {
        if let n = value as? NSNumber, !Self.isBool(n) {
            let d = n.doubleValue
            if d.rounded() == d, Swift.abs(d) < 1e9 { return Int(d) }
        }
        throw fail("expected an integer, got \(Self.describe(value))")
    }

    func double() throws -> Double {
        if let n = value as? NSNumber, !Self.isBool(n) { return n.doubleValue }
        throw fail("expected a number, got \(Self.describe(value))")
    }

    func bool() throws -> Bool {
        if let n = value as? NSNumber, Self.isBool(n) { return n.boolValue }
        throw fail("expected true or false, got \(Self.describe(value))")
    }

    /// JSON booleans arrive as NSNumber with Objective-C type code 'c'.
    static func isBool(_ n: NSNumber) -> Bool { n.objCType.pointee == 99 }

    static func describe(_ v: Any) -> String {
        switch v {
        case let s as String: return "\"\(s)\""
        case let n as NSNumber: return Self.isBool(n) ? (n.boolValue ? "true" : "false") : "\(n)"
        case is [Any]: return "an array"
        case is [String: Any]: return "an object"
        case is NSNull: return "null"
        default: return "\(v)"
        }
    }

    static func nearest(_ word: String, in candidates: some Collection<String>) -> String? {
        nearestCandidate(to: word, in: candidates)
    }
}

/// A problem in a model spec, located by file and JSON path.
public struct SpecError: Error, CustomStringConvertible, LocalizedError {
    public let file: String
    public let path: String
    public let message: String
    public var description: String { "\(file): \(path): \(message)" }
    public var errorDescription: String? { description }
}
