import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The few MPI functions `tl` needs, found with `dlsym` in a library opened at run time, so
/// building and testing `tl` needs no MPI headers or libraries.
///
/// Two ABIs exist. Open MPI's handles (`MPI_Comm`, `MPI_Datatype`, `MPI_Op`, `MPI_Request`,
/// `MPI_Errhandler`) are pointers, and its predefined ones (`MPI_COMM_WORLD`, `MPI_FLOAT`,
/// `MPI_SUM`, …) are the addresses of exported globals (`ompi_mpi_comm_world`, …). MPICH
/// (and Intel MPI, which shares its ABI) uses 32-bit integer handles with fixed values from
/// `mpi.h`. Handles are kept here as 64-bit integers: an address for Open MPI, the constant
/// for MPICH. Passing a 64-bit integer where C expects `int` is sound on x86-64 and arm64,
/// where such arguments travel in registers and the callee reads the low 32 bits; a request
/// written through `MPI_Request *` by MPICH fills the low 4 bytes of a zeroed 8-byte slot
/// (little-endian), so both ABIs share one set of function types.
final class MPILibrary {
    enum Flavor: String { case openMPI = "Open MPI", mpich = "MPICH" }

    typealias Handle = Int
    typealias InitFn = @convention(c) (UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> Int32
    typealias FlagFn = @convention(c) (UnsafeMutablePointer<Int32>?) -> Int32
    typealias VoidFn = @convention(c) () -> Int32
    typealias CommIntFn = @convention(c) (Handle, UnsafeMutablePointer<Int32>?) -> Int32
    typealias AllreduceFn = @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Handle, Handle, Handle) -> Int32
    typealias IallreduceFn = @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Handle, Handle, Handle, UnsafeMutablePointer<Handle>?) -> Int32
    typealias TestFn = @convention(c) (UnsafeMutablePointer<Handle>?, UnsafeMutablePointer<Int32>?, UnsafeMutableRawPointer?) -> Int32
    typealias SetErrhandlerFn = @convention(c) (Handle, Handle) -> Int32
    typealias AbortFn = @convention(c) (Handle, Int32) -> Int32
    typealias ErrorStringFn = @convention(c) (Int32, UnsafeMutablePointer<CChar>?, UnsafeMutablePointer<Int32>?) -> Int32

    let path: String
    let flavor: Flavor
    let handle: UnsafeMutableRawPointer
    let initialize: InitFn, initialized: FlagFn, finalized: FlagFn, finalize: VoidFn
    let commRank: CommIntFn, commSize: CommIntFn
    let allreduce: AllreduceFn, iallreduce: IallreduceFn, test: TestFn
    let setErrhandler: SetErrhandlerFn, abort: AbortFn, errorString: ErrorStringFn
    let commWorld: Handle, float: Handle, sum: Handle, max: Handle, min: Handle, errorsReturn: Handle

    /// Library names tried in order when `TL_MPI_LIBRARY` is not set: Open MPI 3–5, then MPICH /
    /// Intel MPI; MPICH's first when MPICH's launcher (Hydra: `PMI_SIZE`) started the process,
    /// since a rank must use the library of the launcher that started it.
    static func candidates(_ environment: [String: String]) -> [String] {
        let openMPI = ["libmpi.so.40"], mpich = ["libmpich.so.12", "libmpi.so.12"]
        let ordered = environment["OMPI_COMM_WORLD_SIZE"] == nil && environment["PMI_SIZE"] != nil ? mpich + openMPI : openMPI + mpich
        return ordered + ["libmpi.so"]
    }

    /// Opens the first MPI library that loads (`TL_MPI_LIBRARY` first, when set).
    static func load(launcher: String?, environment: [String: String]) throws -> MPILibrary {
        var names = candidates(environment)
        if let explicit = environment["TL_MPI_LIBRARY"], !explicit.isEmpty { names = [explicit] }
        for name in names {
            // RTLD_GLOBAL: Open MPI's own plug-ins resolve libmpi's symbols when they load.
            guard let h = dlopen(name, RTLD_NOW | RTLD_GLOBAL) else { continue }
            return try MPILibrary(path: name, handle: h)
        }
        throw DistributedError.libraryNotFound(tried: names, launcher: launcher)
    }

    private init(path: String, handle: UnsafeMutableRawPointer) throws {
        self.path = path
        self.handle = handle
        func symbol(_ name: String) throws -> UnsafeMutableRawPointer {
            guard let p = dlsym(handle, name) else { throw DistributedError.missingSymbol(library: path, symbol: name) }
            return p
        }
        func function<F>(_ name: String, _: F.Type) throws -> F { unsafeBitCast(try symbol(name), to: F.self) }
        initialize = try function("MPI_Init", InitFn.self)
        initialized = try function("MPI_Initialized", FlagFn.self)
        finalized = try function("MPI_Finalized", FlagFn.self)
        finalize = try function("MPI_Finalize", VoidFn.self)
        commRank = try function("MPI_Comm_rank", CommIntFn.self)
        commSize = try function("MPI_Comm_size", CommIntFn.self)
        allreduce = try function("MPI_Allreduce", AllreduceFn.self)
        iallreduce = try function("MPI_Iallreduce", IallreduceFn.self)
        test = try function("MPI_Test", TestFn.self)
        setErrhandler = try function("MPI_Comm_set_errhandler", SetErrhandlerFn.self)
        abort = try function("MPI_Abort", AbortFn.self)
        errorString = try function("MPI_Error_string", ErrorStringFn.self)
        if dlsym(handle, "ompi_mpi_comm_world") != nil {
            flavor = .openMPI
            func address(_ name: String) throws -> Handle { Int(bitPattern: try symbol(name)) }
            commWorld = try address("ompi_mpi_comm_world")
            float = try address("ompi_mpi_float")
            sum = try address("ompi_mpi_op_sum")
            max = try address("ompi_mpi_op_max")
            min = try address("ompi_mpi_op_min")
            errorsReturn = try address("ompi_mpi_errors_return")
        } else {
            // MPICH's mpi.h constants (also Intel MPI, MVAPICH: the MPICH ABI).
            flavor = .mpich
            commWorld = 0x4400_0000
            float = 0x4c00_040a
            max = 0x5800_0001
            min = 0x5800_0002
            sum = 0x5800_0003
            errorsReturn = 0x5400_0001
        }
    }

    /// The library's text for an MPI error code.
    func message(for code: Int32) -> String {
        var text = [CChar](repeating: 0, count: 1024)
        var length: Int32 = 0
        guard errorString(code, &text, &length) == 0 else { return "unknown error" }
        return String(decoding: text.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Throws `DistributedError.mpiCall` when `code` is not MPI_SUCCESS (0).
    func check(_ code: Int32, _ function: String) throws {
        guard code != 0 else { return }
        throw DistributedError.mpiCall(function: function, code: code, message: message(for: code))
    }
}
