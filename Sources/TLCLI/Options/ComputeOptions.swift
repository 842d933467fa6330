import TLKernels

/// How much of the machine a command uses: `--threads` and `--batch-size`, the same in every
/// command that computes. The tool applies `--threads` before the command runs, so no command
/// can accept it and ignore it.
struct ComputeOptions: OptionGroup {
    static let threads = OptionalOption<Int>("threads", valueName: "n",
        help: "Worker threads for the kernels (default: all cores, or TL_NUM_THREADS).")
    static let batchSize = Option<Int>("batch-size", default: 64,
        help: "Samples per batch: per optimizer step when training, per forward pass when evaluating, predicting or embedding.")
    /// Largest accepted batch: far beyond any useful size, small enough that a batch's index
    /// arithmetic can never overflow.
    static let maximumBatchSize = 1 << 20

    /// Whether the command takes `--batch-size` (every command that runs a model does).
    var withBatchSize = true

    var arguments: [any ArgumentDefinition] { withBatchSize ? [Self.threads, Self.batchSize] : [Self.threads] }

    func prepare(_ a: ParsedArguments) throws {
        if withBatchSize { _ = try Self.batchSize(a) }
        guard let t = a[Self.threads] else { return }
        try setKernelThreadCount(Check.within(1...4096, t, Self.threads))
    }

    /// The validated `--batch-size`.
    static func batchSize(_ a: ParsedArguments) throws -> Int {
        try Check.within(1...maximumBatchSize, a[batchSize], batchSize)
    }
}
