import Foundation

/// How `tl` decides whether it runs as one rank of several (`--distributed`).
public enum DistributedMode: String, CaseIterable, Sendable {
    /// MPI when an MPI launcher started the process, else one process.
    case auto
    /// MPI, even when no launcher is detected (fails when no MPI library loads).
    case mpi
    /// One process, whatever the environment says.
    case none
}

/// The MPI launcher that started this process, read from the environment variables that
/// Open MPI (`OMPI_COMM_WORLD_SIZE`), PMIx (`PMIX_RANK`) and MPICH's Hydra (`PMI_SIZE`)
/// set in every rank. Nil when none is present.
public struct LauncherEnvironment: Sendable, Equatable {
    /// e.g. "Open MPI mpirun, 2 ranks".
    public var description: String
    /// Ranks the launcher started, when it says.
    public var size: Int?

    public static func detect(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> LauncherEnvironment? {
        if let s = environment["OMPI_COMM_WORLD_SIZE"] {
            return LauncherEnvironment(description: "Open MPI mpirun, OMPI_COMM_WORLD_SIZE=\(s)", size: Int(s))
        }
        if let s = environment["PMI_SIZE"] {
            return LauncherEnvironment(description: "MPICH mpiexec, PMI_SIZE=\(s)", size: Int(s))
        }
        if let r = environment["PMIX_RANK"] {
            return LauncherEnvironment(description: "a PMIx launcher, PMIX_RANK=\(r)", size: nil)
        }
        return nil
    }
}

/// The communicator for `mode`: nil for one process (no launcher under `auto`, a launcher
/// that started a single rank, or `none`); an `MPICommunicator` otherwise. Throws
/// `DistributedError.libraryNotFound` when MPI is wanted but no library loads.
public func makeCommunicator(mode: DistributedMode,
                             environment: [String: String] = ProcessInfo.processInfo.environment) throws -> MPICommunicator? {
    let launcher = LauncherEnvironment.detect(environment)
    switch mode {
    case .none:
        return nil
    case .auto:
        guard let launcher, launcher.size != 1 else { return nil }
        return try MPICommunicator(launcher: launcher.description, environment: environment)
    case .mpi:
        return try MPICommunicator(launcher: launcher?.description, environment: environment)
    }
}
