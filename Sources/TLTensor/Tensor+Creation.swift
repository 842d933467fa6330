/// Tensor factories. Random factories take an explicit `SeededGenerator`; there is no
/// global random state.
extension Tensor {
    /// All zeros.
    public static func zeros(_ shape: [Int]) -> Tensor {
        Tensor(unchecked: [Float](repeating: 0, count: Shape.count(shape)), shape: shape)
    }

    /// All ones.
    public static func ones(_ shape: [Int]) -> Tensor {
        full(shape, value: 1)
    }

    /// Every element equal to `value`.
    public static func full(_ shape: [Int], value: Float) -> Tensor {
        Tensor(unchecked: [Float](repeating: value, count: Shape.count(shape)), shape: shape)
    }

    /// `[start, start+step, …]` up to but excluding `end`.
    public static func arange(_ start: Float, _ end: Float, step: Float = 1) throws -> Tensor {
        guard step != 0, step.isFinite, start.isFinite, end.isFinite else {
            throw TensorError.invalidArgument(operation: "arange", message: "step must be finite and non-zero")
        }
        let n = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        return Tensor((0..<n).map { start + Float($0) * step })
    }

    /// The `n × n` identity matrix.
    public static func eye(_ n: Int) -> Tensor {
        var values = [Float](repeating: 0, count: n * n)
        for i in 0..<n { values[i * n + i] = 1 }
        return Tensor(unchecked: values, shape: [n, n])
    }

    /// Inside `$placeholderInitialization.withValue(true) { … }`, `uniform` and `normal`
    /// advance their generator exactly as they would and return zeros. For building a model
    /// whose every value is overwritten right after (a checkpoint load): the generator ends in
    /// the same state, so whatever is drawn next (a new head, dropout streams) is unchanged,
    /// without paying for values nobody reads (0.3 s of log/sin/cos for MiniLM's 22M weights).
    @TaskLocal public static var placeholderInitialization: Bool = false

    /// With `placeholderInitialization` also set, placeholders get uninitialised storage
    /// instead of zeros: their values are unspecified and the memory is not even touched (a
    /// checkpoint load replaces every such array — 90 MB of MiniLM weights would otherwise be
    /// zeroed only to be dropped). Only for callers that replace every placeholder's storage or
    /// discard the whole model (`Checkpoint.decode` with its strict load).
    @TaskLocal public static var uninitializedPlaceholders: Bool = false

    /// A placeholder of `shape`: zeros, or uninitialised storage under `uninitializedPlaceholders`.
    static func placeholder(_ shape: [Int]) -> Tensor {
        guard uninitializedPlaceholders else { return Tensor.zeros(shape) }
        let n = Shape.count(shape)
        return Tensor(unchecked: [Float](unsafeUninitializedCapacity: n) { _, initialized in initialized = n }, shape: shape)
    }

    /// Uniform samples in `[low, high)`.
    public static func uniform(_ shape: [Int], low: Float = 0, high: Float = 1,
                               using rng: inout SeededGenerator) -> Tensor {
        let n = Shape.count(shape)
        if placeholderInitialization { rng.skipUniforms(n); return placeholder(shape) }
        var values = [Float](repeating: 0, count: n)
        for i in 0..<n { values[i] = rng.nextUniform(in: low, high) }
        return Tensor(unchecked: values, shape: shape)
    }

    /// Normal samples with the given mean and standard deviation.
    public static func normal(_ shape: [Int], mean: Float = 0, std: Float = 1,
                              using rng: inout SeededGenerator) -> Tensor {
        let n = Shape.count(shape)
        if placeholderInitialization { rng.skipNormals(n); return placeholder(shape) }
        var values = [Float](repeating: 0, count: n)
        for i in 0..<n { values[i] = mean + std * rng.nextNormal() }
        return Tensor(unchecked: values, shape: shape)
    }

    /// A tensor of the same shape filled with `value`.
    public func filled(with value: Float) -> Tensor { Tensor.full(shape, value: value) }
}
