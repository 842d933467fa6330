import Foundation
import TLTensor
import TLTransfer
import TLData
import TLModels
import TLSafeTensors

/// `tl predict`: class predictions and probabilities for every sample of a data set.
struct PredictCommand: Command {
    static let model = SharedOptions.model(.checkpoint("to predict with"))
    static let limit = SharedOptions.limit
    static let data = DataOptions(role: .prediction)
    static let compute = ComputeOptions()
    static let output = OutputOptions(product: .printedResult)

    var name: String { "predict" }
    var abstract: String { "Predict labels and class probabilities as CSV or JSON." }
    var discussion: String {
        "CSV columns: index, label (the sample's own label in --data), predicted, confidence, then one probability column per class.\nExample: tl predict --model target.safetensors --data mnist5k --classes 5-9 --limit 5"
    }
    var arguments: [any ArgumentDefinition] { [Self.model, Self.limit] }
    var groups: [any OptionGroup] { [Self.data, Self.compute, Self.output] }

    func run(_ a: ParsedArguments, context: CommandContext) throws -> ExitCode {
        let limit = try SharedOptions.limit(a)
        let source = try Self.data.source(a)!
        let modelPath = a.value(of: Self.model, as: String.self)!
        let url = URL(fileURLWithPath: modelPath)
        var rng = SeededGenerator(seed: 0)
        let checkpoint = try Checkpoint.read(from: url, rng: &rng)
        let task = try DataOptions.namingClasses { try TaskData.load(source, classes: a[DataOptions.classes], perClass: nil, seed: 0) }
        var raw = task.selected
        if let limit { raw = raw.prefix(limit) }
        let data = try TrainingPipeline.prepareForEvaluation(raw, model: checkpoint.model, info: checkpoint.info)
        let p = try TrainingPipeline.predictProbabilities(checkpoint.model, data: data, batchSize: ComputeOptions.batchSize(a))
        let names = checkpoint.info.classNames
        let k = names.count
        var text: String
        if Self.output.wantsJSON(a) {
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
        try Self.output.emit(text, a, context: context)
        return .success
    }
}
