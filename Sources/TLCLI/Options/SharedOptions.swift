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

    /// `--seeds N|auto`: how many seeds each side of a transfer comparison runs (1–100), or
    /// `auto`: paired seeds are added until the gain's 95% interval excludes zero or `--max-seeds`.
    static func seeds(default count: Int) -> Option<SeedCount> {
        Option("seeds", default: .fixed(count),
               help: "Seeds per side of the transfer comparison, 1–100 (each seed also draws its own few-shot sample), or auto: add paired seeds (at least \(SeedCount.autoMinimum)) until the 95% interval of the gain excludes zero or --max-seeds is reached.")
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

    /// `--max-seeds N`: the most seeds `--seeds auto` runs (default 10).
    static let maxSeeds = Option<Int>("max-seeds", default: 10, help: "With --seeds auto: the most paired seeds to run (\(SeedCount.autoMinimum)–100).")

    /// The validated seed plan: a fixed count, or adaptive up to `--max-seeds` (when the command has it).
    static func seedPlan(_ a: ParsedArguments, seeds option: Option<SeedCount>, maxSeeds: Option<Int>?) throws -> SeedPlan {
        switch a[option] {
        case .fixed(let n): return .fixed(try Check.within(seedRange, n, option))
        case .auto:
            let limit = try maxSeeds.map { try Check.within(SeedCount.autoMinimum...seedRange.upperBound, a[$0], $0) } ?? 10
            return .adaptive(maximum: limit)
        }
    }

    /// `--limit N`: at most N rows of output (samples for predict, tensors for inspect).
    static let limit = OptionalOption<Int>("limit", short: "n", valueName: "n",
                                           help: "At most this many rows of output (samples to predict, tensors to list).")

    /// The validated `--limit` (0 or more), or nil.
    static func limit(_ a: ParsedArguments) throws -> Int? {
        try a[limit].map { try Check.atLeast(0, $0, limit, what: "a count of 0 or more") }
    }
}

/// A `--seeds` value: a count, or `auto`.
enum SeedCount: ArgumentValue, Equatable {
    case fixed(Int), auto
    /// Seeds `--seeds auto` always runs before it may stop (a t interval needs two; three
    /// keep the first, widest intervals from deciding alone).
    static let autoMinimum = 3

    static var valueName: String { "n|auto" }
    static var expectation: String { "a seed count or auto" }
    init?(argument text: String) {
        if text == "auto" { self = .auto; return }
        guard let n = Int(text) else { return nil }
        self = .fixed(n)
    }
    var argumentDescription: String {
        switch self {
        case .fixed(let n): return String(n)
        case .auto: return "auto"
        }
    }
}

/// How many paired seeds a comparison runs.
enum SeedPlan: Equatable {
    case fixed(Int)
    /// Add seeds until the gain's 95% interval excludes zero, at most `maximum`.
    case adaptive(maximum: Int)
}
