import Foundation
import TLTensor
import TLNN
import TLSafeTensors

/// LoRA adapters recorded in a checkpoint's info (`tl finetune --lora`). Such a checkpoint
/// stores only what changed — the adapters, the head and any other tensor that differs from
/// the base — and names its base by path and sha256: loading it needs that exact base file.
public struct AdapterInfo: Codable, Sendable, Equatable {
    public var rank: Int
    public var alpha: Double
    /// The target globs as given (`--lora-targets`).
    public var targets: [String]
    /// The module paths that carry an adapter.
    public var modules: [String]
    /// Adapter parameters (Σ r·(in + out)).
    public var parameterCount: Int
    /// The base checkpoint's path, as given to `--from`.
    public var base: String
    /// The base checkpoint file's sha256 (lowercase hex).
    public var baseSHA256: String

    public init(config: LoRAConfig, modules: [String], parameterCount: Int, base: String, baseSHA256: String) {
        rank = config.rank; alpha = config.alpha; targets = config.targets
        self.modules = modules; self.parameterCount = parameterCount
        self.base = base; self.baseSHA256 = baseSHA256
    }
}

extension Checkpoint {
    /// The adapter description of a model that carries adapters, for a base at `basePath`.
    public static func adapterInfo(model: TransferModel, config: LoRAConfig, basePath: String) throws -> AdapterInfo {
        let hosts = model.loraHosts()
        let count = hosts.reduce(0) { $0 + ($1.host.adapter?.adapterParameterCount ?? 0) }
        let digest = try SHA256.hex(ofFile: URL(fileURLWithPath: basePath))
        return AdapterInfo(config: config, modules: hosts.map(\.path), parameterCount: count, base: basePath, baseSHA256: digest)
    }

    /// The tensors to store: the whole state, or for an adapter checkpoint only the tensors
    /// that are adapters, absent from the base, or not bit-identical to it.
    func storedState() throws -> [(name: String, tensor: Tensor)] {
        let state = model.namedState()
        guard let adapters = info.adapters else { return state }
        let base = try Self.baseFile(adapters, for: "the checkpoint being written")
        return state.filter { name, t in
            guard !Module.isAdapterPath(name), let stored = base.tensors[name], stored.shape == t.shape,
                  let values = try? stored.floats() else { return true }
            return !zip(values, t.scalars).allSatisfy { $0.bitPattern == $1.bitPattern }
        }
    }

    /// The base file of an adapter checkpoint read from `path`: exists and has the recorded sha256.
    static func baseFile(_ adapters: AdapterInfo, for path: String) throws -> SafeTensorsFile {
        let url = resolveBase(adapters.base, adapterPath: path)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw CheckpointError(path: path, message: "holds LoRA adapters and needs its base checkpoint \(adapters.base), which is missing")
        }
        let digest = try SHA256.hex(ofFile: url)
        guard digest == adapters.baseSHA256 else {
            throw CheckpointError(path: path, message: "holds LoRA adapters for a base with sha256 \(adapters.baseSHA256.prefix(16))…, but \(url.path) has sha256 \(digest.prefix(16))… (a different file)")
        }
        return try SafeTensorsFile.read(from: url)
    }

    /// The base path as recorded; a relative path that does not exist from the working
    /// directory is tried next to the adapter file.
    static func resolveBase(_ base: String, adapterPath: String) -> URL {
        let direct = URL(fileURLWithPath: base)
        if base.hasPrefix("/") || FileManager.default.fileExists(atPath: direct.path) { return direct }
        let beside = URL(fileURLWithPath: adapterPath).deletingLastPathComponent().appendingPathComponent(base)
        return FileManager.default.fileExists(atPath: beside.path) ? beside : direct
    }

    /// An adapter checkpoint's tensors laid over its base's: what `decode` loads.
    static func withBase(_ file: SafeTensorsFile, adapters: AdapterInfo, path: String) throws -> SafeTensorsFile {
        var combined = try baseFile(adapters, for: path)
        combined.tensors = combined.tensors.filter { !isExtra($0.key) }
        for (name, t) in file.tensors { combined.tensors[name] = t }
        combined.metadata = file.metadata
        return combined
    }

    /// Folds the adapters into the weights: a full checkpoint that needs no base (`tl merge`).
    public func merged() throws -> Checkpoint {
        try model.mergeLoRA()
        var full = Checkpoint(model: model, info: info)
        full.info.adapters = nil
        full.extraTensors = extraTensors
        return full
    }
}
