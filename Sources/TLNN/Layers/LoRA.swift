import TLTensor

/// Which layers get LoRA adapters and how large they are (`tl finetune --lora RANK`).
public struct LoRAConfig: Codable, Sendable, Equatable {
    /// The rank r of each update B·A.
    public var rank: Int
    /// The scale numerator α: the update is (α / r)·B·A.
    public var alpha: Double
    /// Globs over dotted module paths (`*` matches dots too); a `Linear` or a pointwise
    /// (1×1, stride 1, unpadded) `Conv2D` whose path matches any of them gets an adapter.
    public var targets: [String]

    /// The attention projections of every transformer encoder layer (query, key, value, output).
    public static let defaultTargets = ["*.attention.query", "*.attention.key", "*.attention.value", "*.attention.output"]

    public init(rank: Int, alpha: Double? = nil, targets: [String] = LoRAConfig.defaultTargets) {
        self.rank = rank
        self.alpha = alpha ?? Double(rank)
        self.targets = targets
    }

    /// The factor α / r applied to B·A.
    public var scale: Float { Float(alpha / Double(rank)) }
}

/// A low-rank update of a frozen weight (Hu et al., 2021, "LoRA"): the host layer computes
/// W·x + (α/r)·B·A·x.
///
///     x: [..., in] → [..., out]      a: [r, in], b: [out, r]
///
/// A is initialised like a PyTorch `Linear` weight (Kaiming-uniform, U(−1/√in, 1/√in), as the
/// paper's reference code `loralib` does) and B with zeros, so a freshly attached adapter
/// leaves the model's outputs unchanged and only B·A learns the update.
public final class LoRAAdapter: Module {
    public let a: Parameter
    public let b: Parameter
    public let rank: Int
    public let alpha: Double
    public let inFeatures: Int, outFeatures: Int

    public init(inFeatures: Int, outFeatures: Int, rank: Int, alpha: Double, rng: inout SeededGenerator) throws {
        guard rank >= 1, rank <= Swift.min(inFeatures, outFeatures) else {
            throw ModuleError.invalidConfiguration(layer: "LoRA(\(inFeatures)→\(outFeatures))",
                message: "rank must be between 1 and \(Swift.min(inFeatures, outFeatures)), got \(rank)")
        }
        guard alpha > 0, alpha.isFinite else {
            throw ModuleError.invalidConfiguration(layer: "LoRA", message: "alpha must be a positive number, got \(alpha)")
        }
        self.rank = rank; self.alpha = alpha
        self.inFeatures = inFeatures; self.outFeatures = outFeatures
        a = Parameter(Init.pytorchDefault([rank, inFeatures], fanIn: inFeatures, using: &rng))
        b = Parameter(Tensor.zeros([outFeatures, rank]))
    }

    /// α / r.
    public var scale: Float { Float(alpha / Double(rank)) }

    /// Number of adapter parameters, r·(in + out).
    public var adapterParameterCount: Int { rank * (inFeatures + outFeatures) }

    /// The update's contribution (α/r)·B·A·x:  [..., in] → [..., out].
    public func delta(_ x: Tensor) throws -> Tensor {
        let down = try x.matmul(a.value, transposeOther: true)          // [..., r]
        return try down.matmul(b.value, transposeOther: true) * scale   // [..., out]
    }

    /// The dense update (α/r)·B·A as an [out, in] matrix (no gradient).
    public func weightDelta() throws -> Tensor {
        try b.value.detached().matmul(a.value.detached()) * scale
    }
}

/// A layer that can carry a LoRA adapter on its weight.
public protocol LoRAHost: Layer {
    /// The attached adapter, if any (the forward pass adds its `delta`).
    var adapter: LoRAAdapter? { get set }
    /// The (in, out) sizes of the update, or nil when this layer cannot take one
    /// (e.g. a convolution that is not 1×1, stride 1, unpadded).
    var adapterShape: (inFeatures: Int, outFeatures: Int)? { get }
    /// W ← W + ΔW, and drops the adapter.
    func mergeAdapter() throws
}

extension Linear: LoRAHost {
    public var adapterShape: (inFeatures: Int, outFeatures: Int)? { (inFeatures, outFeatures) }

    public func mergeAdapter() throws {
        guard let adapter else { return }
        try weight.assign(weight.value.detached() + adapter.weightDelta())
        self.adapter = nil
    }
}

extension Conv2D: LoRAHost {
    public var adapterShape: (inFeatures: Int, outFeatures: Int)? {
        let w = window
        let pointwise = w.kernelHeight == 1 && w.kernelWidth == 1 && w.strideHeight == 1 && w.strideWidth == 1
            && w.padTop == 0 && w.padBottom == 0 && w.padLeft == 0 && w.padRight == 0
        return pointwise ? (inChannels, outChannels) : nil
    }

    public func mergeAdapter() throws {
        guard let adapter else { return }
        let delta = try adapter.weightDelta().reshaped(weight.shape)   // [out, in] → [out, 1, 1, in]
        try weight.assign(weight.value.detached() + delta)
        self.adapter = nil
    }
}

extension Module {
    /// The layers carrying an adapter, by dotted module path.
    public func loraHosts() -> [(path: String, host: any LoRAHost)] {
        namedModules().compactMap { path, m in
            guard let host = m as? any LoRAHost, host.adapter != nil else { return nil }
            return (path, host)
        }
    }

    /// Attaches a fresh adapter (A random, B = 0) to every `Linear` and pointwise `Conv2D`
    /// whose module path matches one of `config.targets`; returns their paths in module
    /// order. Throws `ModuleError.noMatch` naming the nearest module paths when a glob
    /// matches no such layer.
    @discardableResult
    public func attachLoRA(_ config: LoRAConfig, rng: inout SeededGenerator) throws -> [String] {
        let candidates = namedModules().compactMap { path, m -> (String, any LoRAHost)? in
            guard let host = m as? any LoRAHost, host.adapterShape != nil else { return nil }
            return (path, host)
        }
        for pattern in config.targets where !candidates.contains(where: { ParameterSelector.globMatches(pattern, $0.0) }) {
            let nearest = candidates.map(\.0).sorted { editDistance(pattern, $0) < editDistance(pattern, $1) }
            throw ModuleError.noMatch(pattern: pattern, nearest: Array(nearest.prefix(3)))
        }
        let chosen = candidates.filter { path, _ in config.targets.contains { ParameterSelector.globMatches($0, path) } }
        try attachLoRA(rank: config.rank, alpha: config.alpha, at: chosen.map(\.0), rng: &rng)
        return chosen.map(\.0)
    }

    /// Attaches adapters at exactly these module paths (what loading an adapter checkpoint does).
    public func attachLoRA(rank: Int, alpha: Double, at paths: [String], rng: inout SeededGenerator) throws {
        let modules = Dictionary(namedModules().map { ($0.path, $0.module) }, uniquingKeysWith: { a, _ in a })
        for path in paths {
            guard let host = modules[path] as? any LoRAHost, let shape = host.adapterShape else {
                throw ModuleError.invalidConfiguration(layer: path, message: "is not a linear or 1×1 convolution layer that can take a LoRA adapter")
            }
            host.adapter = try LoRAAdapter(inFeatures: shape.inFeatures, outFeatures: shape.outFeatures, rank: rank, alpha: alpha, rng: &rng)
        }
    }

    /// Folds every adapter into its layer's weight (W + (α/r)·B·A) and removes it; returns
    /// the number merged.
    @discardableResult
    public func mergeLoRA() throws -> Int {
        let hosts = loraHosts()
        for (_, host) in hosts { try host.mergeAdapter() }
        return hosts.count
    }

    /// Whether a dotted parameter path belongs to a LoRA adapter (`….adapter.a` / `.b`).
    public static func isAdapterPath(_ path: String) -> Bool {
        path.hasSuffix(".adapter.a") || path.hasSuffix(".adapter.b")
    }
}
