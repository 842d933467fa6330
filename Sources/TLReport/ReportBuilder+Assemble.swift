import Foundation
import TLTensor
import TLNN
import TLModels
import TLTransfer
import TLSafeTensors

extension ReportBuilder {
    /// What a report is built from; every optional part adds its section.
    public struct Inputs {
        public var title: String
        public var subtitle: String
        /// The trained (or loaded) model and its recorded provenance, `info.history` included.
        public var model: TransferModel
        public var info: CheckpointInfo
        /// Where the checkpoint was written or read (provenance).
        public var checkpointPath: String?
        /// Learning curves; the run's own first.
        public var curves: [CurveRun] = []
        public var evaluation: Evaluation?
        public var comparison: Comparison?
        /// The checkpoint fine-tuning started from, for the drift section.
        public var source: (file: SafeTensorsFile, path: String)?
        /// Whether fine-tuning replaced the head (nil: not a fine-tuning run).
        public var headReplaced: Bool?

        public init(title: String, subtitle: String, model: TransferModel, info: CheckpointInfo, checkpointPath: String?) {
            self.title = title
            self.subtitle = subtitle
            self.model = model
            self.info = info
            self.checkpointPath = checkpointPath
        }
    }

    /// The report of `inputs`. The plan and the phase bands come from a `FreezeSchedule`
    /// rebuilt from the recorded settings on a fresh copy of the architecture (the trained
    /// model's freeze flags may have changed during the run).
    public static func assemble(_ inputs: Inputs) throws -> RunReport {
        var report = RunReport(title: inputs.title, subtitle: inputs.subtitle)
        report.curves = inputs.curves.filter { !$0.history.isEmpty }
        report.bestEpoch = inputs.info.bestEpoch
        report.comparison = inputs.comparison
        report.evaluation = inputs.evaluation
        report.provenance = provenance(inputs.info, checkpoint: inputs.checkpointPath)
        let model = inputs.model
        if let settings = inputs.info.settings {
            var rng = SeededGenerator(seed: 0)
            if let fresh = try? TransferModel(spec: model.spec, classCount: model.classCount, vocabularySize: model.vocabularySize, rng: &rng),
               (try? Freezing.apply(settings, to: fresh)) != nil {
                let schedule = FreezeSchedule(settings: settings, model: fresh)
                report.plan = plan(model: fresh, settings: settings, schedule: schedule, headReplaced: inputs.headReplaced)
                report.phases = bands(schedule, model: fresh)
            }
        }
        if let source = inputs.source {
            // Unknown head policy (a checkpoint read later): replaced when the classes differ, as --head auto does.
            let replaced = inputs.headReplaced
                ?? ((try? Checkpoint.header(of: source.file, path: source.path).info.classNames).map { $0 != inputs.info.classNames } ?? false)
            report.drift = try ReportAnalysis.drift(model, source: source.file, frozenBlocks: Set(inputs.info.frozenBlocks ?? []),
                                                    headReplaced: replaced)
            report.driftSource = source.path
        }
        return report
    }
}
