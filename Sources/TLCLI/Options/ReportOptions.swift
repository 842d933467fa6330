import Foundation
import TLReport
import TLSafeTensors

/// `--report FILE.html` on the commands that train or evaluate (pretrain, finetune, eval):
/// after the run, one self-contained HTML page with its plots, written atomically. Validated
/// before any work: an `.html` name in an existing folder.
struct ReportOptions: OptionGroup {
    static let report = OptionalOption<String>("report", valueName: "file.html",
        help: "Also write a self-contained HTML report of the run (learning curves, gain, confusion, calibration, drift, worst examples, PCA, plan, provenance; written atomically).")

    var arguments: [any ArgumentDefinition] { [Self.report] }

    func prepare(_ a: ParsedArguments) throws {
        guard let path = a[Self.report] else { return }
        try Self.validate(path, option: "--report")
    }

    /// An `.html` name in an existing folder, or a usage error naming `option`.
    static func validate(_ path: String, option: String) throws {
        let lower = path.lowercased()
        guard lower.hasSuffix(".html") || lower.hasSuffix(".htm") else {
            throw UsageError.invalid(option, expected: "an .html file name", got: path)
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.isEmpty ? "." : folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw UsageError.invalid(option, expected: "a path in an existing folder", got: path)
        }
    }

    /// The requested report file, or nil.
    func url(_ a: ParsedArguments) -> URL? { a[Self.report].map { URL(fileURLWithPath: $0) } }

    /// Renders `report` and writes it atomically to `url`; says where (with its size and the
    /// time taken, which includes `build`) unless `quiet`.
    static func write(to url: URL, quiet: Bool, context: CommandContext, build: () throws -> RunReport) throws {
        let clock = ContinuousClock()
        let started = clock.now
        let html = HTMLReport.render(try build())
        try writeAtomically(html, to: url)
        let took = started.duration(to: clock.now).components
        let seconds = Double(took.seconds) + Double(took.attoseconds) / 1e18
        if !quiet {
            context.printError("report: \(url.path) (\(html.utf8.count / 1024) KB, built in \(String(format: "%.2f", seconds)) s)")
        }
    }
}
