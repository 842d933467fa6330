import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Number of SIGINTs received since `Interruption.install()` / `reset()`.
/// An `Atomic` is lock-free, so the signal handler may touch it (async-signal-safe),
/// and any thread may poll it.
private let interruptCount = Atomic<Int>(0)
private let installed = Atomic<Bool>(false)
private let firstInterruptMessage: StaticString =
    "\ninterrupted: stopping after the current batch (press Ctrl-C again to quit now)\n"

/// Graceful Ctrl-C for long-running commands.
///
/// After `install()`, the first Ctrl-C only sets `isRequested` (and prints a short note), so a
/// training loop can finish its current batch, save, and return `ExitCode.interrupted`;
/// a second Ctrl-C exits at once with status 130. Commands that never install it keep the
/// default behaviour (killed by the signal at once).
public enum Interruption {
    /// Installs the SIGINT handler (idempotent).
    public static func install() {
        guard installed.compareExchange(expected: false, desired: true, ordering: .sequentiallyConsistent).exchanged else { return }
        signal(SIGINT, handleInterrupt)
        // SIGUSR1 asks the same: MPI launchers end the job on Ctrl-C but forward SIGUSR1 to
        // every rank (`kill -USR1 <mpirun pid>` stops a data-parallel run gracefully).
        signal(SIGUSR1, handleInterrupt)
        // A parent may have started us with SIGINT blocked (posix_spawn inherits the
        // spawning thread's signal mask; test harnesses and some supervisors do this):
        // unblock it, or Ctrl-C would stay pending and never stop training.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Restores the default SIGINT behaviour and clears the flag.
    public static func uninstall() {
        guard installed.compareExchange(expected: true, desired: false, ordering: .sequentiallyConsistent).exchanged else { return }
        signal(SIGINT, SIG_DFL)
        signal(SIGUSR1, SIG_DFL)
        reset()
    }

    /// True once Ctrl-C was pressed; poll it between batches.
    public static var isRequested: Bool { interruptCount.load(ordering: .relaxed) > 0 }

    /// Forgets earlier Ctrl-Cs (e.g. between two phases that both honour interruption).
    public static func reset() { interruptCount.store(0, ordering: .relaxed) }
}

/// The C signal handler: only async-signal-safe work here (atomics, write(2), _exit(2)).
private func handleInterrupt(_ signal: Int32) {
    let count = interruptCount.add(1, ordering: .relaxed).newValue
    if count >= 2 {
        _exit(ExitCode.interrupted.rawValue)
    }
    _ = write(STDERR_FILENO, firstInterruptMessage.utf8Start, firstInterruptMessage.utf8CodeUnitCount)
}
