import Foundation
import TLTransfer
import TLSafeTensors
import TLModels

/// What a command writes and how much it says: `--out`, `--json`, `--quiet`, with one meaning
/// in every command.
///
/// - `--out FILE`: the file holding the command's result, written atomically (a temporary file
///   renamed into place, so a failed run never leaves half a file). Checkpoint-writing commands
///   need a `.safetensors` name; result-printing commands write what they would print, and a
///   `.json` name selects JSON.
/// - `--json`: the result as JSON on stdout. It says nothing about stderr.
/// - `--quiet`: no progress or summary lines on stderr (errors are still printed).
/// The two are independent: stdout carries the result, stderr the progress, so a script can
/// read JSON from stdout and still log progress, or silence it with both flags.
struct OutputOptions: OptionGroup {
    enum Product: Sendable {
        /// A checkpoint; `--out` is required unless one of these options is given (`dry-run`).
        case checkpoint(requiredUnless: [String])
        /// A required checkpoint.
        case requiredCheckpoint
        /// The printed result (CSV, JSON or a report); `--out` is optional.
        case printedResult
        /// A required HTML report (`tl report`).
        case report
        /// No `--out` (the command's result is only printed).
        case none
    }

    let product: Product

    static let json = Flag("json", help: "Print the result as JSON on stdout (progress still goes to stderr unless --quiet).")
    static let quiet = Flag("quiet", short: "q", help: "No progress or summary lines on stderr (errors are still printed).")

    var out: (any ArgumentDefinition)? {
        let checkpointHelp = "Where to write the checkpoint (a .safetensors name in an existing folder; written atomically)."
        switch product {
        case .checkpoint(let alternatives):
            return OptionalOption<String>("out", short: "o", valueName: "file", requiredUnless: alternatives, help: checkpointHelp)
        case .requiredCheckpoint:
            return Option<String>("out", short: "o", valueName: "file", help: checkpointHelp)
        case .printedResult:
            return OptionalOption<String>("out", short: "o", valueName: "file",
                help: "Write the result to this file (atomically) instead of stdout; a .json name writes JSON.")
        case .report:
            return Option<String>("out", short: "o", valueName: "file", help: "Where to write the HTML report (an .html name in an existing folder; written atomically).")
        case .none:
            return nil
        }
    }

    var arguments: [any ArgumentDefinition] { (out.map { [$0] } ?? []) + [Self.json, Self.quiet] }

    func prepare(_ a: ParsedArguments) throws {
        guard let out, let path = a.value(of: out, as: String.self) else { return }
        switch product {
        case .checkpoint, .requiredCheckpoint:
            guard path.hasSuffix(".safetensors") else { throw UsageError.invalid("--out", expected: "a .safetensors file name", got: path) }
        case .report:
            guard path.lowercased().hasSuffix(".html") || path.lowercased().hasSuffix(".htm") else {
                throw UsageError.invalid("--out", expected: "an .html file name", got: path)
            }
        case .printedResult, .none:
            break
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.isEmpty ? "." : folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw UsageError.invalid("--out", expected: "a path in an existing folder", got: path)
        }
    }

    /// The validated `--out` as a URL, or nil when absent (validated by `prepare`).
    func outURL(_ a: ParsedArguments) -> URL? {
        out.flatMap { a.value(of: $0, as: String.self) }.map { URL(fileURLWithPath: $0) }
    }

    /// Whether to print JSON: `--json`, or an `--out` file named `.json`.
    func wantsJSON(_ a: ParsedArguments) -> Bool {
        a[Self.json] || (writesPrintedResult && outURL(a)?.pathExtension.lowercased() == "json")
    }

    var writesPrintedResult: Bool { if case .printedResult = product { return true }; return false }

    /// Whether progress and summary lines go to stderr (`--quiet` silences them; `--json` does
    /// not; in a data-parallel run only rank 0 speaks).
    func showsProgress(_ a: ParsedArguments) -> Bool { !a[Self.quiet] && DistributedOptions.isWriter }

    /// Writes `text` to `--out` atomically, or prints it on stdout.
    func emit(_ text: String, _ a: ParsedArguments, context: CommandContext) throws {
        if let url = outURL(a) { try writeAtomically(text + "\n", to: url) } else { context.print(text) }
    }
}
