import Foundation

/// Which parameters `freeze` / `unfreeze` act on.
///
/// - `all`: every parameter.
/// - `blocks(from:through:)`: the parameters of the model's ordered top-level blocks
///   `from...through` (inclusive; `through: nil` means "to the last block"). See
///   `Module.orderedBlocks()` for what the blocks are.
/// - `pattern(glob)`: a glob over dotted paths. `*` matches any run of characters, dots
///   included (so `blocks.*.attention.*` matches `blocks.2.attention.query.weight`, and
///   `*.bias` matches every bias at any depth); `?` matches one character; everything else
///   matches itself. A parameter is selected when the pattern matches its full path or the
///   path of any module containing it (`encoder.layers.0` selects that whole layer).
public enum ParameterSelector: Equatable, Sendable, CustomStringConvertible {
    case all
    case blocks(from: Int, through: Int?)
    case pattern(String)

    /// Parses a command-line selector:
    /// `all`; `N` (one block); `N..M` or `N...M` (blocks N through M, inclusive); `N..<M` (N up
    /// to but not including M); `..M` (0 through M); `N..` (N to the last block) — the absolute
    /// forms of `BlockSelector`; anything else is a glob.
    public static func parse(_ text: String) throws -> ParameterSelector {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.isEmpty { throw ModuleError.invalidSelector(text) }
        if t == "all" || t == "*" { return .all }
        // Block indices and ranges use the `BlockSelector` grammar (absolute forms only here).
        let blockLike = t.allSatisfy { $0.isASCII && ($0.isNumber || $0 == "." || $0 == "<") }
        if blockLike {
            guard let range = (try? BlockSelector.parse(t))?.absoluteRange else { throw ModuleError.invalidSelector(text) }
            return .blocks(from: range.from, through: range.through)
        }
        return .pattern(t)
    }

    /// Whether glob `pattern` matches all of `path` (`*` any run of characters, dots
    /// included; `?` one character).
    public static func globMatches(_ pattern: String, _ path: String) -> Bool {
        Glob.matches(Array(pattern), Array(path))
    }

    public var description: String {
        switch self {
        case .all: return "all"
        case let .blocks(from, through): return "blocks \(from)..\(through.map(String.init) ?? "")"
        case .pattern(let p): return p
        }
    }
}

extension Module {
    /// The ordered top-level blocks that block-index selectors refer to, with their paths.
    ///
    /// Default: a `Sequential` is its own elements; any other module uses its first direct
    /// child that is a `Sequential` (declaration order), e.g. a `blocks` property. Models with
    /// another structure override `blockList()` (e.g. `BertModel`: embeddings, then each
    /// encoder layer).
    public func orderedBlocks() throws -> [(path: String, module: Module)] {
        if let custom = blockList() { return custom }
        if let seq = self as? Sequential { return seq.layers.enumerated().map { ("\($0.offset)", $0.element) } }
        for (name, child) in namedChildren() {
            if let seq = child as? Sequential {
                return seq.layers.enumerated().map { ("\(name).\($0.offset)", $0.element) }
            }
        }
        throw ModuleError.noBlocks(module: "\(type(of: self))")
    }

    /// Parameters (with paths) selected by `selector`. Throws when a pattern matches nothing
    /// (naming the nearest valid paths) or a block range reaches past the last block.
    public func selectParameters(_ selector: ParameterSelector) throws -> [(path: String, parameter: Parameter)] {
        let named = namedParameters()
        switch selector {
        case .all:
            return named
        case let .blocks(from, through):
            let blocks = try orderedBlocks()
            let last = through ?? (blocks.count - 1)
            guard from >= 0, from <= last, last < blocks.count else {
                throw ModuleError.blockOutOfRange(requested: "\(from)..\(through.map(String.init) ?? "")", blockCount: blocks.count)
            }
            let chosen = Set(blocks[from...last].flatMap { $0.module.parameters() }.map(ObjectIdentifier.init))
            return named.filter { chosen.contains(ObjectIdentifier($0.parameter)) }
        case .pattern(let pattern):
            let pat = Array(pattern)
            let matched = named.filter { path, _ in
                let parts = path.split(separator: ".", omittingEmptySubsequences: false)
                // The full path and every containing module's path.
                return (1...parts.count).contains { k in Glob.matches(pat, Array(parts[0..<k].joined(separator: "."))) }
            }
            if matched.isEmpty {
                let candidates = Set(named.map(\.path) + namedModules().map(\.path).filter { !$0.isEmpty })
                throw ModuleError.noMatch(pattern: pattern, nearest: Glob.nearest(to: pattern, in: Array(candidates), limit: 5))
            }
            return matched
        }
    }

    /// Freezes the selected parameters; returns how many were selected.
    @discardableResult
    public func freeze(_ selector: ParameterSelector) throws -> Int {
        let selected = try selectParameters(selector)
        for (_, p) in selected { p.freeze() }
        return selected.count
    }

    /// Unfreezes the selected parameters; returns how many were selected.
    @discardableResult
    public func unfreeze(_ selector: ParameterSelector) throws -> Int {
        let selected = try selectParameters(selector)
        for (_, p) in selected { p.unfreeze() }
        return selected.count
    }

    /// Parses `text` (see `ParameterSelector.parse`) and freezes what it selects.
    @discardableResult
    public func freeze(_ text: String) throws -> Int { try freeze(ParameterSelector.parse(text)) }

    /// Parses `text` and unfreezes what it selects.
    @discardableResult
    public func unfreeze(_ text: String) throws -> Int { try unfreeze(ParameterSelector.parse(text)) }
}

/// Glob matching and nearest-name suggestions for selectors.
enum Glob {
    /// Whether `pattern` (`*` any run incl. dots, `?` one character) matches all of `text`.
    static func matches(_ pattern: [Character], _ text: [Character]) -> Bool {
        // Iterative wildcard matching with single backtrack point: O(|p|·|t|) worst case.
        var p = 0, t = 0, star = -1, mark = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == "?" || pattern[p] == text[t] { p += 1; t += 1 }
            else if p < pattern.count, pattern[p] == "*" { star = p; mark = t; p += 1 }
            else if star >= 0 { p = star + 1; mark += 1; t = mark }
            else { return false }
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }

    static func matches(_ pattern: [Character], _ text: String) -> Bool { matches(pattern, Array(text)) }

    /// The `limit` candidates closest to `pattern` by edit distance (ties by name).
    static func nearest(to pattern: String, in candidates: [String], limit: Int) -> [String] {
        var scored: [(name: String, distance: Int)] = []
        for c in candidates { scored.append((c, editDistance(pattern, c))) }
        scored.sort { (a: (name: String, distance: Int), b: (name: String, distance: Int)) -> Bool in
            a.distance != b.distance ? a.distance < b.distance : a.name < b.name
        }
        return scored.prefix(limit).map { $0.name }
    }
}
