/// Which column of a numeric CSV holds the integer class label.
public enum LabelColumn: Sendable, Equatable {
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
    /// Whether the first record is a header (`nil`: detected — a header has a non-numeric label cell).
    public var hasHeader: Bool?
    public var delimiter: Character
    /// Shape of one sample; `nil` means `[number of feature columns]`.
    public var sampleShape: [Int]?
    /// Every feature value is multiplied by this (e.g. 1/255 for pixels).
    public var scale: Float
    /// Class names; `nil` means "0" … "max label".
    public var classNames: [String]?

    public init(labelColumn: LabelColumn = .last, hasHeader: Bool? = nil, delimiter: Character = ",",
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
/// decompressed transparently.
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
        var labelIndex = -1
        var features: [Float] = []
        var labels: [Int] = []
        var first = true
        let scale = options.scale
        try parser.forEachRecord { line, fields in
            if first {
                first = false
                width = fields.count
                guard width >= 2 else {
                    throw DataError(file: file, location: "line \(line)", reason: "expected a label column and at least one feature column, found \(width) column(s)")
                }
                switch options.labelColumn {
                case .first: labelIndex = 0
                case .last: labelIndex = width - 1
                case .index(let k):
                    guard k >= 0 && k < width else {
                        throw DataError(file: file, location: "line \(line)", reason: "label column \(k) out of range (row has \(width) columns)")
                    }
                    labelIndex = k
                case .name(let name):
                    guard let k = fields.firstIndex(where: { parser.string($0).trimmingSpaces == name }) else {
                        throw DataError(file: file, location: "line \(line)", reason: "no header column named \"\(name)\"")
                    }
                    labelIndex = k
                    return  // this record is the header
                }
                let isHeader = options.hasHeader ?? (parser.number(fields[labelIndex]) == nil)
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
                if k == labelIndex {
                    guard v >= 0, v == v.rounded(), v < 1e9 else {
                        throw DataError(file: file, location: "line \(line)", reason: "label \(parser.string(f)) is not a non-negative integer")
                    }
                    if let names = options.classNames, Int(v) >= names.count {
                        throw DataError(file: file, location: "line \(line)", reason: "label \(Int(v)) out of range 0..<\(names.count)")
                    }
                    labels.append(Int(v))
                } else {
                    features.append(Float(v) * scale)
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
        let names = options.classNames ?? (0...(labels.max() ?? 0)).map(String.init)
        return try Dataset(features: features, sampleShape: shape, labels: labels, classNames: names, source: file)
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
