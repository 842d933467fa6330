import Foundation
import TLTensor
import TLTransfer
import TLData
import TLModels
import TLSafeTensors

/// `tl predict`: class predictions and probabilities for every sample of a data set, or for
/// raw inputs — image files and folders, sentences (see `PredictCommand+Raw.swift`).
struct PredictCommand: Command {
    static let model = SharedOptions.model(.checkpoint("to predict with"))
    static let limit = SharedOptions.limit
    static let inputs = RepeatedPositional<String>("input", help: "Image files or folders to predict (instead of --data).")
    static let text = SharedOptions.text
    static let file = SharedOptions.file
    static let top = Option<Int>("top", default: 5, valueName: "k", help: "Raw inputs: the k most probable classes per input, with their probabilities.")
    static let data = DataOptions(role: .prediction)
    static let compute = ComputeOptions()
    static let output = OutputOptions(product: .printedResult)

    var name: String { "predict" }
    var abstract: String { "Predict labels and class probabilities as CSV or JSON." }
    var discussion: String {
        """
        With --data, CSV columns: index, label (the sample's own label in --data), predicted, confidence, then one probability column per class.
        With raw inputs (image files or folders, --text, --file): one row per input: input (the file or the text), then the --top k classes and their probabilities (class1, p1, class2, p2, …). Images are prepared for the model as recorded in the checkpoint (else its input size, aspect kept by a centre crop) and normalised as in training.
        Examples: tl predict --model target.safetensors --data mnist5k --classes 5-9 --limit 5
                  tl predict --model photos.safetensors cat.jpg holiday/ --top 3
                  tl predict --model reviews.safetensors --text "A triumph." --file more.txt
        """
    }
    var arguments: [any ArgumentDefinition] { [Self.model, Self.limit, Self.text, Self.file, Self.top, Self.inputs] }
    var groups: [any OptionGroup] { [Self.data, Self.compute, Self.output] }

    func run(_ a: ParsedArguments, context: CommandContext) throws -> ExitCode {
        let limit = try SharedOptions.limit(a)
        let modelPath = a.value(of: Self.model, as: String.self)!
        let url = URL(fileURLWithPath: modelPath)
        let rawInputs = !a[Self.inputs].isEmpty || !a[Self.text].isEmpty || a[Self.file] != nil
        guard let source = try Self.data.source(a) else {
            guard rawInputs else {
                throw UsageError(.missingRequired("something to predict: --data <source>, image files or folders, --text <sentence> or --file <lines.txt>"))
            }
            return try predictRaw(a, url: url, limit: limit, context: context)
        }
        guard !rawInputs else { throw UsageError("--data excludes image files, --text and --file: predict one kind of input at a time") }
        var rng = SeededGenerator(seed: 0)
        let checkpoint = try Checkpoint.read(from: url, rng: &rng)
        let prepared = source.preparingImages(ImagePreparation.forModel(checkpoint.model.spec, info: checkpoint.info))
        let task = try DataOptions.namingClasses { try TaskData.load(prepared, classes: a[DataOptions.classes], perClass: nil, seed: 0) }
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
                let best = row.indices.max { row[$0] < row[$1] } ?? 0
                return ["index": i, "label": raw.classNames[raw.labels[i]], "predicted": names[best],
                        "confidence": Double(row[best]), "probabilities": Dictionary(uniqueKeysWithValues: zip(names, row.map(Double.init)))]
            }
            text = jsonText(["model": url.path, "data": source.description, "predictions": rows])
        } else {
            var lines = [(["index", "label", "predicted", "confidence"] + names.map { "p_" + $0 }).map(CSV.field).joined(separator: ",")]
            for i in 0..<data.count {
                let row = Array(p[(i * k)..<((i + 1) * k)])
                let best = row.indices.max { row[$0] < row[$1] } ?? 0
                lines.append(([String(i), CSV.field(raw.classNames[raw.labels[i]]), CSV.field(names[best]), String(format: "%.6f", row[best])]
                              + row.map { String(format: "%.6f", $0) }).joined(separator: ","))
            }
            text = lines.joined(separator: "\n")
        }
        try Self.output.emit(text, a, context: context)
        return .success
    }
}
