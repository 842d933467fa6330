import Foundation
import TLTensor
import TLTransfer
import TLData
import TLModels

/// `tl eval --source-data DATA`: how much the fine-tuned body forgot of the source task.
extension EvalCommand {
    static let sourceData = OptionalOption<String>("source-data", valueName: "source",
        help: "Also measure forgetting on the source task: the source checkpoint vs the fine-tuned body under the source head (kept by tl finetune), and a linear probe on the features under the head before and after, on samples of this data the source model never trained on.")

    /// The forgetting report as text and JSON, or nil without `--source-data`.
    static func forgetting(_ a: ParsedArguments, checkpoint: Checkpoint, batchSize: Int,
                           log: (String) -> Void) throws -> (text: String, json: [String: Any])? {
        guard let text = a[sourceData] else { return nil }
        let given = try DataOptions.parse(text, option: "--source-data")
        let info = checkpoint.info
        guard info.kind == "finetune", let parentPath = info.parent else {
            throw TrainingError("--source-data needs a checkpoint written by 'tl finetune' (it records its source checkpoint)")
        }
        var rng = SeededGenerator(seed: 0)
        let parent: Checkpoint
        do { parent = try Checkpoint.read(from: URL(fileURLWithPath: parentPath), rng: &rng) } catch {
            throw TrainingError("--source-data compares with the source checkpoint \(parentPath), which cannot be read: \(oneLineDescription(error))")
        }
        let body: TransferModel
        if let kept = try checkpoint.bodyWithSourceHead() {
            body = kept
        } else if info.classNames == parent.info.classNames {
            body = checkpoint.model   // the head was kept: it is the source head, fine-tuned
        } else {
            throw TrainingError("--source-data: the checkpoint replaced the source head and kept no copy of it (fine-tune it again with this version of tl)")
        }
        let preparation = ImagePreparation.forModel(parent.model.spec, info: parent.info)
        let source = given.preparingImages(preparation)
        let recorded = try parent.info.data.map { try DataSource.parse($0, option: "source checkpoint data").preparingImages(preparation) }
        let all = try source.load()
        let raw: Dataset
        if source == recorded {
            raw = try heldOut(all, source: source, sameSource: true, info: parent.info, classes: nil, log: { log("source " + $0) })
        } else {
            do { raw = try all.selectingClasses(named: parent.info.classNames) } catch {
                throw TrainingError("--source-data \(source): \(oneLineDescription(error)) (the source head's classes are \(parent.info.classNames.joined(separator: ",")))")
            }
        }
        guard raw.count > 0 else { throw TrainingError("--source-data \(source): no held-out source samples") }
        let test = try TrainingPipeline.prepareForEvaluation(raw, model: parent.model, info: parent.info)
        let report = try Forgetting.measure(source: parent.model, finetuned: body, data: test, batchSize: batchSize)
        return (render(report, count: test.count, data: source.description, parent: parentPath), json(report))
    }

    /// "forgotten: 3.2 pts [1.1, 5.3]" lines for the source head and the probe.
    static func render(_ r: Forgetting.Report, count: Int, data: String, parent: String) -> String {
        func line(_ label: String, _ c: Forgetting.Comparison) -> [String] {
            [label, percent(c.before), percent(c.after), "forgotten: \(points(c.forgotten.mean)) pts [\(points(c.forgotten.lower)), \(points(c.forgotten.upper))]", String(c.count)]
        }
        var rows = [["measure", "source model", "fine-tuned body", "difference (95% CI, paired over samples)", "samples"]]
        rows.append(line("source head", r.sourceHead))
        if let probe = r.probe { rows.append(line("linear probe", probe)) }
        return "forgetting on the source task (\(count) held-out samples of \(data); source \(parent)):\n"
            + EvalReport.table(rows).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")
            + "\n  (linear probe: logistic regression on the features under the head, fitted on one stratified half, scored on the other)"
    }

    static func points(_ fraction: Double) -> String { String(format: "%+.1f", fraction * 100) }

    static func json(_ r: Forgetting.Report) -> [String: Any] {
        func object(_ c: Forgetting.Comparison) -> [String: Any] {
            ["before": c.before, "after": c.after, "forgotten_points": c.forgotten.mean * 100,
             "ci95_points": [c.forgotten.lower * 100, c.forgotten.upper * 100], "samples": c.count]
        }
        var out: [String: Any] = ["source_head": object(r.sourceHead)]
        out["linear_probe"] = r.probe.map(object) ?? NSNull()
        return out
    }
}
