import Foundation
import TLIO
import TLTensor
import TLTransfer
import TLSafeTensors
import TLModels

/// `--resume FILE` and `--resume-every MINUTES`: continue an interrupted pretrain or finetune run from its
/// `.resume.safetensors` file (weights, optimizer state, position, recorded data and settings).
struct ResumeOptions: OptionGroup {
    static let resume = OptionalOption<String>("resume", valueName: "file",
        help: "Continue an interrupted run from its .resume.safetensors file (its data, settings and position are recorded there).")

    static let resumeEvery = Option<Double>("resume-every", default: 10, valueName: "minutes",
        help: "Also write the resume file every this many minutes of training (checked after each batch); 0 writes it only on Ctrl-C.")

    var arguments: [any ArgumentDefinition] { [Self.resume, Self.resumeEvery] }

    func prepare(_ a: ParsedArguments) throws { _ = try interval(a) }

    /// Seconds between resume writes, or nil for "only on Ctrl-C" (`--resume-every 0`).
    func interval(_ a: ParsedArguments) throws -> Double? {
        let minutes = a[Self.resumeEvery]
        guard minutes >= 0 else { throw UsageError.invalid("--resume-every", expected: "minutes ≥ 0 (0: only on Ctrl-C)", got: minutes) }
        return minutes > 0 ? minutes * 60 : nil
    }

    /// The resume file's checkpoint and training snapshot, when `--resume` is given.
    func load(_ a: ParsedArguments) throws -> (checkpoint: Checkpoint, snapshot: TrainingSnapshot)? {
        try a[Self.resume].map(ResumeFile.load)
    }
}

/// Options with the same meaning wherever they appear, declared once.
enum SharedOptions {
    /// `--model`: the model a command works on, as a file. Commands that run weights take a
    /// checkpoint; `pretrain`, which starts from nothing, takes an architecture spec.
    static func model(_ kind: ModelFileKind) -> any ArgumentDefinition {
        switch kind {
        case .spec:
            return OptionalOption<String>("model", short: "m", valueName: "spec.json", requiredUnless: ["resume"],
                help: "The model: an architecture spec (e.g. Models/lenet.json), trained from random initialisation.")
        case .checkpoint(let purpose):
            return Option<String>("model", short: "m", valueName: "checkpoint", help: "The model: a checkpoint (.safetensors) \(purpose).")
        }
    }

    enum ModelFileKind { case spec, checkpoint(String) }

    /// `--seeds N`: how many seeds each side of a transfer comparison runs (1–100).
    static func seeds(default count: Int) -> Option<Int> {
        Option("seeds", default: count,
               help: "Seeds per side of the transfer comparison, 1–100 (each seed also draws its own few-shot sample).")
    }

    static let seedRange = 1...100

    /// `--text` / `--file`: raw sentences for token models (`tl embed`, `tl predict`).
    static let text = RepeatedOption<String>("text", short: "t", valueName: "sentence", help: "A sentence to embed or classify; give --text once per sentence.")
    static let file = OptionalOption<String>("file", short: "f", valueName: "lines.txt", help: "Every non-empty line of this UTF-8 file, as one sentence each (after any --text).")

    /// The sentences of `--text` and `--file`, in that order.
    static func texts(_ a: ParsedArguments) throws -> [String] {
        var texts = a[text]
        if let path = a[file] {
            let data: Data
            do { data = try RegularFile.read(path) } catch let e as FileAccessError {
                throw UsageError("--file: \(e)")
            }
            guard let content = String(data: data, encoding: .utf8) else { throw TrainingError("\(path): not UTF-8 text") }
            texts += content.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        }
        return texts
    }

    /// `--limit N`: at most N rows of output (samples for predict, tensors for inspect).
    static let limit = OptionalOption<Int>("limit", short: "n", valueName: "n",
                                           help: "At most this many rows of output (samples to predict, tensors to list).")

    /// The validated `--limit` (0 or more), or nil.
    static func limit(_ a: ParsedArguments) throws -> Int? {
        try a[limit].map { try Check.atLeast(0, $0, limit, what: "a count of 0 or more") }
    }
}
