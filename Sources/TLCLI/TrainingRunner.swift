import Foundation
import TLTransfer
import TLSafeTensors
import TLTensor
import TLModels
import TLDistributed

/// Wires a `Trainer` to the terminal: progress bar or lines, Ctrl-C, resume files (on Ctrl-C
/// and every `--resume-every` minutes), and the JSON summary.
struct TrainingRunner {
    let context: CommandContext
    /// No progress bar or lines (`--quiet` or `--json`).
    let quiet: Bool
    /// Where the resume file goes: `<out>.resume.safetensors`.
    let resumeURL: URL
    /// Seconds between resume writes; nil: only on Ctrl-C. Does not change training results.
    let resumeInterval: Double?
    /// Resume files written by this run.
    let resumeLog = ResumeLog()
    /// Held by the writing process for the whole run: a second run writing the same `--out`
    /// (and resume file) refuses. The other ranks of a data-parallel run write nothing and hold none.
    let lock: OutputLock?
    /// The other ranks of a data-parallel run (`--distributed`); nil: one process.
    let communicator: MPICommunicator?
    /// Whether this process writes files and prints progress: rank 0 (or the only process).
    var isWriter: Bool { (communicator?.rank ?? 0) == 0 }
    /// Seconds this rank spent in gradient allreduce (set after a data-parallel run).
    let distributedLog = DistributedLog()

    final class DistributedLog { var allreduceSeconds = 0.0 }

    /// Counts the resume files a run wrote and their bytes.
    final class ResumeLog {
        var writes = 0
        var bytes = 0
        var failures = 0
        /// "resume state written 2 times (362,000,000 bytes)"
        var summary: String {
            "resume state written \(writes) time\(writes == 1 ? "" : "s") (\(bytes) bytes)" + (failures > 0 ? ", \(failures) failed" : "")
        }
    }

    init(context: CommandContext, output: OutputOptions, resume: ResumeOptions, arguments a: ParsedArguments, out: URL,
         communicator: MPICommunicator? = nil) throws {
        self.context = context
        self.communicator = communicator
        quiet = !output.showsProgress(a) || (communicator?.rank ?? 0) != 0
        resumeURL = Self.resumeURL(for: out)
        resumeInterval = try resume.interval(a)
        lock = (communicator?.rank ?? 0) == 0 ? try OutputLock(destination: out) : nil
    }

    /// Where the resumable state of a run writing `out` goes: `<out>.resume.safetensors`.
    static func resumeURL(for out: URL) -> URL {
        out.deletingPathExtension().appendingPathExtension("resume.safetensors")
    }

    /// Runs the trainer, reporting progress; `saveResume` writes a resumable checkpoint to
    /// `resumeURL` (on Ctrl-C, and when `resumeInterval` has passed since the start or the last write).
    func run(_ trainer: Trainer, resume: TrainingSnapshot?, saveResume: @escaping (TrainingSnapshot) throws -> Void) throws -> TrainingOutcome {
        let progress = context.makeProgressReporter(quiet: quiet)
        let epochs = trainer.settings.epochs
        var events = TrainingEvents()
        events.batchCompleted = { epoch, step, steps, loss, accuracy, rate in
            progress.update(TrainingProgress(epoch: epoch, totalEpochs: epochs, step: step, totalSteps: steps,
                                             loss: loss, accuracy: accuracy, samplesPerSecond: rate))
        }
        events.epochCompleted = { s in
            // One line per epoch: training and validation figures, cache use, elapsed time and ETA.
            progress.finishEpoch(TrainingProgress(epoch: s.epoch, totalEpochs: epochs, step: 0, totalSteps: 0,
                                                  loss: s.trainLoss, accuracy: s.trainAccuracy, samplesPerSecond: s.samplesPerSecond,
                                                  validationLoss: s.validationLoss, validationAccuracy: s.validationAccuracy,
                                                  note: s.cachedBlocks > 0 ? "blocks 0–\(s.cachedBlocks - 1) cached" : nil))
        }
        events.message = { progress.message($0) }
        events.shouldStop = { Interruption.isRequested }
        let clock = ContinuousClock()
        var lastWrite = clock.now
        if let interval = resumeInterval {
            events.resumeStateDue = { lastWrite.duration(to: clock.now) >= .milliseconds(Int64(interval * 1000)) }
        }
        let log = resumeLog, url = resumeURL, writer = isWriter
        events.saveResumeState = { snapshot in
            // A failed resume write (a full disk, say) costs the ability to resume, not the run:
            // warn and keep training; the next due write tries again.
            do {
                if writer { try saveResume(snapshot) }
            } catch {
                progress.message("warning: could not write the resume file: \(oneLineDescription(error)); training goes on")
                log.failures += 1
                lastWrite = clock.now
                return
            }
            lastWrite = clock.now
            log.writes += 1
            log.bytes += (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        }
        Interruption.install()
        defer { Interruption.uninstall(); progress.finish() }
        guard let communicator else { return try trainer.run(events: events, resumeFrom: resume) }
        trainer.communicator = communicator
        if !quiet { progress.message("data-parallel over \(communicator.size) ranks: \(communicator.name); this is rank 0, which writes every file") }
        let outcome = try trainer.run(events: events, resumeFrom: resume)
        distributedLog.allreduceSeconds = trainer.allreduceSeconds
        return outcome
    }
}

/// A `.resume.safetensors` file: the weights at the interruption plus the training snapshot.
enum ResumeFile {
    static func load(_ path: String) throws -> (checkpoint: Checkpoint, snapshot: TrainingSnapshot) {
        var rng = SeededGenerator(seed: 0)
        let checkpoint = try Checkpoint.read(from: URL(fileURLWithPath: path), rng: &rng)
        guard var snapshot = try TrainingSnapshot.from(checkpoint) else {
            throw TrainingError("\(path): holds no resume state (use the .resume.safetensors file written when training stopped)")
        }
        snapshot.source = path
        return (checkpoint, snapshot)
    }
}

/// Formats a fraction as a percentage with one decimal.
func percent(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }

/// JSON text of a dictionary with sorted keys.
func jsonText(_ object: [String: Any]) -> String {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])) ?? Data()
    return String(decoding: data, as: UTF8.self)
}

extension TrainingOutcome {
    /// The machine-readable summary `--json` prints.
    func summary(checkpoint: String?, extra: [String: Any] = [:]) -> [String: Any] {
        var s: [String: Any] = [
            "epochs_run": history.count, "best_epoch": bestEpoch, "steps": steps,
            "samples_per_second": (samplesPerSecond * 10).rounded() / 10, "wall_seconds": (wallSeconds * 1000).rounded() / 1000,
            "stopped_early": stoppedEarly, "interrupted": interrupted,
            "history": history.map { e -> [String: Any] in
                var d: [String: Any] = ["epoch": e.epoch, "train_loss": e.trainLoss, "train_accuracy": e.trainAccuracy,
                                        "samples_per_second": e.samplesPerSecond, "cached_blocks": e.cachedBlocks]
                if let v = e.validationAccuracy { d["validation_accuracy"] = v }
                if let v = e.validationLoss { d["validation_loss"] = v }
                return d
            },
        ]
        if let checkpoint { s["checkpoint"] = checkpoint }
        if let v = bestValidationAccuracy { s["validation_accuracy"] = v }
        if let d = divergence { s["divergence"] = d }
        if let last = history.last { s["train_accuracy"] = last.trainAccuracy; s["train_loss"] = last.trainLoss }
        for (k, v) in extra { s[k] = v }
        return s
    }
}
