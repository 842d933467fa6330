import TLDistributed

extension DistributedMode: ChoiceArgument {}

/// `--distributed auto|mpi|none`: whether a training command runs as one rank of a
/// data-parallel job (`mpirun -np N tl pretrain …`). Under `auto` an MPI launcher's
/// environment selects MPI, loaded at run time; `mpi` insists on it; `none` ignores the
/// launcher. Every rank trains on its shard of each batch; rank 0 alone prints progress
/// and writes the checkpoint, resume files and JSON (see docs/distributed.md).
struct DistributedOptions: OptionGroup {
    static let distributed = Option<DistributedMode>("distributed", default: .auto,
        help: "Data-parallel training over MPI: auto (when started by mpirun/mpiexec), mpi, or none. --batch-size stays the batch per optimizer step, split over the ranks.")

    var arguments: [any ArgumentDefinition] { [Self.distributed] }

    /// MPI is initialised once per process, before the command runs, so that every rank but
    /// rank 0 is silent from the first line on (see `OutputOptions.showsProgress`).
    nonisolated(unsafe) private(set) static var active: MPICommunicator?

    /// Whether this process prints progress and writes files: rank 0, or the only process.
    static var isWriter: Bool { (active?.rank ?? 0) == 0 }

    /// Starts MPI when `--distributed` asks for it (throws `DistributedError`, one line, when
    /// no MPI library loads).
    func prepare(_ a: ParsedArguments) throws {
        guard Self.active == nil else { return }
        Self.active = try makeCommunicator(mode: a[Self.distributed])
    }

    /// The communicator for this run: nil for one process.
    func communicator(_ a: ParsedArguments) throws -> MPICommunicator? {
        a[Self.distributed] == .none ? nil : Self.active
    }
}
