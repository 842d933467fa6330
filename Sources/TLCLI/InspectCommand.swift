import Foundation
import TLTransfer
import TLModels
import TLSafeTensors
import TLNN

/// `tl inspect FILE`: describes a safetensors file (tensor names, dtypes, shapes, parameter
/// count, metadata) from its header alone, so even large checkpoints answer instantly.
public struct InspectCommand: Command {
    public enum SortOrder: String, ChoiceArgument {
        case offset, name, size
    }

    static let file = Positional<String>("file", help: "The .safetensors checkpoint, .json model spec or PyTorch .pth checkpoint to describe.")
    static let output = OutputOptions(product: .none)
    static let limit = SharedOptions.limit
    static let sort = Option<SortOrder>("sort", default: .offset,
                                         help: "Order of the tensor list: by position in the file, by name, or largest first.")

    public init() {}

    public var name: String { "inspect" }
    public var abstract: String { "Show the blocks, tensors and metadata of a checkpoint, or the blocks of a model spec." }
    public var discussion: String {
        """
        Reads and validates the header only (names, dtypes, shapes, offsets, metadata), \
        so it is fast on large checkpoints. A malformed file is reported as one error line and exit status 1.
        """
    }
    public var arguments: [any ArgumentDefinition] { [Self.file, Self.limit, Self.sort] }
    public var groups: [any OptionGroup] { [Self.output] }

    public func run(_ arguments: ParsedArguments, context: CommandContext) throws -> ExitCode {
        let limit = try SharedOptions.limit(arguments)
        let path = arguments[Self.file]
        let url = URL(fileURLWithPath: path)
        if url.pathExtension.lowercased() == "json" { return try inspectSpec(url, json: arguments[OutputOptions.json], context: context) }
        switch FileKind.sniff(url) {
        case .pytorchZip, .pickle:
            return try inspectPyTorch(path: path, limit: limit, sort: arguments[Self.sort], json: arguments[OutputOptions.json], context: context)
        default: break
        }
        let header: SafeTensorsHeader
        do { header = try SafeTensorsHeader.read(from: url) } catch let error as SafeTensorsError {
            // Name the file as the user typed it, not as an absolute path.
            throw SafeTensorsError(path: path, kind: error.kind, problem: error.problem)
        }
        var entries = header.entries
        switch arguments[Self.sort] {
        case .offset: break
        case .name: entries.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        case .size: entries.sort { ($0.elementCount, $1.name) > ($1.elementCount, $0.name) }
        }
        let shown = Array(entries.prefix(limit ?? entries.count))
        var blocks: [BlockTable.Row]? = nil
        var adapters: AdapterInfo? = nil
        if let specText = header.metadata[Checkpoint.specKey] {
            let spec = try ModelSpec.parse(Data(specText.utf8), file: "\(url.path) [\(Checkpoint.specKey)]")
            let info = header.metadata[Checkpoint.infoKey].flatMap { try? JSONDecoder().decode(CheckpointInfo.self, from: Data($0.utf8)) }
            blocks = try BlockTable.rows(spec: spec, classes: info?.classNames.count ?? 1, vocab: info?.vocabulary?.count ?? 0)
            adapters = info?.adapters
        }
        if arguments[OutputOptions.json] {
            context.print(try jsonDescription(url: url, header: header, shown: shown, blocks: blocks, adapters: adapters))
        } else {
            if let blocks { context.print(BlockTable.text(blocks, note: "(blocks are what --freeze indexes)") + "\n") }
            if let adapters { context.print(Self.adapterText(adapters) + "\n") }
            context.print(textDescription(url: url, header: header, shown: shown))
        }
        return .success
    }

    /// A model spec: its blocks with output shapes and parameter counts (for 10 classes and,
    /// for token models, a 30,522-token vocabulary, since those come from the data).
    func inspectSpec(_ url: URL, json: Bool, context: CommandContext) throws -> ExitCode {
        let spec = try ModelSpec.load(from: url)
        let rows = try BlockTable.rows(spec: spec, classes: 10, vocab: 30_522)
        if json {
            let object: [String: Any] = ["file": url.path, "name": spec.name, "blocks": BlockTable.json(rows),
                                         "assumed": ["classes": 10, "vocab": 30_522]]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            context.print(String(decoding: data, as: UTF8.self))
        } else {
            context.print("\(url.path): \(spec.name)\(spec.description.map { " — \($0)" } ?? "")")
            context.print(BlockTable.text(rows, note: "(shapes for 10 classes; blocks are what --freeze indexes)"))
        }
        return .success
    }

    /// A PyTorch checkpoint (zip or legacy): its tensors, read without running its pickle.
    func inspectPyTorch(path: String, limit: Int?, sort: SortOrder, json: Bool, context: CommandContext) throws -> ExitCode {
        let bytes: [UInt8]
        do { bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) } catch {
            throw PyTorchCheckpointError(file: path, message: "cannot read file (\(error.localizedDescription))")
        }
        let file = try PyTorchCheckpoint.decode(bytes, file: path)
        var entries = file.entries
        switch sort {
        case .offset: break
        case .name: entries.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        case .size: entries.sort { ($0.tensor.count, $1.name) > ($1.tensor.count, $0.name) }
        }
        let shown = Array(entries.prefix(limit ?? entries.count))
        let parameters = file.entries.reduce(0) { $0 + $1.tensor.count }
        if json {
            let object: [String: Any] = ["file": path, "format": "pytorch-\(file.format)", "tensor_count": file.entries.count,
                                         "parameters": parameters,
                                         "tensors": shown.map { ["name": $0.name, "dtype": $0.dtype.rawValue, "shape": $0.tensor.shape,
                                                                 "parameters": $0.tensor.count] as [String: Any] }]
            context.print(jsonText(object))
            return .success
        }
        var lines = [path, "  format      PyTorch \(file.format) (torch.save)", "  tensors     \(grouped(file.entries.count))",
                     "  parameters  \(grouped(parameters))"]
        let rows: [[String]] = shown.map { e -> [String] in
            let shape: String = "[" + e.tensor.shape.map(String.init).joined(separator: ", ") + "]"
            return [e.name, e.dtype.rawValue, shape, grouped(e.tensor.count)]
        }
        lines.append("")
        lines += Self.tensorTable(rows)
        if shown.count < entries.count { lines.append("(\(grouped(entries.count - shown.count)) more tensors not shown)") }
        context.print(lines.joined(separator: "\n"))
        return .success
    }

    /// The tensor list as aligned lines: name, dtype and shape left-aligned, parameter count right-aligned.
    static func tensorTable(_ rows: [[String]]) -> [String] {
        let titles = ["NAME", "DTYPE", "SHAPE", "PARAMETERS"]
        let widths = (0..<4).map { column in (rows.map { $0[column].count } + [titles[column].count]).max() ?? 0 }
        func format(_ row: [String]) -> String {
            (0..<3).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                + "  " + String(repeating: " ", count: widths[3] - row[3].count) + row[3]
        }
        return [format(titles)] + rows.map(format)
    }

    func textDescription(url: URL, header: SafeTensorsHeader, shown: [SafeTensorsHeader.Entry]) -> String {
        var lines = [
            url.path,
            "  tensors     \(grouped(header.entries.count))",
            "  parameters  \(grouped(header.parameterCount))",
            "  data        \(byteSize(header.dataByteCount))",
            "  header      \(byteSize(header.headerByteCount))",
        ]
        if !shown.isEmpty {
            let rows = shown.map { [$0.name, $0.dtype.rawValue, "[" + $0.shape.map(String.init).joined(separator: ", ") + "]", grouped($0.elementCount)] }
            lines.append("")
            lines += Self.tensorTable(rows)
        }
        if shown.count < header.entries.count {
            lines.append("(\(grouped(header.entries.count - shown.count)) more tensors not shown)")
        }
        if !header.metadata.isEmpty {
            lines.append("")
            lines.append("metadata:")
            let keys = header.metadata.keys.sorted()
            let width = keys.map { escaped($0).count }.max()!
            for key in keys {
                lines.append("  " + escaped(key).padding(toLength: width, withPad: " ", startingAt: 0) + "  " + escaped(header.metadata[key]!))
            }
        }
        return lines.joined(separator: "\n")
    }

    func jsonDescription(url: URL, header: SafeTensorsHeader, shown: [SafeTensorsHeader.Entry], blocks: [BlockTable.Row]? = nil,
                         adapters: AdapterInfo? = nil) throws -> String {
        var object: [String: Any] = [
            "file": url.path,
            "parameters": header.parameterCount,
            "tensor_count": header.entries.count,
            "data_bytes": header.dataByteCount,
            "header_bytes": header.headerByteCount,
            "metadata": header.metadata,
            "tensors": shown.map { entry -> [String: Any] in
                ["name": entry.name, "dtype": entry.dtype.rawValue, "shape": entry.shape,
                 "parameters": entry.elementCount,
                 "data_offsets": [entry.dataRange.lowerBound, entry.dataRange.upperBound]]
            },
        ]
        if let blocks { object["blocks"] = BlockTable.json(blocks) }
        if let adapters { object["adapters"] = Self.adapterJSON(adapters) }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}

/// 1234567 → "1,234,567".
func grouped(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var out = ""
    for (i, character) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(character)
    }
    return (value < 0 ? "-" : "") + out
}

/// "4,936 bytes (4.8 KiB)".
func byteSize(_ bytes: Int) -> String {
    let units = ["KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes)
    var unit = -1
    while value >= 1024 && unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    return "\(grouped(bytes)) bytes" + (unit >= 0 ? " (\(fixed(value, 1)) \(units[unit]))" : "")
}

/// Shows control characters as escapes so every metadata entry stays on one line.
func escaped(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        case _ where scalar.value < 0x20 || scalar.value == 0x7F:
            out += "\\u{" + String(scalar.value, radix: 16) + "}"
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out
}

/// The LoRA adapters of an adapter checkpoint (`tl finetune --lora`).
extension InspectCommand {
    static func adapterText(_ a: AdapterInfo) -> String {
        (["LoRA adapters: rank \(a.rank), alpha \(fixed(a.alpha, 3)) (scale \(fixed(a.alpha / Double(a.rank), 3))), targets \(a.targets.joined(separator: ",")): "
            + "\(a.modules.count) layers, \(grouped(a.parameterCount)) adapter parameters",
          "  base \(a.base) (sha256 \(a.baseSHA256)); this file stores only what changed"]
         + a.modules.map { "  " + $0 }).joined(separator: "\n")
    }

    static func adapterJSON(_ a: AdapterInfo) -> [String: Any] {
        ["rank": a.rank, "alpha": a.alpha, "targets": a.targets, "modules": a.modules, "parameters": a.parameterCount,
         "base": a.base, "base_sha256": a.baseSHA256]
    }
}
