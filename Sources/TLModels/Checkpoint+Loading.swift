import Foundation
import TLTensor
import TLNN
import TLSafeTensors

extension Checkpoint {
    /// Where a checkpoint's tensors come from: a file already in memory, or one read tensor by
    /// tensor from disk (each tensor's values read once, into the array that becomes its
    /// parameter's storage).
    enum TensorSource {
        case file(SafeTensorsFile)
        case disk(SafeTensorsDiskReader)

        /// Names and shapes, in a fixed order (data order from disk).
        var entries: [(name: String, shape: [Int])] {
            switch self {
            case .file(let file): file.tensors.map { ($0.key, $0.value.shape) }
            case .disk(let reader): reader.header.entries.map { ($0.name, $0.shape) }
            }
        }

        /// The values of the `index`th of `entries`.
        func floats(at index: Int, name: String) throws -> [Float] {
            switch self {
            case .file(let file): try file.tensor(name).floats()
            case .disk(let reader): try reader.floats(reader.header.entries[index])
            }
        }

        var metadata: [String: String] {
            switch self {
            case .file(let file): file.metadata
            case .disk(let reader): reader.metadata
            }
        }
    }

    /// Builds the model of `spec` and loads every tensor of `source` into it (strictly: a
    /// tensor the model has but the source lacks is a "missing: …" error), or keeps it as an
    /// extra tensor (optimizer state, best weights, source head).
    static func load(spec: ModelSpec, info: CheckpointInfo, from source: TensorSource, path: String,
                     classCount: Int?, dropHead: Bool, placeholderInitialization: Bool,
                     rng: inout SeededGenerator) throws -> Checkpoint {
        func fail(_ why: String) -> CheckpointError { CheckpointError(path: path, message: why) }
        let classes = classCount ?? info.classNames.count
        if !dropHead && classes != info.classNames.count {
            throw fail("the head has \(info.classNames.count) classes but \(classes) are needed; replace the head")
        }
        // Every value of the body (and of the head, unless it is replaced) is loaded from the
        // source below, strictly: build those blocks from placeholders, drawing nothing but
        // advancing `rng` as before, so a replaced head gets the same values as ever. Their
        // storage is left uninitialised (never touched: no page faults, no memset) — each
        // array is replaced by the loaded one, or the strict load fails and the model is dropped.
        let loaded = 0..<(spec.blocks.count - (dropHead ? 1 : 0))
        let model = try Tensor.$uninitializedPlaceholders.withValue(placeholderInitialization) {
            try TransferModel(spec: spec, classCount: classes, vocabularySize: info.vocabulary?.count ?? 0,
                              placeholderBlocks: placeholderInitialization ? loaded : 0..<0, rng: &rng)
        }
        if let adapters = info.adapters {
            do { try model.attachLoRA(rank: adapters.rank, alpha: adapters.alpha, at: adapters.modules, rng: &rng) } catch {
                throw fail("LoRA adapters: \(error)")
            }
        }
        let headPrefix = model.pathPrefix(ofBlock: model.headIndex)
        var state: [String: Tensor] = [:]
        var extras: [String: Tensor] = [:]
        let modelNames = Set(model.namedState().map(\.name))
        for (index, (name, shape)) in source.entries.enumerated() {
            let tensor: Tensor
            let values: [Float]
            do { values = try source.floats(at: index, name: name); tensor = try Tensor(values, shape: shape) } catch {
                // A read failure names the file already; a conversion problem names the tensor.
                if let e = error as? SafeTensorsError, !e.path.isEmpty { throw e }
                throw fail("tensor '\(name)': \(error)")
            }
            if modelNames.contains(name) || !Self.isExtra(name) {
                // Policy: model weights must be finite; a NaN or infinity would make every
                // prediction and metric meaningless (and used to trap), so the file is refused.
                if let bad = firstNonFinite(values) {
                    throw fail("tensor '\(name)' holds \(values[bad]) at element \(bad); weights must be finite numbers")
                }
                if dropHead && name.hasPrefix(headPrefix) { continue }
                state[name] = tensor
            } else {
                extras[name] = tensor
            }
        }
        if dropHead {
            // Keep the freshly initialised head: load everything else strictly.
            for (name, t) in model.namedState() where name.hasPrefix(headPrefix) { state[name] = t }
        }
        do { try model.loadState(state) } catch { throw fail("\(error)") }
        var checkpoint = Checkpoint(model: model, info: info)
        checkpoint.extraTensors = extras
        checkpoint.extraMetadata = source.metadata.filter { $0.key == resumeKey }
        return checkpoint
    }

    /// The index of the first NaN or infinity in `values`, or nil. A branch-free pass over the
    /// exponent bits first (vectorised: 90 MB of MiniLM weights in a few ms, where the
    /// closure-per-element search took ~10% of a checkpoint load); the slow search runs only
    /// when something is there to find.
    static func firstNonFinite(_ values: [Float]) -> Int? {
        let exponent: UInt32 = 0x7F80_0000
        let largest = values.withUnsafeBufferPointer { buffer -> UInt32 in
            var m: UInt32 = 0
            for x in buffer { m = Swift.max(m, x.bitPattern & exponent) }
            return m
        }
        return largest == exponent ? values.firstIndex { !$0.isFinite } : nil
    }
}
