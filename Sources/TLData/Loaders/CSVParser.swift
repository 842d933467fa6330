/// RFC 4180 CSV/TSV tokenizer over raw bytes.
///
/// Fields may be quoted with `"`; inside quotes the delimiter, CR/LF and doubled quotes `""`
/// are literal. Lines may end in LF or CRLF. Records are delivered one at a time with the
/// 1-based line number where they start, so errors can name the line.
struct CSVParser {
    /// A field as a byte range of the input; `quoted` fields may contain `""` escapes.
    struct Field {
        var start: Int
        var end: Int
        var quoted: Bool
    }

    let bytes: [UInt8]
    let delimiter: UInt8
    let file: String

    init(bytes: [UInt8], delimiter: UInt8, file: String) {
        self.bytes = bytes
        self.delimiter = delimiter
        self.file = file
    }

    /// Calls `body(line, fields)` for every non-empty record.
    func forEachRecord(_ body: (Int, [Field]) throws -> Void) throws {
        let n = bytes.count
        var fields: [Field] = []
        fields.reserveCapacity(1024)
        var line = 1
        try bytes.withUnsafeBufferPointer { b in
            var i = 0
            // Skip a UTF-8 byte-order mark.
            if n >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF { i = 3 }
            while i < n {
                let recordLine = line
                fields.removeAll(keepingCapacity: true)
                var endOfRecord = false
                while !endOfRecord {
                    if i < n && b[i] == UInt8(ascii: "\"") {
                        let start = i + 1
                        i += 1
                        var closed = false
                        while i < n {
                            if b[i] == UInt8(ascii: "\"") {
                                if i + 1 < n && b[i + 1] == UInt8(ascii: "\"") { i += 2; continue }
                                closed = true
                                break
                            }
                            if b[i] == 10 { line += 1 }
                            i += 1
                        }
                        guard closed else {
                            throw DataError(file: file, location: "line \(recordLine)", reason: "unterminated quoted field")
                        }
                        fields.append(Field(start: start, end: i, quoted: true))
                        i += 1  // closing quote
                        if i < n && b[i] != delimiter && b[i] != 10 && b[i] != 13 {
                            throw DataError(file: file, location: "line \(line)", reason: "unexpected character after closing quote")
                        }
                    } else {
                        let start = i
                        while i < n && b[i] != delimiter && b[i] != 10 && b[i] != 13 { i += 1 }
                        fields.append(Field(start: start, end: i, quoted: false))
                    }
                    if i >= n { endOfRecord = true }
                    else if b[i] == delimiter { i += 1; if i >= n { fields.append(Field(start: n, end: n, quoted: false)); endOfRecord = true } }
                    else {
                        if b[i] == 13 { i += 1 }
                        if i < n && b[i] == 10 { i += 1 }
                        line += 1
                        endOfRecord = true
                    }
                }
                // Blank lines (a single empty unquoted field) are skipped.
                if fields.count == 1 && !fields[0].quoted && fields[0].start == fields[0].end { continue }
                try body(recordLine, fields)
            }
        }
    }

    /// The text of a field, with `""` unescaped in quoted fields.
    func string(_ f: Field) -> String {
        let s = String(decoding: bytes[f.start..<f.end], as: UTF8.self)
        return f.quoted ? s.replacingOccurrences(of: "\"\"", with: "\"") : s
    }

    /// Parses a field as a number; nil if it is not one (surrounding spaces are allowed).
    func number(_ f: Field) -> Double? {
        bytes.withUnsafeBufferPointer { parseNumber($0, f.start, f.end) }
    }
}

/// Fast decimal parser for CSV cells: handles `[-+]digits[.digits][e[-+]digits]` directly and
/// falls back to `Double(String)` for anything else (e.g. "nan", long mantissas).
func parseNumber(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
    var s = start, e = end
    while s < e && (b[s] == 32 || b[s] == 9) { s += 1 }
    while e > s && (b[e - 1] == 32 || b[e - 1] == 9) { e -= 1 }
    guard s < e else { return nil }
    var i = s
    var negative = false
    if b[i] == UInt8(ascii: "-") { negative = true; i += 1 } else if b[i] == UInt8(ascii: "+") { i += 1 }
    var mantissa: UInt64 = 0
    var digits = 0, fracDigits = 0
    while i < e, b[i] &- 48 < 10 { mantissa = mantissa &* 10 &+ UInt64(b[i] &- 48); digits += 1; i += 1 }
    if i < e && b[i] == UInt8(ascii: ".") {
        i += 1
        while i < e, b[i] &- 48 < 10 { mantissa = mantissa &* 10 &+ UInt64(b[i] &- 48); digits += 1; fracDigits += 1; i += 1 }
    }
    if i == e && digits > 0 && digits <= 18 {
        var v = Double(mantissa)
        if fracDigits > 0 { v /= powersOfTen[fracDigits] }
        return negative ? -v : v
    }
    let text = String(decoding: UnsafeBufferPointer(rebasing: b[s..<e]), as: UTF8.self)
    return Double(text)
}

private let powersOfTen: [Double] = (0...18).map { p in (0..<p).reduce(1.0) { a, _ in a * 10 } }
