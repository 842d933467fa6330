import Foundation
import TLTensor
import TLTransfer
import TLData
import TLModels
import TLSafeTensors

/// `tl predict`: class predictions and probabilities for every sample of a data set.
struct PredictCommand: Command {
    static let model = Option<String>("model", short: "m", valueName: "checkpoint", help: "The checkpoint to predict with.")
    static let data = Option<String>("data", valueName: "source", help: "The samples to predict (any data argument; labels are reported too).")
    static let classes = OptionalOption<String>("classes", valueName: "list", help: "Only samples of these classes of --data.")
    static let out = OptionalOption<String>("out", short: "o", valueName: "file", help: "Write to this file (atomically) instead of stdout.")
    static let limit = OptionalOption<Int>("limit", short: "n", valueName: "n", help: "Only the first n samples.")
    static let json = Flag("json", help: "JSON instead of CSV.")

    var name: String { "predict" }
    var abstract: String { "Predict labels and class probabilities as CSV or JSON." }
    var discussion: String {
        "CSV columns: index, label (the sample's own label in --data), predicted, confidence, then one probability column per class.\nExample: tl predict --model target.safetensors --data mnist5k --classes 5-9 --limit 5"
    }
    var arguments: [any ArgumentDefinition] { [Self.model, Self.data, Self.classes, Self.out, Self.limit, Self.json] }

    func run(_ a: ParsedArguments, context: CommandContext) throws -> ExitCode {
        if let n = a[Self.limit], n < 1 { throw UsageError(.invalidValue(option: "--limit", expected: "a positive integer", got: String(n))) }
        let source = try TrainingOptions.parseDataArgument(a[Self.data])
        let url = URL(fileURLWithPath: a[Self.model])
        var rng = SeededGenerator(seed: 0)
        let checkpoint = try Checkpoint.read(from: url, rng: &rng)
        let task = try TaskData.load(source, classes: a[Self.classes], perClass: nil, seed: 0)
        var raw = task.selected
        if let n = a[Self.limit] { raw = raw.prefix(n) }
        let data = try TrainingPipeline.prepareForEvaluation(raw, model: checkpoint.model, info: checkpoint.info)
        let p = try TrainingPipeline.predictProbabilities(checkpoint.model, data: data)
        let names = checkpoint.info.classNames
        let k = names.count
        var text: String
        if a[Self.json] {
            let rows: [[String: Any]] = (0..<data.count).map { i in
                let row = Array(p[(i * k)..<((i + 1) * k)])
                let best = row.indices.max { row[$0] < row[$1] }!
                return ["index": i, "label": raw.classNames[raw.labels[i]], "predicted": names[best],
                        "confidence": Double(row[best]), "probabilities": Dictionary(uniqueKeysWithValues: zip(names, row.map(Double.init)))]
            }
            text = jsonText(["model": url.path, "data": source.description, "predictions": rows])
        } else {
            func field(_ s: String) -> String { s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s }
            var lines = [(["index", "label", "predicted", "confidence"] + names.map { "p_" + $0 }).map(field).joined(separator: ",")]
            for i in 0..<data.count {
                let row = Array(p[(i * k)..<((i + 1) * k)])
                let best = row.indices.max { row[$0] < row[$1] }!
                lines.append(([String(i), field(raw.classNames[raw.labels[i]]), field(names[best]), String(format: "%.6f", row[best])]
                              + row.map { String(format: "%.6f", $0) }).joined(separator: ","))
            }
            text = lines.joined(separator: "\n")
        }
        if let out = a[Self.out] {
            try writeAtomically(text + "\n", to: URL(fileURLWithPath: out))
        } else {
            context.print(text)
        }
        return .success
    }
}
