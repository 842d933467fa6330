import Foundation
import TLTransfer
import TLData
import TLModels
import TLSafeTensors

/// `tl rank`: which pretrained checkpoint to start from, estimated without fine-tuning.
struct RankCommand: Command {
    static let candidates = RepeatedPositional<String>("checkpoint", required: true, help: "Candidate source checkpoints (.safetensors; image or token models, imported ones included).")
    static let blocks = Flag("blocks", help: "Also score the output of every block below the head (LogME and H-score per block).")
    static let seed = TrainingOptions.seed
    static let data = DataOptions(role: .ranking)
    static let compute = ComputeOptions()
    static let output = OutputOptions(product: .printedResult)

    var name: String { "rank" }
    var abstract: String { "Rank candidate source checkpoints for a target by transferability scores." }
    var discussion: String {
        """
        Reads the target once through each candidate (no fine-tuning) and scores the features of the block \
        before the head with LogME (You et al. 2021: Bayesian linear-model evidence per sample), LEEP (Nguyen \
        et al. 2020: from the source head's predicted labels), NCE (Tran et al. 2019: negative conditional \
        entropy of target given source labels) and H-score (Bao et al. 2019). Higher is better for every score; \
        the table is sorted by LogME. LEEP and NCE need a trained source head: an imported encoder's placeholder \
        head makes them n/a. H-score is at most classes − 1 and saturates when there are fewer samples than \
        feature dimensions. --per-class draws the few-shot target with --seed.
        Example: tl rank --data mnist5k --classes 5-9 --per-class 10 a.safetensors b.safetensors
        """
    }
    var arguments: [any ArgumentDefinition] { [Self.candidates, Self.blocks, Self.seed] }
    var groups: [any OptionGroup] { [Self.data, Self.compute, Self.output] }

    func run(_ a: ParsedArguments, context: CommandContext) throws -> ExitCode {
        guard let source = try Self.data.source(a) else { throw UsageError(.missingRequired("required option --data <source>")) }
        let task = try TaskData.load(source, classes: a[DataOptions.classes], perClass: try Self.data.perClass(a), perClassCounts: try Self.data.perClassCounts(a), seed: a[Self.seed])
        let target = task.selected
        guard Set(target.labels).count >= 2 else {
            throw TrainingError("\(source): scoring needs samples of at least two target classes")
        }
        let batchSize = try ComputeOptions.batchSize(a)
        let log: (String) -> Void = { if Self.output.showsProgress(a) { context.printError($0) } }
        log("target: \(target.count) samples of \(target.classCount) classes from \(source)")
        let started = Date()
        var results: [CandidateScores] = []
        for path in a[Self.candidates] {
            let url = URL(fileURLWithPath: path)
            let file = try SafeTensorsFile.read(from: url)
            let scores = try Transferability.score(checkpoint: file, path: url.path, target: target, allBlocks: a[Self.blocks], batchSize: batchSize)
            log("  \(path): LogME \(fixed(scores.features.logME, 4)) (\(fixed(scores.seconds, 2)) s)")
            results.append(scores)
        }
        let seconds = Date().timeIntervalSince(started)
        let ranked = results.sorted { $0.features.logME > $1.features.logME }
        let text = Self.output.wantsJSON(a)
            ? jsonText(["data": source.description, "samples": target.count, "classes": target.classCount, "seconds": seconds,
                        "candidates": ranked.enumerated().map { Self.json($1, rank: $0 + 1) }])
            : Self.table(ranked, blocks: a[Self.blocks]) + "\n\n\(ranked.count) candidate\(ranked.count == 1 ? "" : "s") scored on \(target.count) target samples in \(fixed(seconds, 2)) s"
        try Self.output.emit(text, a, context: context)
        return .success
    }

    static func number(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "n/a" }

    static func table(_ ranked: [CandidateScores], blocks: Bool) -> String {
        var rows = [["RANK", "CANDIDATE", "ARCH", "FEATURES", "LOGME", "LEEP", "NCE", "H-SCORE"]]
        for (i, c) in ranked.enumerated() {
            rows.append([String(i + 1), URL(fileURLWithPath: c.path).lastPathComponent, c.architecture,
                         "\(c.features.block) \(c.features.name) (\(c.features.dimension))",
                         number(c.features.logME), number(c.leep), number(c.nce), number(c.features.hScore)])
        }
        var text = EvalReport.table(rows)
        if blocks {
            for c in ranked {
                var blockRows = [["BLOCK", "NAME", "DIM", "LOGME", "H-SCORE"]]
                for b in c.blocks { blockRows.append([String(b.block), b.name, String(b.dimension), number(b.logME), number(b.hScore)]) }
                text += "\n\n\(URL(fileURLWithPath: c.path).lastPathComponent), per block:\n" + EvalReport.table(blockRows)
            }
        }
        return text
    }

    static func json(_ c: CandidateScores, rank: Int) -> [String: Any] {
        func block(_ b: BlockScores) -> [String: Any] {
            ["block": b.block, "name": b.name, "dimension": b.dimension, "logme": b.logME, "hscore": b.hScore]
        }
        var d: [String: Any] = ["rank": rank, "checkpoint": c.path, "architecture": c.architecture, "kind": c.kind,
                                "features": block(c.features), "logme": c.features.logME, "hscore": c.features.hScore,
                                "leep": c.leep ?? NSNull(), "nce": c.nce ?? NSNull(), "seconds": c.seconds]
        if !c.blocks.isEmpty { d["blocks"] = c.blocks.map(block) }
        return d
    }
}
