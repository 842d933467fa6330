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

    /// The communicator for this run: nil for one process. Loads and initialises MPI when
    /// needed; throws `DistributedError` (one line) when no MPI library loads.
    func communicator(_ a: ParsedArguments) throws -> MPICommunicator? {
        try makeCommunicator(mode: a[Self.distributed])
    }
}
