import TLTensor

/// What `loadState` found besides the names it loaded (only non-empty in non-strict mode).
public struct StateLoadReport: Equatable, Sendable {
    /// Model names absent from the loaded state (left unchanged).
    public var missing: [String]
    /// Loaded names the model does not have (ignored).
    public var unexpected: [String]
}

extension Module {
    /// Every parameter and buffer value by dotted path: what a checkpoint stores. Parameters
    /// come first, then buffers, each in `namedParameters()` / `namedBuffers()` order.
    public func namedState() -> [(name: String, tensor: Tensor)] {
        namedParameters().map { ($0.path, $0.parameter.value.detached()) }
            + namedBuffers().map { ($0.path, $0.buffer.value) }
    }

    /// `namedState()` as a dictionary.
    public func stateDictionary() -> [String: Tensor] {
        Dictionary(namedState().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    }

    /// Loads parameter and buffer values by name. Everything is validated before anything is
    /// changed: shape mismatches always throw; in strict mode (default) missing or unexpected
    /// names throw too, all listed by name. Parameters keep their autodiff leaf and freeze
    /// state (values are assigned in place).
    @discardableResult
    public func loadState(_ state: [String: Tensor], strict: Bool = true) throws -> StateLoadReport {
        try loadState(state, parameters: namedParameters(), buffers: namedBuffers(), strict: strict)
    }

    /// `loadState(_:strict:)` with this module's `namedParameters()` and `namedBuffers()`
    /// already at hand (each is a reflection walk of the whole module tree; a checkpoint load
    /// needs them anyway). Passing anything else than this module's own lists is a mistake.
    @discardableResult
    public func loadState(_ state: [String: Tensor], parameters params: [(path: String, parameter: Parameter)],
                          buffers: [(path: String, buffer: Buffer)], strict: Bool = true) throws -> StateLoadReport {
        var expected: [String: [Int]] = [:]
        for (path, p) in params { expected[path] = p.shape }
        for (path, b) in buffers { expected[path] = b.value.shape }
        let names = params.map(\.path) + buffers.map(\.path)
        let missing = names.filter { state[$0] == nil }
        let unexpected = state.keys.filter { expected[$0] == nil }.sorted()
        let shapeProblems = names.compactMap { name -> String? in
            guard let t = state[name], let shape = expected[name], t.shape != shape else { return nil }
            return "\(name) expected \(shape), got \(t.shape)"
        }
        if !shapeProblems.isEmpty || (strict && (!missing.isEmpty || !unexpected.isEmpty)) {
            throw ModuleError.stateMismatch(missing: strict ? missing : [], unexpected: strict ? unexpected : [],
                                            shapeMismatches: shapeProblems)
        }
        for (path, p) in params { if let t = state[path] { try p.assign(t) } }
        for (path, b) in buffers { if let t = state[path] { b.value = t.detached() } }
        return StateLoadReport(missing: missing, unexpected: unexpected)
    }
}

extension Module {
    /// The generator states of every `Dropout` below this module, by dotted path (4 words for
    /// the xoshiro state plus the cached normal deviate, see `SeededGenerator.fullState`).
    /// Not part of `namedState()` (those are Float tensors); checkpoints that want a
    /// bit-exact resume of dropout masks store these too.
    public func namedRandomStates() -> [String: [UInt64]] {
        var result: [String: [UInt64]] = [:]
        for (path, m) in namedModules() { if let d = m as? Dropout { result[path] = d.generator.fullState } }
        return result
    }

    /// Restores `namedRandomStates()` output; throws naming missing or unexpected paths.
    public func loadRandomStates(_ states: [String: [UInt64]]) throws {
        let dropouts = namedModules().compactMap { p, m in (m as? Dropout).map { (p, $0) } }
        let missing = dropouts.map(\.0).filter { states[$0] == nil }
        let known = Set(dropouts.map(\.0))
        let unexpected = states.keys.filter { !known.contains($0) }.sorted()
        let malformed = dropouts.compactMap { p, _ in states[p].flatMap { $0.count >= 4 ? nil : "\(p) has \($0.count) words, expected 4 or 5" } }
        guard missing.isEmpty, unexpected.isEmpty, malformed.isEmpty else {
            throw ModuleError.stateMismatch(missing: missing, unexpected: unexpected, shapeMismatches: malformed)
        }
        for (p, d) in dropouts { d.generator = SeededGenerator(fullState: states[p]!) }
    }
}
