import Foundation

/// Entry point of the `tl` command line. Returns the process exit code.
public func runCommandLine(_ arguments: [String]) -> Int32 {
    let usage = """
    tl — a pure-Swift transfer-learning toolkit

    USAGE: tl <command> [options]

    COMMANDS (coming with the pipeline):
      pretrain   Train an architecture on a source dataset
      finetune   Fine-tune a pretrained checkpoint on a small target dataset
      eval       Evaluate a checkpoint and check for negative transfer

    OPTIONS:
      -h, --help     Show this help
    """
    if arguments.count <= 1 || arguments[1] == "--help" || arguments[1] == "-h" {
        print(usage)
        return 0
    }
    FileHandle.standardError.write(Data("tl: unknown command '\(arguments[1])'\n\(usage)\n".utf8))
    return 2
}
