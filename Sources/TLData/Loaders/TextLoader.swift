/// Which column of a text classification file holds a value.
public enum TextColumn: Sendable, Equatable {
    /// A 0-based column index.
    case index(Int)
    /// A column named in the header row (requires a header).
    case name(String)
}

/// Loads text classification files: CSV/TSV with a label column and a text column, RFC 4180
/// quoting (embedded delimiters, doubled quotes and newlines inside quotes). Labels are strings;
/// class names are the sorted distinct labels and each label becomes its index.
public enum TextClassificationLoader {
    /// - Parameters:
    ///   - delimiter: `nil` picks tab for `.tsv` files and comma otherwise.
    ///   - hasHeader: whether the first record is a header (must be true to use `.name` columns).
    ///   - classNames: fixed class names (labels outside them are an error); `nil` derives them.
    public static func load(_ path: String, labelColumn: TextColumn = .index(0), textColumn: TextColumn = .index(1),
                            hasHeader: Bool = true, delimiter: Character? = nil,
                            classNames: [String]? = nil) throws -> Dataset {
        let bytes = try readMaybeGzipped(path)
        let d: Character = delimiter ?? ((path.hasSuffix(".tsv") || path.hasSuffix(".tsv.gz")) ? "\t" : ",")
        guard let delim = d.asciiValue else { throw DataError(file: path, reason: "delimiter must be an ASCII character") }
        let parser = CSVParser(bytes: bytes, delimiter: delim, file: path)
        var labelIdx = -1, textIdx = -1
        var rawLabels: [String] = []
        var texts: [String] = []
        var first = true
        func resolve(_ c: TextColumn, _ header: [String], _ line: Int) throws -> Int {
            switch c {
            case .index(let k):
                guard k >= 0 else { throw DataError(file: path, location: "line \(line)", reason: "negative column index \(k)") }
                return k
            case .name(let n):
                guard hasHeader else { throw DataError(file: path, reason: "column \"\(n)\" named but the file has no header") }
                guard let k = header.firstIndex(of: n) else {
                    throw DataError(file: path, location: "line \(line)", reason: "no header column named \"\(n)\" (have \(header.joined(separator: ", ")))")
                }
                return k
            }
        }
        try parser.forEachRecord { line, fields in
            if first {
                first = false
                let header = fields.map { parser.string($0).trimmingSpaces }
                labelIdx = try resolve(labelColumn, header, line)
                textIdx = try resolve(textColumn, header, line)
                if hasHeader { return }
            }
            let needed = max(labelIdx, textIdx) + 1
            guard fields.count >= needed else {
                throw DataError(file: path, location: "line \(line)", reason: "expected at least \(needed) columns, found \(fields.count)")
            }
            let label = parser.string(fields[labelIdx]).trimmingSpaces
            guard !label.isEmpty else { throw DataError(file: path, location: "line \(line)", reason: "empty label") }
            rawLabels.append(label)
            texts.append(parser.string(fields[textIdx]))
        }
        guard !texts.isEmpty else { throw DataError(file: path, reason: "no data rows") }
        let names = classNames ?? Array(Set(rawLabels)).sorted()
        var index: [String: Int] = [:]
        for (i, n) in names.enumerated() { index[n] = i }
        var labels: [Int] = []
        labels.reserveCapacity(rawLabels.count)
        for (row, l) in rawLabels.enumerated() {
            guard let k = index[l] else {
                throw DataError(file: path, location: "record \(row + 1)", reason: "label \"\(l)\" is not one of \(names.joined(separator: ", "))")
            }
            labels.append(k)
        }
        return try Dataset(features: [], sampleShape: [0], labels: labels, classNames: names, texts: texts, source: path)
    }
}
