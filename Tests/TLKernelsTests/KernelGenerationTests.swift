import Foundation
import Testing

/// The generated micro-kernels and the backend symlinks must be exactly what
/// `Scripts/gen/generate_kernels.py` produces: a hand edit of a generated file, or a backend
/// missing a shared source, fails here rather than silently diverging between instruction sets.
@Suite struct KernelGenerationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var python: String? {
        ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }
            ?? ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":").map { "\($0)/python3" }
                .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    @Test(.enabled(if: python != nil, "needs python3 to run the kernel generators"))
    func generatedKernelsAndLinksMatchTheGenerators() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.python!)
        process.arguments = [Self.root.appendingPathComponent("Scripts/gen/generate_kernels.py").path, "--check"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output)")
        #expect(output.contains("kernel sources up to date"))
    }

    /// Every symlink in a backend folder resolves to a file (git keeps dangling links silently).
    @Test func backendLinksResolve() throws {
        let fm = FileManager.default
        var links = 0
        for backend in ["TLKernelsAVX512", "TLKernelsAVX2", "TLKernelsPortable"] {
            let folder = Self.root.appendingPathComponent("Sources/\(backend)")
            for name in try fm.contentsOfDirectory(atPath: folder.path) {
                let path = folder.appendingPathComponent(name).path
                guard (try? fm.destinationOfSymbolicLink(atPath: path)) != nil else { continue }
                links += 1
                #expect(fm.fileExists(atPath: URL(fileURLWithPath: path).resolvingSymlinksInPath().path), "\(backend)/\(name) is a dangling link")
            }
        }
        #expect(links >= 20)
    }
}
