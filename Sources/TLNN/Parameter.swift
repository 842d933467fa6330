import TLTensor

/// A learnable tensor owned by a module.
///
/// A trainable parameter's `value` is an autodiff leaf (`requiringGrad()`), so gradients
/// accumulate in it; a frozen parameter's `value` is a plain tensor with no autodiff node, so
/// computations that only involve frozen parameters record no graph, cost forward work only
/// and leave no gradient buffer behind (`grad == nil`). Optimizers update `value` in place
/// (keeping the leaf identity), and never touch frozen parameters.
public final class Parameter {
    /// The current value. Replace elements with `assign(_:)` rather than assigning a new
    /// tensor, so the autodiff leaf (and the frozen/trainable state) is kept.
    public var value: Tensor
    /// Whether this parameter is excluded from training (no gradient, never updated).
    public private(set) var isFrozen: Bool

    /// Wraps `value` as a trainable (default) or frozen parameter.
    public init(_ value: Tensor, frozen: Bool = false) {
        self.isFrozen = frozen
        self.value = frozen ? value.detached() : value.detached().requiringGrad()
    }

    /// The accumulated gradient, `nil` when frozen or before any backward pass reached it.
    public var grad: Tensor? { value.grad }
    /// The parameter's shape.
    public var shape: [Int] { value.shape }
    /// Number of elements.
    public var count: Int { value.count }

    /// Clears the accumulated gradient.
    public func zeroGrad() { value.zeroGrad() }

    /// Excludes the parameter from training: drops its autodiff leaf (and any gradient).
    public func freeze() {
        guard !isFrozen else { return }
        isFrozen = true
        value = value.detached()
    }

    /// Makes the parameter trainable again: a fresh autodiff leaf with the same values.
    public func unfreeze() {
        guard isFrozen else { return }
        isFrozen = false
        value = value.detached().requiringGrad()
    }

    /// Overwrites the elements with `newValue`'s (shapes must match), keeping the autodiff
    /// leaf and freeze state; any accumulated gradient is cleared.
    public func assign(_ newValue: Tensor) throws {
        guard newValue.shape == value.shape else {
            throw ModuleError.shapeMismatch(name: "parameter", expected: value.shape, got: newValue.shape)
        }
        try value.assign(newValue.scalars)
        value.zeroGrad()
    }
}

/// Non-learnable named state of a module (BatchNorm running statistics, counters). Buffers
/// are never parameters (no gradient, not in optimizer groups) but are saved and loaded with
/// the module's named state.
public final class Buffer {
    /// The current value (never requires grad).
    public var value: Tensor
    public init(_ value: Tensor) { self.value = value.detached() }
}

/// Errors from module construction, selection and state loading; each message is one line
/// naming what was wrong.
public enum ModuleError: Error, CustomStringConvertible, Equatable {
    /// A layer was constructed with impossible sizes or options.
    case invalidConfiguration(layer: String, message: String)
    /// A tensor or parameter had the wrong shape.
    case shapeMismatch(name: String, expected: [Int], got: [Int])
    /// An input was invalid for a layer (wrong rank, out-of-range id, …).
    case invalidInput(layer: String, message: String)
    /// A freeze/unfreeze pattern matched nothing; `nearest` lists the closest valid paths.
    case noMatch(pattern: String, nearest: [String])
    /// A block index range reached past the model's last block.
    case blockOutOfRange(requested: String, blockCount: Int)
    /// The module has no ordered top-level blocks to select by index.
    case noBlocks(module: String)
    /// A selector string could not be parsed.
    case invalidSelector(String)
    /// Loading state found missing or unexpected names or shape mismatches.
    case stateMismatch(missing: [String], unexpected: [String], shapeMismatches: [String])

    public var description: String {
        switch self {
        case let .invalidConfiguration(layer, message): return "\(layer): \(message)"
        case let .shapeMismatch(name, expected, got): return "\(name): expected shape \(expected), got \(got)"
        case let .invalidInput(layer, message): return "\(layer): \(message)"
        case let .noMatch(pattern, nearest):
            return "pattern '\(pattern)' matches no parameter" +
                (nearest.isEmpty ? "" : "; nearest valid paths: \(nearest.joined(separator: ", "))")
        case let .blockOutOfRange(requested, count):
            return "block selection \(requested) is out of range: the model has \(count) blocks" +
                (count > 0 ? " (0..\(count - 1))" : "")
        case let .noBlocks(module):
            return "\(module) has no ordered top-level blocks (no Sequential child) to select by index"
        case let .invalidSelector(text): return "invalid selector '\(text)': expected all, N, N..M, N..<M, ..M, N.. or a glob pattern"
        case let .stateMismatch(missing, unexpected, shapes):
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing: \(missing.joined(separator: ", "))") }
            if !unexpected.isEmpty { parts.append("unexpected: \(unexpected.joined(separator: ", "))") }
            if !shapes.isEmpty { parts.append("shape mismatch: \(shapes.joined(separator: "; "))") }
            return "state does not match the model: " + parts.joined(separator: "; ")
        }
    }
}
