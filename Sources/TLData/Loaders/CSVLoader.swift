/// Which column of a numeric CSV holds the integer class label.
public enum LabelColumn: Sendable, Equatable {
    /// A header column named `label`, `class` or `target` (any case) wherever it is, else the last column.
    case auto
    case first
    case last
    /// A 0-based column index.
    case index(Int)
    /// A column named in the header row.
    case name(String)
}

/// Options for `CSVLoader`.
public struct CSVOptions: Sendable {
    public var labelColumn: LabelColumn
    /// Whether the first record is a header (`nil`: detected — a header has a non-numeric label
    /// cell, or no numeric cell at all).
    public var hasHeader: Bool?
    public var delimiter: Character
    /// Shape of one sample; `nil` means `[number of feature columns]`.
    public var sampleShape: [Int]?
    /// Every feature value is multiplied by this (e.g. 1/255 for pixels).
    public var scale: Float
    /// Class names; `nil` means "0" … "max label".
    public var classNames: [String]?

    public init(labelColumn: LabelColumn = .auto, hasHeader: Bool? = nil, delimiter: Character = ",",
                sampleShape: [Int]? = nil, scale: Float = 1, classNames: [String]? = nil) {
        self.labelColumn = labelColumn
        self.hasHeader = hasHeader
        self.delimiter = delimiter
        self.sampleShape = sampleShape
        self.scale = scale
        self.classNames = classNames
    }
}

/// Loads numeric CSV files (one sample per row, one integer label column). `.gz` files are
/// decompressed transparently. Every feature must be a finite 32-bit number: `inf`, `nan` or a value
/// beyond ±3.4e38 is an error naming the line and column (documented policy, see docs).
public enum CSVLoader {
    /// Loads `path` as a labelled data set. Every row must have the same width, every feature
    /// cell must be a number and every label a non-negative integer (below `classNames.count`
    /// when class names are given); any violation throws naming the file and line.
    public static func load(_ path: String, options: CSVOptions = CSVOptions()) throws -> Dataset {
        let bytes = try readMaybeGzipped(path)
        return try parse(bytes, file: path, options: options)
    }

    static func parse(_ bytes: [UInt8], file: String, options: CSVOptions) throws -> Dataset {
        guard let delim = options.delimiter.asciiValue else {
            throw DataError(file: file, reason: "delimiter must be an ASCII character")
        }
        let parser = CSVParser(bytes: bytes, delimiter: delim, file: file)
        var width = -1
        var labelAt = -1
        var features: [Float] = []
        var labels: [Int] = []
        var first = true
        let scale = options.scale
        var reading = ""
        try parser.forEachRecord { line, fields in
            if first {
                first = false
                width = fields.count
                guard width >= 2 else {
                    throw DataError(file: file, location: "line \(line)", reason: "expected a label column and at least one feature column, found \(width) column(s)")
                }
                let names = fields.map { parser.string($0).trimmingSpaces }
                let numeric = fields.map { parser.number($0) != nil }
                let (index, named) = try labelIndex(options, names: names, numeric: numeric, file: file, line: line)
                labelAt = index
                let isHeader = options.hasHeader ?? (named || !numeric[index] || !numeric.contains(true))
                reading = labelReading(options.labelColumn, index: index, width: width, header: isHeader ? names[index] : nil)
                if isHeader { return }
                // Rows are usually many: reserve once from the file size estimate.
                features.reserveCapacity(min(bytes.count / 2, 1 << 28))
            }
            guard fields.count == width else {
                throw DataError(file: file, location: "line \(line)", reason: "expected \(width) columns, found \(fields.count)")
            }
            for (k, f) in fields.enumerated() {
                guard let v = parser.number(f) else {
                    let cell = String(parser.string(f).prefix(40))
                    throw DataError(file: file, location: "line \(line)", reason: "column \(k + 1): non-numeric value \"\(cell)\"")
                }
                if k == labelAt {
                    guard v >= 0, v == v.rounded(), v < 1e9 else {
                        throw DataError(file: file, location: "line \(line)", reason: "label \(parser.string(f)) is not a non-negative integer")
                    }
                    if let names = options.classNames, Int(v) >= names.count {
                        throw DataError(file: file, location: "line \(line)", reason: "label \(Int(v)) out of range 0..<\(names.count)")
                    }
                    labels.append(Int(v))
                } else {
                    // Policy: features must be finite 32-bit numbers. "inf", "nan" or 1e39 (beyond
                    // Float's range) would poison every sum downstream, so the row is refused.
                    let x = Float(v) * scale
                    guard x.isFinite else {
                        throw DataError(file: file, location: "line \(line)", reason: "column \(k + 1): value \(String(parser.string(f).prefix(40))) is not a finite 32-bit number (features must be finite)")
                    }
                    features.append(x)
                }
            }
        }
        guard width > 0, !labels.isEmpty else { throw DataError(file: file, reason: "no data rows") }
        let featureCount = width - 1
        var shape = [featureCount]
        if let s = options.sampleShape {
            guard s.reduce(1, *) == featureCount, s.allSatisfy({ $0 > 0 }) else {
                throw DataError(file: file, reason: "sample shape \(s) does not match \(featureCount) feature columns")
            }
            shape = s
        }
        let names = try options.classNames ?? ClassTable.numberedNames(labels: labels, file: file) { "data row \($0 + 1)" }
        var d = try Dataset(features: features, sampleShape: shape, labels: labels, classNames: names, source: file)
        d.reading.labels = reading
        return d
    }

    /// Names recognised as the label column of a header (compared case-insensitively).
    public static let labelColumnNames = ["label", "class", "target"]

    /// The 0-based label column for the first record, and whether it was found by a header name.
    static func labelIndex(_ options: CSVOptions, names: [String], numeric: [Bool], file: String, line: Int) throws -> (Int, Bool) {
        let width = names.count
        switch options.labelColumn {
        case .first: return (0, false)
        case .last: return (width - 1, false)
        case .index(let k):
            guard k >= 0 && k < width else {
                throw DataError(file: file, location: "line \(line)", reason: "label column \(k + 1) (index \(k)) out of range (row has \(width) columns)")
            }
            return (k, false)
        case .name(let name):
            guard options.hasHeader != false else {
                throw DataError(file: file, reason: "label column \"\(name)\" named but the file has no header")
            }
            if let k = names.firstIndex(of: name) ?? names.firstIndex(where: { $0.lowercased() == name.lowercased() }) { return (k, true) }
            throw DataError(file: file, location: "line \(line)", reason: "no header column named \"\(name)\" (the first row has \(width) columns: \(names.prefix(6).joined(separator: ", "))\(width > 6 ? ", …" : ""))")
        case .auto:
            if options.hasHeader != false,
               let k = names.indices.first(where: { !numeric[$0] && labelColumnNames.contains(names[$0].lowercased()) }) {
                return (k, true)
            }
            return (width - 1, false)
        }
    }

    /// "labels from column 'label' (column 1 of 785)", "labels from the last column (column 785 of 785)".
    static func labelReading(_ column: LabelColumn, index: Int, width: Int, header: String?) -> String {
        let position = "column \(index + 1) of \(width)"
        let name = header.map { " '\($0)'" } ?? ""
        switch column {
        case .last: return "labels from the last column\(name) (\(position))"
        case .first: return "labels from the first column\(name) (\(position))"
        case .auto where !labelColumnNames.contains(header?.lowercased() ?? ""):
            return "labels from the last column\(name) (\(position); no header column named \(labelColumnNames.joined(separator: "/")))"
        default: return "labels from column\(name) (\(position))"
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return String(s)
    }
}
