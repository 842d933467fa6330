import Foundation
import TLTransfer
import TLModels
import TLSafeTensors

/// The source checkpoint of `tl finetune` after it has been loaded. The run does not keep the
/// file's tensors in memory (the model holds its own copy of every weight, and a replaced
/// head is kept beside the new one); what needs the source after training (the frozen-weights
/// check, the report's drift) reads it back from disk. The file's size and modification time
/// are taken when it is loaded, and a file that has changed since is refused by name instead
/// of being compared against.
struct LoadedSource {
    let url: URL
    private let size: UInt64
    private let modified: Date?

    /// Notes `url`'s size and modification time (call right after reading it).
    init(_ url: URL) {
        self.url = url
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
        size = (attributes?[.size] as? NSNumber)?.uint64Value ?? 0
        modified = attributes?[.modificationDate] as? Date
    }

    /// Throws when the file is no longer the one the run started from.
    func requireUnchanged(for purpose: String) throws {
        let now = LoadedSource(url)
        guard now.size == size, now.modified == modified else {
            throw TrainingError("\(url.path) changed during the run (size or modification time differ): cannot \(purpose) against it; the source must stay in place until tl finetune ends")
        }
    }

    /// The frozen-weights check, reading the source's tensors one at a time from disk.
    func verifyFrozen(model: TransferModel, schedule: FreezeSchedule, epochsRun: Int, headReplaced: Bool) throws -> FrozenVerification {
        try requireUnchanged(for: "verify the frozen weights")
        let reader = try SafeTensorsDiskReader.open(url)
        let entries = Dictionary(reader.header.entries.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        return try FrozenVerification.check(model: model, schedule: schedule, epochsRun: epochsRun, reading: { name in
            guard let entry = entries[name] else {
                throw SafeTensorsError(path: url.path, kind: .missingTensor, problem: "no tensor named '\(name)' (the file has \(entries.count))")
            }
            return try reader.floats(entry)
        }, path: url.path, headReplaced: headReplaced)
    }

    /// The whole source again, for the report's drift per tensor.
    func reread() throws -> SafeTensorsFile {
        try requireUnchanged(for: "report the drift from the source")
        return try SafeTensorsFile.read(from: url)
    }
}
