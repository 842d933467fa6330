import Foundation
import TLTensor
import TLTransfer
import TLData
import TLModels

extension PredictCommand {
    /// Predictions for raw inputs: image files and folders (image models) or sentences (token
    /// models), each row naming its input, with the top-k classes and probabilities.
    func predictRaw(_ a: ParsedArguments, url: URL, limit: Int?, context: CommandContext) throws -> ExitCode {
        let k = a[Self.top]
        guard k >= 1 else { throw UsageError.invalid("--top", expected: "a positive integer", got: k) }
        let paths = a[Self.inputs], texts = try SharedOptions.texts(a)
        guard paths.isEmpty || texts.isEmpty else {
            throw UsageError("image files and --text/--file exclude each other: a model takes images or text, not both")
        }
        var rng = SeededGenerator(seed: 0)
        let checkpoint = try Checkpoint.read(from: url, rng: &rng)
        let model = checkpoint.model
        var inputs: [String]
        var samples: Dataset
        if case .tokens = model.spec.input {
            guard paths.isEmpty else {
                throw UsageError("\(url.path) is a text model (\(model.spec.input.summary)); give sentences with --text or --file, not image files")
            }
            guard !texts.isEmpty else { throw UsageError(.missingRequired("some input: --text <sentence> or --file <lines.txt>")) }
            inputs = texts
            samples = try Dataset(features: [], sampleShape: [0], labels: Array(repeating: 0, count: texts.count),
                                  classNames: ["unlabelled"], texts: texts, source: "--text/--file")
        } else {
            guard texts.isEmpty else {
                throw UsageError("--text and --file need a text model; \(url.path) takes \(model.spec.input.summary) images: give image files or folders")
            }
            let loaded = try ImageFolderLoader.loadUnlabeled(paths, preparation: ImagePreparation.forModel(model.spec, info: checkpoint.info))
            if Self.output.showsProgress(a), let note = loaded.data.reading.images { context.printError(note) }
            inputs = loaded.files
            samples = loaded.data
        }
        if let limit, limit < inputs.count { inputs = Array(inputs.prefix(limit)); samples = samples.prefix(limit) }
        let data = try TrainingPipeline.prepareForEvaluation(samples, model: model, info: checkpoint.info)
        let p = try TrainingPipeline.predictProbabilities(model, data: data, batchSize: ComputeOptions.batchSize(a))
        let names = checkpoint.info.classNames
        let classes = names.count, top = min(k, classes)
        // Per input: class indices by descending probability (ties: lower index first).
        let ranked: [[Int]] = (0..<inputs.count).map { i in
            Array((0..<classes).sorted { p[i * classes + $0] != p[i * classes + $1] ? p[i * classes + $0] > p[i * classes + $1] : $0 < $1 }.prefix(top))
        }
        let text: String
        if Self.output.wantsJSON(a) {
            let rows: [[String: Any]] = inputs.indices.map { i in
                ["input": inputs[i], "top": ranked[i].map { ["class": names[$0], "probability": Double(p[i * classes + $0])] as [String: Any] }]
            }
            text = jsonText(["model": url.path, "predictions": rows])
        } else {
            var lines = [(["input"] + (1...top).flatMap { ["class\($0)", "p\($0)"] }).joined(separator: ",")]
            for i in inputs.indices {
                lines.append(([CSV.field(inputs[i])] + ranked[i].flatMap { [CSV.field(names[$0]), String(format: "%.6f", p[i * classes + $0])] })
                    .joined(separator: ","))
            }
            text = lines.joined(separator: "\n")
        }
        try Self.output.emit(text, a, context: context)
        return .success
    }
}
