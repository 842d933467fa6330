import Foundation

/// Small data sets shipped inside `tl` as package resources, usable with no download.
///
/// The resource folder is located without `Bundle.module` (whose generated accessor calls
/// `fatalError` on Linux when the bundle is missing): first `$TL_DATA_DIR`, then the
/// `tl_TLData.resources/Resources` folder SwiftPM places next to the executable, then the
/// source tree this file was compiled from. If none holds the files, a `DataError` says where
/// it looked.
public enum BuiltinDatasets {
    /// Names accepted by `load(name:)`.
    public static let names = ["mnist5k", "digits"]

    /// One-line descriptions, for help output.
    public static let summaries: [String: String] = [
        "mnist5k": "5,000 MNIST digits (500 per class), 28x28x1, pixels scaled to [0,1]",
        "digits": "1,797 UCI optical digits, 8x8x1, values scaled to [0,1] (/16)",
    ]

    /// Environment variable that overrides the resource directory.
    public static let environmentVariable = "TL_DATA_DIR"

    /// Loads a built-in data set by name (`mnist5k` or `digits`). Class names are "0"…"9".
    public static func load(name: String) throws -> Dataset {
        try load(name: name, environment: ProcessInfo.processInfo.environment)
    }

    static func load(name: String, environment: [String: String]) throws -> Dataset {
        let digits = (0...9).map(String.init)
        switch name.lowercased() {
        case "mnist5k", "mnist_5k", "mnist":
            let path = try resourcePath("mnist_5k.csv.gz", environment)
            var d = try CSVLoader.load(path, options: CSVOptions(labelColumn: .last, hasHeader: false, sampleShape: [28, 28, 1],
                                                                 scale: 1.0 / 255.0, classNames: digits))
            d.source = "builtin:mnist5k"
            return d
        case "digits":
            let path = try resourcePath("digits.csv.gz", environment)
            var d = try CSVLoader.load(path, options: CSVOptions(labelColumn: .last, hasHeader: false, sampleShape: [8, 8, 1],
                                                                 scale: 1.0 / 16.0, classNames: digits))
            d.source = "builtin:digits"
            return d
        default:
            throw DataError(reason: "unknown built-in data set \"\(name)\" (expected one of: \(names.joined(separator: ", ")))")
        }
    }

    /// The folder holding the built-in data files.
    public static func resourceDirectory() throws -> String {
        try resourceDirectory(environment: ProcessInfo.processInfo.environment)
    }

    static func resourceDirectory(environment: [String: String]) throws -> String {
        let probe = "mnist_5k.csv.gz"
        let fm = FileManager.default
        let candidates = candidateDirectories(environment: environment)
        for dir in candidates where fm.fileExists(atPath: dir + "/" + probe) { return dir }
        throw DataError(reason: "built-in data not found (looked for \(probe) in: \(candidates.joined(separator: ", "))); set \(environmentVariable) to the folder holding it")
    }

    static func resourcePath(_ file: String, _ environment: [String: String]) throws -> String {
        let path = try resourceDirectory(environment: environment) + "/" + file
        guard FileManager.default.fileExists(atPath: path) else {
            throw DataError(file: path, reason: "built-in data file missing")
        }
        return path
    }

    static func candidateDirectories(environment: [String: String] = ProcessInfo.processInfo.environment,
                                     includeSourceTree: Bool = true) -> [String] {
        var out: [String] = []
        let bundleName = "tl_TLData.resources"
        if let env = environment[environmentVariable], !env.isEmpty {
            out += [env, env + "/Resources", env + "/" + bundleName + "/Resources"]
        }
        var exeDirs: [String] = []
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            exeDirs.append((exe as NSString).deletingLastPathComponent)
        }
        if let p = Bundle.main.executablePath { exeDirs.append(((p as NSString).resolvingSymlinksInPath as NSString).deletingLastPathComponent) }
        exeDirs.append(Bundle.main.bundlePath)
        for d in exeDirs {
            out += [d + "/" + bundleName + "/Resources", d + "/" + bundleName, d + "/../share/tl/" + bundleName + "/Resources"]
        }
        // Development fallback: the source tree (…/Sources/TLData/Resources).
        if includeSourceTree {
            out.append((String(#filePath) as NSString).deletingLastPathComponent + "/Resources")
        }
        var seen = Set<String>()
        return out.filter { seen.insert($0).inserted }
    }
}
