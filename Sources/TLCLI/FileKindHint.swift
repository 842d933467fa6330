import TLSafeTensors

/// The next step for a file of the wrong kind, in command-line terms. The library's error says
/// what the file is ("is a JSON model spec …, not a safetensors file"); only the CLI knows
/// which command takes such a file.
enum FileKindHint {
    /// "; <what was expected and what to do>" for a wrong-kind file, "" for any other error.
    static func suffix(for error: any Error) -> String {
        guard let e = error as? SafeTensorsError, case .wrongFileKind(let kind) = e.kind else { return "" }
        let expected = "; expected a tl checkpoint (.safetensors)"
        switch kind {
        case .modelSpecJSON:
            return expected + "; to train this spec: tl pretrain --model \(e.path) --data <data> --out <file>.safetensors"
        case .modelConfigJSON:
            return expected + "; to use a Hugging Face model, import its folder: tl import <folder> --out <file>.safetensors"
        case .directory(hasConfigJSON: true):
            return expected + "; to use this Hugging Face model folder, import it: tl import \(e.path) --out <file>.safetensors"
        case .pytorchZip, .pickle:
            return expected + "; tl reads safetensors only: save the state dict with safetensors.torch.save_file, "
                + "or import it with tl import \(e.path) --out <file>.safetensors (EfficientNet-Lite0 state dicts)"
        default:
            return expected
        }
    }
}
