import Foundation
import TLTensor
import TLKernels

/// The version `tl --version` prints.
public let tlVersion = "0.1.0"

/// The `tl` tool with every command that exists today.
public func makeTool() -> CommandLineTool {
    CommandLineTool(
        name: "tl",
        version: tlVersion,
        abstract: "tl, a pure-Swift transfer-learning toolkit.",
        commands: [DemoCommand(), PretrainCommand(), FinetuneCommand(), EvalCommand(), PredictCommand(), InspectCommand(),
                   ImportCommand(), EmbedCommand(), RankCommand(), ReportCommand(), AdaptCommand(), MergeCommand()])
}

/// Entry point of the `tl` command line. Returns the process exit code.
public func runCommandLine(_ arguments: [String]) -> Int32 {
    tuneAllocatorForLargeTemporaries()
    flushSubnormalsToZeroOnThisThread()  // TLKernels/FloatEnvironment.swift: why
    return makeTool().run(arguments)
}
