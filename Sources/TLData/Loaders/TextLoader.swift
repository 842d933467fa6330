/// Which column of a text classification file holds a value.
public enum TextColumn: Sendable, Equatable {
    /// A 0-based column index.
    case index(Int)
    /// A column named in the header row (requires a header; compared case-insensitively).
    case name(String)
}

/// Options for `TextClassificationLoader`; every `nil` is detected from the file.
public struct TextOptions: Sendable {
    public var labelColumn: TextColumn?
    public var textColumn: TextColumn?
    /// Whether the first record is a header; `nil`: yes when one of its cells is a known column
    /// name (`TextClassificationLoader.labelNames` / `textNames`).
    public var hasHeader: Bool?
    /// `nil`: tab when the file contains a tab, else comma (with RFC 4180 quotes).
    public var delimiter: Character?
    /// Fixed class names (labels outside them are an error); `nil` derives them.
    public var classNames: [String]?

    public init(labelColumn: TextColumn? = nil, textColumn: TextColumn? = nil, hasHeader: Bool? = nil,
                delimiter: Character? = nil, classNames: [String]? = nil) {
        self.labelColumn = labelColumn
        self.textColumn = textColumn
        self.hasHeader = hasHeader
        self.delimiter = delimiter
        self.classNames = classNames
    }
}

/// Loads text classification files: CSV/TSV with a label column and a text column, RFC 4180
/// quoting (embedded delimiters, doubled quotes and newlines inside quotes). Labels are strings;
/// class names are the sorted distinct labels and each label becomes its index.
///
/// Detection, for what the options leave open: the delimiter is tab when the file has tabs,
/// else comma; the first row is a header when a cell is a known column name; the label and text
/// columns are found by header name, else the label is the column with the fewest distinct
/// values (then the shortest) and the text the one with the longest values. A file of one
/// column, or of plain lines split unevenly at commas, has no labels and is an error, and so
/// is a detected label column with as many classes as rows (or more than half as many, from
/// 20 rows on): the message says what was read and which options choose otherwise.
public enum TextClassificationLoader {
    /// Header names taken as the label column.
    public static let labelNames = ["label", "labels", "class", "category", "target", "sentiment", "y"]
    /// Header names taken as the text column.
    public static let textNames = ["text", "sentence", "review", "content", "document", "body", "message", "tweet", "comment"]

    /// Loads `path`; every argument left `nil` is detected (see `TextOptions`).
    public static func load(_ path: String, labelColumn: TextColumn? = nil, textColumn: TextColumn? = nil,
                            hasHeader: Bool? = nil, delimiter: Character? = nil, classNames: [String]? = nil) throws -> Dataset {
        try load(path, options: TextOptions(labelColumn: labelColumn, textColumn: textColumn, hasHeader: hasHeader,
                                            delimiter: delimiter, classNames: classNames))
    }

    /// Loads `path` with `options`; the data set's `reading.labels` says which columns were used.
    public static func load(_ path: String, options: TextOptions) throws -> Dataset {
        try parse(try readMaybeGzipped(path), file: path, options: options)
    }

    /// Parses the (decompressed) bytes of a text file; `path` names it in errors.
    static func parse(_ bytes: [UInt8], file path: String, options: TextOptions) throws -> Dataset {
        let d: Character = options.delimiter ?? (bytes.contains(9) ? "\t" : ",")
        guard let delim = d.asciiValue else { throw DataError(file: path, reason: "delimiter must be an ASCII character") }
        let parser = CSVParser(bytes: bytes, delimiter: delim, file: path)
        var rows: [(line: Int, cells: [String])] = []
        try parser.forEachRecord { line, fields in rows.append((line, fields.map { parser.string($0) })) }
        guard let firstRow = rows.first else { throw DataError(file: path, reason: "no data rows") }
        let known = Set(labelNames + textNames)
        let headerCells = firstRow.cells.map { $0.trimmingSpaces.lowercased() }
        let namesColumn = [options.labelColumn, options.textColumn].contains { if case .name = $0 { return true }; return false }
        if options.hasHeader == false && namesColumn {
            throw DataError(file: path, reason: "a column is named but the file has no header (header=no)")
        }
        let hasHeader = options.hasHeader ?? (namesColumn || headerCells.contains { known.contains($0) })
        let data = hasHeader ? Array(rows.dropFirst()) : rows
        guard !data.isEmpty else { throw DataError(file: path, reason: "no data rows") }
        let widths = data.map(\.cells.count)
        let width = hasHeader ? headerCells.count : widths.max() ?? 0
        let explicit = options.labelColumn != nil && options.textColumn != nil
        let unevenCommas = delim == UInt8(ascii: ",") && !hasHeader && Set(widths).count > 1
        if !explicit && (width < 2 || unevenCommas) {
            let shape = width < 2 ? "one column" : "plain lines (\(widths.min()!)–\(widths.max()!) comma-separated parts per row)"
            throw DataError(file: path, reason: "\(shape), so no labels: training needs a label and a text per row (LABEL,TEXT or LABEL<tab>TEXT), or choose the columns with label=N,text=N")
        }

        func resolve(_ c: TextColumn, _ what: String) throws -> Int {
            switch c {
            case .index(let k):
                guard k >= 0 else { throw DataError(file: path, reason: "negative \(what) column index \(k)") }
                return k
            case .name(let n):
                guard let k = headerCells.firstIndex(of: n.lowercased()) else {
                    throw DataError(file: path, location: "line \(firstRow.line)", reason: "no header column named \"\(n)\" (have \(firstRow.cells.joined(separator: ", ")))")
                }
                return k
            }
        }
        let usable = hasHeader ? width : widths.min() ?? 0
        func stats(_ k: Int) -> (distinct: Int, length: Double) {
            let values = data.compactMap { $0.cells.count > k ? $0.cells[k].trimmingSpaces : nil }
            return (Set(values).count, Double(values.reduce(0) { $0 + $1.count }) / Double(max(1, values.count)))
        }
        var labelIdx = try options.labelColumn.map { try resolve($0, "label") }
            ?? (hasHeader ? headerCells.firstIndex(where: { labelNames.contains($0) }) : nil)
        var textIdx = try options.textColumn.map { try resolve($0, "text") }
            ?? (hasHeader ? headerCells.indices.first { textNames.contains(headerCells[$0]) && $0 != labelIdx } : nil)
        let labelDetected = options.labelColumn == nil
        let columns = (0..<usable).map { (index: $0, stats: stats($0)) }
        if labelIdx == nil {
            labelIdx = columns.filter { $0.index != textIdx }
                .min { ($0.stats.distinct, $0.stats.length) < ($1.stats.distinct, $1.stats.length) }?.index
        }
        if textIdx == nil {
            textIdx = columns.filter { $0.index != labelIdx }.max { $0.stats.length < $1.stats.length }?.index
        }
        guard let labelIdx, let textIdx else {
            throw DataError(file: path, reason: "cannot tell the label column from the text column; choose them with label=N,text=N")
        }
        guard labelIdx != textIdx else { throw DataError(file: path, reason: "the label and text columns are both column \(labelIdx + 1)") }

        var rawLabels: [String] = [], texts: [String] = []
        let needed = max(labelIdx, textIdx) + 1
        for row in data {
            guard row.cells.count >= needed else {
                throw DataError(file: path, location: "line \(row.line)", reason: "expected at least \(needed) columns, found \(row.cells.count)")
            }
            let label = row.cells[labelIdx].trimmingSpaces
            guard !label.isEmpty else { throw DataError(file: path, location: "line \(row.line)", reason: "empty label") }
            rawLabels.append(label)
            texts.append(row.cells[textIdx])
        }
        func describe(_ k: Int) -> String {
            hasHeader && k < firstRow.cells.count ? "column '\(firstRow.cells[k].trimmingSpaces)' (column \(k + 1) of \(width))" : "column \(k + 1) of \(width)"
        }
        let reading = "labels from \(describe(labelIdx)), texts from \(describe(textIdx)), \(hasHeader ? "first row a header" : "no header row")"
        let names = options.classNames ?? Array(Set(rawLabels)).sorted()
        let rowsRead = rawLabels.count
        if labelDetected && options.classNames == nil && ((rowsRead >= 3 && names.count == rowsRead) || (rowsRead >= 20 && names.count * 2 > rowsRead)) {
            throw DataError(file: path, reason: "\(names.count) classes in \(rowsRead) rows looks wrong (\(reading)); choose the columns with label=N,text=N (1-based) and the header with header=yes|no")
        }
        var index: [String: Int] = [:]
        for (i, n) in names.enumerated() { index[n] = i }
        var labels: [Int] = []
        labels.reserveCapacity(rawLabels.count)
        for (row, l) in rawLabels.enumerated() {
            guard let k = index[l] else {
                throw DataError(file: path, location: "line \(data[row].line)", reason: "label \"\(l)\" is not one of \(names.joined(separator: ", "))")
            }
            labels.append(k)
        }
        var result = try Dataset(features: [], sampleShape: [0], labels: labels, classNames: names, texts: texts, source: path)
        result.reading.labels = reading
        return result
    }
}
