import Foundation

/// A typed selection of a model's ordered top-level blocks (see `Module.orderedBlocks()`),
/// parsed once from the command-line grammar and resolved against a block count later.
///
/// Grammar (whitespace around items is ignored):
///
///     selector := 'none' | item (',' item)*
///     item     := 'all' | 'all-but-head' | bound | [bound] ('..' | '...') [bound] | [bound] '..<' bound
///     bound    := N | 'head' | 'head-' N
///
/// `..` and `...` are inclusive (`0..3` = `0...3` = blocks 0, 1, 2, 3), `..<` excludes its
/// upper bound (`0..<4` = `0..3`). A missing lower bound is block 0, a missing upper bound
/// the last block (the head). `head` is the last block and `head-K` the K-th block below
/// it, so `head-2..head-1` are the two blocks under the head on any model; `all` is `0..head`
/// and `all-but-head` is `0..head-1`.
public struct BlockSelector: Hashable, Sendable, CustomStringConvertible {
    /// One end of a range: an absolute block index or a distance below the head.
    public enum Bound: Hashable, Sendable, CustomStringConvertible {
        case index(Int)
        case head(minus: Int)

        /// The block index on a model with `blockCount` blocks (may be out of range).
        public func resolve(blockCount: Int) -> Int {
            switch self {
            case .index(let i): return i
            case .head(let k): return blockCount - 1 - k
            }
        }

        public var description: String {
            switch self {
            case .index(let i): return String(i)
            case .head(let k): return k == 0 ? "head" : "head-\(k)"
            }
        }
    }

    /// An inclusive range of blocks.
    public struct Range: Hashable, Sendable, CustomStringConvertible {
        public var lower: Bound
        public var upper: Bound
        public init(_ lower: Bound, _ upper: Bound) { self.lower = lower; self.upper = upper }

        public var description: String {
            if self == BlockSelector.all.ranges[0] { return "all" }
            if self == BlockSelector.allButHead.ranges[0] { return "all-but-head" }
            if lower == upper { return lower.description }
            return upper == .head(minus: 0) ? "\(lower).." : "\(lower)..\(upper)"
        }
    }

    /// The ranges, in the order given; empty selects no block (`none`).
    public var ranges: [Range]

    public init(_ ranges: [Range]) { self.ranges = ranges }

    public static let none = BlockSelector([])
    public static let all = BlockSelector([Range(.index(0), .head(minus: 0))])
    public static let allButHead = BlockSelector([Range(.index(0), .head(minus: 1))])

    /// Blocks `from...through` (absolute indices).
    public static func blocks(_ from: Int, through: Int) -> BlockSelector { BlockSelector([Range(.index(from), .index(through))]) }

    /// The canonical text, which `parse` reads back to an equal value.
    public var description: String { ranges.isEmpty ? "none" : ranges.map(\.description).joined(separator: ",") }

    /// Parses the grammar above; throws `ModuleError.invalidSelector` naming the bad text.
    public static func parse(_ text: String) throws -> BlockSelector {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t == "none" { return .none }
        var ranges: [Range] = []
        for raw in t.split(separator: ",", omittingEmptySubsequences: false) {
            let item = raw.trimmingCharacters(in: .whitespaces)
            guard let range = parseItem(item) else { throw ModuleError.invalidSelector(item.isEmpty ? text : item) }
            ranges.append(range)
        }
        return BlockSelector(ranges)
    }

    private static func parseItem(_ item: String) -> Range? {
        switch item {
        case "all": return all.ranges[0]
        case "all-but-head": return allButHead.ranges[0]
        default: break
        }
        if let b = parseBound(item) { return Range(b, b) }
        for op in ["..<", "...", ".."] {
            guard let r = item.range(of: op) else { continue }
            let lowerText = String(item[..<r.lowerBound]), upperText = String(item[r.upperBound...])
            let lower = lowerText.isEmpty ? .index(0) : parseBound(lowerText)
            guard let lower else { return nil }
            if op == "..<" {
                // Exclusive upper bound: stored inclusively, one block lower.
                switch parseBound(upperText) {
                case .index(let i)?: return i > 0 ? Range(lower, .index(i - 1)) : nil
                case .head(let k)?: return Range(lower, .head(minus: k + 1))
                case nil: return nil
                }
            }
            let upper = upperText.isEmpty ? .head(minus: 0) : parseBound(upperText)
            guard let upper else { return nil }
            // Two absolute bounds can be checked now; head-relative ones when resolved.
            if case .index(let a) = lower, case .index(let b) = upper, a > b { return nil }
            if case .head(let a) = lower, case .head(let b) = upper, a < b { return nil }
            return Range(lower, upper)
        }
        return nil
    }

    private static func parseBound(_ text: String) -> Bound? {
        if text == "head" { return .head(minus: 0) }
        if text.hasPrefix("head-"), let k = unsigned(text.dropFirst(5)) { return .head(minus: k) }
        return unsigned(Substring(text)).map(Bound.index)
    }

    private static func unsigned(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text)
    }

    /// The selected block indices (sorted, unique) on a model with `blockCount` blocks.
    /// Throws `ModuleError.blockOutOfRange` when a range reaches outside `0..<blockCount` or
    /// resolves to no block (e.g. `2..head-1` on a 3-block model).
    public func resolve(blockCount: Int) throws -> [Int] {
        var chosen = Set<Int>()
        for r in ranges {
            let a = r.lower.resolve(blockCount: blockCount), b = r.upper.resolve(blockCount: blockCount)
            guard a >= 0, b < blockCount, a <= b else {
                throw ModuleError.blockOutOfRange(requested: r.description, blockCount: blockCount)
            }
            chosen.formUnion(a...b)
        }
        return chosen.sorted()
    }

    /// The single absolute range this selector is, if it is one (`ParameterSelector.blocks`).
    var absoluteRange: (from: Int, through: Int?)? {
        guard ranges.count == 1, case .index(let a) = ranges[0].lower else { return nil }
        switch ranges[0].upper {
        case .index(let b): return (a, b)
        case .head(0): return (a, nil)
        default: return nil
        }
    }
}

/// Stored as `{"ranges": [{"from": 0, "through": "head-1"}]}` (a bound is an index or
/// `"head"`/`"head-K"`). Settings written before the typed form held the selector text
/// (`"0..3"`); that still decodes, through `parse`.
extension BlockSelector: Codable {
    private enum Keys: String, CodingKey { case ranges, from, through }

    public init(from decoder: Decoder) throws {
        if let legacy = try? decoder.singleValueContainer().decode(String.self) {
            self = try Self.parse(legacy)
            return
        }
        let c = try decoder.container(keyedBy: Keys.self)
        var list = try c.nestedUnkeyedContainer(forKey: .ranges)
        var ranges: [Range] = []
        while !list.isAtEnd {
            let r = try list.nestedContainer(keyedBy: Keys.self)
            ranges.append(Range(try Self.decodeBound(r, .from), try Self.decodeBound(r, .through)))
        }
        self.init(ranges)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        var list = c.nestedUnkeyedContainer(forKey: .ranges)
        for r in ranges {
            var item = list.nestedContainer(keyedBy: Keys.self)
            try Self.encodeBound(r.lower, &item, .from)
            try Self.encodeBound(r.upper, &item, .through)
        }
    }

    private static func decodeBound(_ c: KeyedDecodingContainer<Keys>, _ key: Keys) throws -> Bound {
        if let i = try? c.decode(Int.self, forKey: key), i >= 0 { return .index(i) }
        let text = try c.decode(String.self, forKey: key)
        guard text.hasPrefix("head"), let b = parseBound(text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "expected a block index, head or head-K, got '\(text)'")
        }
        return b
    }

    private static func encodeBound(_ b: Bound, _ c: inout KeyedEncodingContainer<Keys>, _ key: Keys) throws {
        switch b {
        case .index(let i): try c.encode(i, forKey: key)
        case .head: try c.encode(b.description, forKey: key)
        }
    }
}
