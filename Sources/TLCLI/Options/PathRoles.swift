import Foundation
import TLData

/// What the file named by a path-valued argument is to a command. One table for every command,
/// because each flag name has one meaning everywhere: `--out` is always written, `--model` always read.
enum PathRole { case input, output, dataSource }

enum PathRoles {
    static let byName: [String: PathRole] = [
        "model": .input, "from": .input, "resume": .input, "scratch-model": .input, "file": .input, "folder": .input,
        "out": .output, "report": .output,
        "data": .dataSource, "test-data": .dataSource, "unlabeled": .dataSource, "source-data": .dataSource,
    ]

    /// Refuses a command line whose output names one of its inputs — the same file (through
    /// symlinks), or a file inside an input folder — before anything is read or written:
    /// `predict --model m.safetensors --out m.safetensors` would replace the model with CSV.
    static func checkOutputsAreNotInputs(_ a: ParsedArguments) throws {
        var inputs: [(flag: String, path: String)] = []
        var outputs: [(flag: String, path: String)] = []
        for (name, value) in a.sequence {
            guard let role = byName[name], let text = value as? String else { continue }
            switch role {
            case .input: inputs.append((name, text))
            case .output: outputs.append((name, text))
            case .dataSource:
                if let source = try? DataSource.parse(text) { inputs += source.paths.map { (name, $0) } }
            }
        }
        for output in outputs {
            let out = resolved(output.path)
            for input in inputs {
                let inPath = resolved(input.path)
                var isFolder: ObjCBool = false
                let inside = FileManager.default.fileExists(atPath: inPath, isDirectory: &isFolder) && isFolder.boolValue
                    && out.hasPrefix(inPath.hasSuffix("/") ? inPath : inPath + "/")
                if out == inPath || inside {
                    let what = inside ? "is inside the input folder \(input.path)" : "is also this command's input"
                    throw UsageError("--\(output.flag): \(output.path) \(what) (--\(input.flag)); writing it would destroy the input, so choose another --\(output.flag)")
                }
            }
        }
    }

    /// An absolute path with symlinks resolved as far as the file system has them (an output
    /// that does not exist yet is resolved through its folder).
    static func resolved(_ path: String) -> String {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        if let real = realpath(url.path, nil) {
            defer { free(real) }
            return String(cString: real)
        }
        let folder = url.deletingLastPathComponent().path
        guard let realFolder = realpath(folder, nil) else { return url.path }
        defer { free(realFolder) }
        return URL(fileURLWithPath: String(cString: realFolder)).appendingPathComponent(url.lastPathComponent).path
    }
}
