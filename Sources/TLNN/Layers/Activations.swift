import TLTensor

/// max(x, 0), elementwise (any shape).
public final class ReLU: Layer {
    public override init() {}
    public override func forward(_ x: Tensor) throws -> Tensor { x.relu() }
}

/// GELU, exact erf form x·Φ(x) as in BERT (any shape).
public final class GELU: Layer {
    public override init() {}
    public override func forward(_ x: Tensor) throws -> Tensor { x.gelu() }
}

/// Hyperbolic tangent (any shape).
public final class Tanh: Layer {
    public override init() {}
    public override func forward(_ x: Tensor) throws -> Tensor { x.tanh() }
}

/// Logistic sigmoid (any shape).
public final class Sigmoid: Layer {
    public override init() {}
    public override func forward(_ x: Tensor) throws -> Tensor { x.sigmoid() }
}

/// Softmax along `axis` (default last).
public final class Softmax: Layer {
    public let axis: Int
    public init(axis: Int = -1) { self.axis = axis }
    public override func forward(_ x: Tensor) throws -> Tensor { try x.softmax(axis: axis) }
}

/// Inverted dropout: in training mode each element is zeroed with probability p and the
/// survivors scaled by 1/(1 − p); in eval mode (or with p = 0) the input passes unchanged.
/// The mask stream comes from the layer's own `SeededGenerator`, so runs are reproducible.
///
///     x: any shape → same shape
public final class Dropout: Layer {
    public let probability: Float
    /// The generator drawing the masks (its state can be saved and restored for exact resume).
    public var generator: SeededGenerator

    public init(probability: Float, generator: SeededGenerator) throws {
        guard probability >= 0, probability <= 1 else {
            throw ModuleError.invalidConfiguration(layer: "Dropout", message: "probability must be in [0, 1], got \(probability)")
        }
        self.probability = probability
        self.generator = generator
    }

    /// Takes an independent sub-stream from `rng` for the masks.
    public convenience init(probability: Float, rng: inout SeededGenerator) throws {
        try self.init(probability: probability, generator: rng.split())
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        guard let factors = factors(count: x.count) else { return x }
        return try x * Tensor(factors, shape: x.shape)
    }

    /// The next mask as `count` factors (0 for a dropped element, 1/(1 − p) for a kept one),
    /// drawn from `generator`; nil when nothing is dropped (eval mode or p = 0). Fused ops
    /// (attention) take these instead of calling `forward`.
    public func factors(count: Int) -> [Float]? {
        guard isTraining, probability > 0 else { return nil }
        if probability == 1 { return [Float](repeating: 0, count: count) }
        return generator.dropoutFactors(count: count, keep: 1 - probability)
    }
}
