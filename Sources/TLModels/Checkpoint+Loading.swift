import Foundation
import TLTensor
import TLNN
import TLSafeTensors
import TLKernels

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

        /// The values of the `index`th of `entries`, and with `checkFinite` the index of the
        /// first NaN or infinity among them (found chunk by chunk as they are read from disk).
        func floats(at index: Int, name: String, checkFinite: Bool) throws -> (values: [Float], nonFinite: Int?) {
            switch self {
            case .file(let file):
                let values = try file.tensor(name).floats()
                return (values, checkFinite ? Checkpoint.firstNonFinite(values) : nil)
            case .disk(let reader):
                // Chunks on the kernel threads (page faults and copies of 90 MB on every core);
                // each records its first non-finite index in its own slot.
                let entry = reader.header.entries[index]
                let chunk = SafeTensorsDiskReader.chunkElements
                var firstBad = [Int](repeating: .max, count: (entry.elementCount + chunk - 1) / chunk)
                let values = try firstBad.withUnsafeMutableBufferPointer { buffer in
                    let slots = buffer
                    return try reader.floats(entry, split: { count, body in
                        parallelChunks(units: count, work: count * chunk * 64, body)   // memory-bound: ~64 FLOPs an element
                    }, visit: !checkFinite ? nil : { offset, values in
                        if let i = Checkpoint.firstNonFinite(values) { slots[offset / chunk] = offset + i }
                    })
                }
                let bad = firstBad.min() ?? .max
                return (values, bad == .max ? nil : bad)
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
        // One walk of the module tree each (reflection), shared with the load below.
        let parameters = model.namedParameters(), buffers = model.namedBuffers()
        let modelNames = Set(parameters.map(\.path) + buffers.map(\.path))
        for (index, (name, shape)) in source.entries.enumerated() {
            let isModelState = modelNames.contains(name) || !Self.isExtra(name)
            let tensor: Tensor
            let values: [Float], nonFinite: Int?
            do {
                (values, nonFinite) = try source.floats(at: index, name: name, checkFinite: isModelState)
                tensor = try Tensor(values, shape: shape)
            } catch {
                // A read failure names the file already; a conversion problem names the tensor.
                if let e = error as? SafeTensorsError, !e.path.isEmpty { throw e }
                throw fail("tensor '\(name)': \(error)")
            }
            if isModelState {
                // Policy: model weights must be finite; a NaN or infinity would make every
                // prediction and metric meaningless (and used to trap), so the file is refused.
                if let bad = nonFinite {
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
            for (path, p) in parameters where path.hasPrefix(headPrefix) { state[path] = p.value.detached() }
            for (path, b) in buffers where path.hasPrefix(headPrefix) { state[path] = b.value }
        }
        do { try model.loadState(state, parameters: parameters, buffers: buffers) } catch { throw fail("\(error)") }
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
        values.withUnsafeBufferPointer { firstNonFinite($0) }
    }

    /// The same over a buffer. An exponent of all ones plus one exponent step carries into the
    /// sign bit, which nothing else reaches: and/add/or only, vectorised on any x86-64.
    static func firstNonFinite(_ values: UnsafeBufferPointer<Float>) -> Int? {
        var carry: UInt32 = 0
        for x in values { carry |= ((x.bitPattern & 0x7F80_0000) &+ 0x0080_0000) }
        return carry & 0x8000_0000 != 0 ? values.firstIndex { !$0.isFinite } : nil
    }
}
