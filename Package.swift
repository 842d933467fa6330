// swift-tools-version:6.0
import PackageDescription

// Dependency arrows point one way:
//   TLKernels → TLTensor → TLNN, TLOptim → TLData, TLSafeTensors → TLModels → TLTransfer → TLReport → TLCLI → tl
// (TLIO and TLDistributed, Foundation only, sit at the side: see the README's architecture section.)
// (TLSafeTensors imports only Foundation; TLModels builds models from specs and checkpoints;
// TLTransfer trains and runs experiments.)
// No third-party packages: only the toolchain (stdlib, Foundation, Dispatch, Testing).

// Instruction-set flags for the fast-kernel backends (x86-64 hosts only; elsewhere the AVX
// modules compile as portable code and the run-time check never selects them).
#if arch(x86_64)
let avx512Flags: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "skylake-avx512"])]
let avx2Flags: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]
#else
let avx512Flags: [SwiftSetting] = []
let avx2Flags: [SwiftSetting] = []
#endif
let uncheckedInRelease: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

let package = Package(
    name: "tl",
    products: [
        .executable(name: "tl", targets: ["tl"]),
        .executable(name: "tl-bench", targets: ["TLBench"]),
    ],
    dependencies: [],
    targets: [
        // Fast kernels: one module per instruction-set level, compiled from the same shared
        // sources (Sources/KernelsShared, symlinked in). TLKernels picks one at run time from
        // /proc/cpuinfo flags; see Sources/TLKernels/README-kernels.md.
        // Release builds drop integer-overflow checks in these three modules (-Ounchecked): the
        // packing loops showed them in profiles; every size is validated by TLKernels first.
        // Each backend exports one `KernelTable` (TLKernelTable), built by the same shared source.
        .target(name: "TLKernelTable"),
        .target(name: "TLKernelsAVX512", dependencies: ["TLKernelTable"], swiftSettings: avx512Flags + uncheckedInRelease),
        .target(name: "TLKernelsAVX2", dependencies: ["TLKernelTable"], swiftSettings: avx2Flags + uncheckedInRelease),
        .target(name: "TLKernelsPortable", dependencies: ["TLKernelTable"], swiftSettings: uncheckedInRelease),
        .target(name: "TLKernels", dependencies: ["TLKernelTable", "TLKernelsAVX512", "TLKernelsAVX2", "TLKernelsPortable"],
                exclude: ["README-kernels.md"]),
        // Safe input files and the allocation budget (Foundation only), used by every reader.
        .target(name: "TLIO"),
        .target(name: "TLTensor", dependencies: ["TLKernels"]),
        .target(name: "TLNN", dependencies: ["TLTensor", "TLIO"]),
        .target(name: "TLOptim", dependencies: ["TLKernels", "TLTensor", "TLNN"]),
        .target(name: "TLData", dependencies: ["TLTensor", "TLNN", "TLIO"], resources: [.copy("Resources")]),
        .target(name: "TLSafeTensors", dependencies: ["TLIO"]),
        .target(name: "TLModels", dependencies: ["TLTensor", "TLNN", "TLOptim", "TLData", "TLSafeTensors", "TLIO"]),
        // Data-parallel training: the `Communicator` protocol, an in-process thread group and
        // MPI loaded at run time with dlopen (no build-time MPI dependency). Foundation only.
        .target(name: "TLDistributed"),
        .target(name: "TLTransfer", dependencies: ["TLTensor", "TLNN", "TLOptim", "TLData", "TLSafeTensors", "TLModels", "TLDistributed"]),
        // The HTML run report (--report, tl report): plot builders, analysis, rendering.
        .target(name: "TLReport", dependencies: ["TLTransfer", "TLModels", "TLSafeTensors", "TLData", "TLNN", "TLTensor"]),
        .target(name: "TLCLI", dependencies: ["TLReport", "TLTransfer", "TLModels", "TLSafeTensors", "TLIO", "TLData", "TLNN", "TLOptim", "TLTensor", "TLDistributed"]),
        .executableTarget(name: "tl", dependencies: ["TLCLI"]),
        .executableTarget(name: "TLBench", dependencies: ["TLKernels", "TLTensor", "TLNN", "TLOptim", "TLData", "TLSafeTensors", "TLModels", "TLTransfer"]),
        .testTarget(name: "TLKernelsTests", dependencies: ["TLKernels"]),
        .testTarget(name: "TLTensorTests", dependencies: ["TLTensor", "TLKernels"]),
        .testTarget(name: "TLNNTests", dependencies: ["TLNN", "TLTensor"]),
        .testTarget(name: "TLOptimTests", dependencies: ["TLOptim", "TLNN", "TLTensor"]),
        .testTarget(name: "TLDataTests", dependencies: ["TLData", "TLTensor", "TLTestSupport"], exclude: ["Fixtures"]),
        // Fixtures shared by test targets (a synthetic Hugging Face folder, process helpers).
        .target(name: "TLTestSupport", dependencies: ["TLSafeTensors"], path: "Tests/TLTestSupport"),
        .testTarget(name: "TLSafeTensorsTests", dependencies: ["TLSafeTensors", "TLIO", "TLTensor", "TLTestSupport"]),
        .testTarget(name: "TLModelsTests", dependencies: ["TLModels", "TLSafeTensors", "TLData", "TLNN", "TLTensor", "TLTestSupport"]),
        .testTarget(name: "TLDistributedTests", dependencies: ["TLDistributed"]),
        .testTarget(name: "TLTransferTests", dependencies: ["TLDistributed", "TLTransfer", "TLModels", "TLSafeTensors", "TLData", "TLNN", "TLTensor", "TLTestSupport"]),
        .testTarget(name: "TLReportTests", dependencies: ["TLReport", "TLTransfer", "TLModels", "TLData", "TLTensor", "TLNN"]),
        .testTarget(name: "TLCLITests", dependencies: ["TLCLI", "TLTransfer", "TLModels", "TLSafeTensors", "TLTensor", "TLTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
