import Foundation
import TLTensor
import TLTransfer
import TLSafeTensors
import TLModels
import TLNN

/// The "blocks" view of an architecture: what `--freeze` indexes.
enum BlockTable {
    struct Row { var index: Int; var name: String; var output: [Int]; var parameters: Int }

    static func rows(spec: ModelSpec, classes: Int, vocab: Int) throws -> [Row] {
        var rng = SeededGenerator(seed: 0)
        let model = try TransferModel(spec: spec, classCount: classes, vocabularySize: vocab, rng: &rng)
        let shapes = try spec.blockOutputShapes(classes: classes, vocab: vocab)
        return (0..<model.blockCount).map { b in
            Row(index: b, name: spec.blocks[b].name, output: shapes[b], parameters: model.blocks[b].parameterCount)
        }
    }

    static func text(_ rows: [Row], note: String? = nil) -> String {
        var table = [["BLOCK", "NAME", "OUTPUT", "PARAMETERS"]]
        for r in rows { table.append([String(r.index), r.name, "[" + r.output.map(String.init).joined(separator: ", ") + "]", grouped(r.parameters)]) }
        var lines = [EvalReport.table(table), "total parameters: \(grouped(rows.reduce(0) { $0 + $1.parameters }))"]
        if let note { lines.append(note) }
        return lines.joined(separator: "\n")
    }

    static func json(_ rows: [Row]) -> [[String: Any]] {
        rows.map { ["index": $0.index, "name": $0.name, "output_shape": $0.output, "parameters": $0.parameters] }
    }
}
