import Testing
import Foundation
import TLSafeTensors

/// Issue 18's examples, each through the real binary under a 4 GB address-space limit
/// (`ulimit -v`): one line naming the file or flag, exit status 1 or 2, no output file, no
/// trap, no hang. Sizes declared by a file are checked against the allocation budget (half the
/// address-space limit here) before anything is allocated.
@Suite(.serialized) struct HostileInputTests {
    static let mlp = ShippedModelsTests.models.appendingPathComponent("mlp.json").path

    /// Runs `words` + `--out OUT` (when `out`), and checks the outcome of a refused input.
    func expectRefused(_ words: [String], out: String?, mentions: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        guard let r = Hostile.run(words + (out.map { ["--out", $0] } ?? [])) else {
            Issue.record("cannot run tl under ulimit and timeout", sourceLocation: sourceLocation); return
        }
        #expect(r.status == 1 || r.status == 2, "\(words): status \(r.status) \(r.stderr)", sourceLocation: sourceLocation)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(words): \(r.stderr)", sourceLocation: sourceLocation)
        for m in mentions { #expect(r.stderr.contains(m), "\(words): expected \"\(m)\" in \(r.stderr)", sourceLocation: sourceLocation) }
        if let out { #expect(!FileManager.default.fileExists(atPath: out), "\(words) left \(out)", sourceLocation: sourceLocation) }
    }

    func write(_ bytes: [UInt8], _ url: URL) throws { try Data(bytes).write(to: url) }

    @Test func declaredSizesInSpecsAreBudgetedBeforeAnythingIsBuilt() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder("hostile-spec")
        defer { try? FileManager.default.removeItem(at: folder) }
        func spec(_ name: String, input: String, layers: String) throws -> String {
            let url = folder.appendingPathComponent(name)
            try """
            {"name": "x", "input": \(input), "blocks": [
              {"name": "body", "layers": [\(layers)]},
              {"name": "head", "layers": [{"type": "linear", "out": "classes"}]}]}
            """.write(to: url, atomically: true, encoding: .utf8)
            return url.path
        }
        // The issue's example: 999,999,999 units (its output alone is 4 GB per sample).
        let huge = try spec("huge.json", input: "[784]", layers: #"{"type": "linear", "out": 999999999}"#)
        expectRefused(["inspect", huge], out: nil, mentions: [huge, "blocks[0].layers[0]", "linear", "memory limit"])
        // 99,999,999 units: a 400 MB output, but 78·10⁹ weights.
        let wide = try spec("wide.json", input: "[784]", layers: #"{"type": "linear", "out": 99999999}"#)
        expectRefused(["inspect", wide], out: nil, mentions: [wide, "blocks[0].layers[0]", "linear", "weights", "memory limit"])
        let flat = try spec("flat.json", input: "[999999999, 999999999, 999999999]", layers: #"{"type": "flatten"}"#)
        expectRefused(["inspect", flat], out: nil, mentions: [flat, "input", "memory limit"])
        // A convolution with 999,999,999 output channels: 9·10⁹ weights.
        let conv = try spec("conv.json", input: "[4, 4, 1]",
                            layers: #"{"type": "conv2d", "out": 999999999, "kernel": 3}, {"type": "flatten"}"#)
        expectRefused(["inspect", conv], out: nil, mentions: [conv, "blocks[0].layers[0]", "conv2d"])
        let out = folder.appendingPathComponent("o.safetensors").path
        expectRefused(["pretrain", "--model", wide, "--data", "digits", "--epochs", "1"], out: out, mentions: [wide, "memory limit"])
    }

    @Test func labelsSizingClassTablesAreBudgeted() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder("hostile-labels")
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("o.safetensors").path
        let csv = folder.appendingPathComponent("big-label.csv")
        try "a,b,label\n1,2,0\n3,4,999999999\n".write(to: csv, atomically: true, encoding: .utf8)
        expectRefused(["pretrain", "--model", Self.mlp, "--data", "csv:\(csv.path)", "--epochs", "1"], out: out,
                      mentions: [csv.path, "data row 2", "label 999999999", "1000000000 classes"])
        let x = folder.appendingPathComponent("x.npy"), y = folder.appendingPathComponent("y.npy")
        try write(Hostile.npy(descr: "<f4", shape: "(2, 2)", data: [UInt8](repeating: 0, count: 16)), x)
        try write(Hostile.npy(descr: "<i4", shape: "(2,)", data: Hostile.le32(1) + Hostile.le32(16_777_215)), y)
        expectRefused(["pretrain", "--model", Self.mlp, "--data", "npy:\(x.path),\(y.path)", "--epochs", "1"], out: out,
                      mentions: [x.path, "label record 1", "label 16777215", "16777216 classes"])
    }

    @Test func headersWithZeroSamplesButHugeDimensionsAreRefused() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder("hostile-headers")
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("o.safetensors").path
        let images = folder.appendingPathComponent("images.idx"), labels = folder.appendingPathComponent("labels.idx")
        try write([0, 0, 8, 3] + Hostile.be32(0) + Hostile.be32(-1) + Hostile.be32(-1), images)
        try write([0, 0, 8, 1] + Hostile.be32(0), labels)
        expectRefused(["pretrain", "--model", Self.mlp, "--data", "idx:\(images.path),\(labels.path)", "--epochs", "1"], out: out,
                      mentions: [images.path, "header dimensions", "memory limit"])
        let x = folder.appendingPathComponent("x.npy"), y = folder.appendingPathComponent("y.npy")
        try write(Hostile.npy(descr: "<f4", shape: "(0, 4294967295, 4294967295)", data: []), x)
        try write(Hostile.npy(descr: "<i8", shape: "(0,)", data: []), y)
        expectRefused(["pretrain", "--model", Self.mlp, "--data", "npy:\(x.path),\(y.path)", "--epochs", "1"], out: out,
                      mentions: [x.path, "header shape", "memory limit"])
    }

    @Test func decompressionBombsStopAtTheBudget() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder("hostile-bombs")
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("o.safetensors").path
        // 5 GB of zeros, gzipped (about 31 MB), as a CSV and as IDX images.
        let bomb = Hostile.gzipZeros(5 << 30)
        let csv = folder.appendingPathComponent("zeros.csv.gz"), idx = folder.appendingPathComponent("zeros.idx.gz")
        try write(bomb, csv); try write(bomb, idx)
        let labels = folder.appendingPathComponent("labels.idx")
        try write([0, 0, 8, 1] + Hostile.be32(1) + [0], labels)
        let started = Date()
        expectRefused(["pretrain", "--model", Self.mlp, "--data", "csv:\(csv.path)", "--epochs", "1"], out: out,
                      mentions: [csv.path, "decompressed data exceeds", "TL_MEMORY_LIMIT_MB"])
        expectRefused(["pretrain", "--model", Self.mlp, "--data", "idx:\(idx.path),\(labels.path)", "--epochs", "1"], out: out,
                      mentions: [idx.path, "decompressed data exceeds"])
        #expect(Date().timeIntervalSince(started) < 60, "bombs should fail fast")
        // An NPZ member declaring 1 GB (deflated to about 6 MB).
        let npz = folder.appendingPathComponent("big.npz")
        let member = Hostile.ZipMember(name: "x.npy", data: Hostile.deflatedZeros(1 << 30), method: 8, size: 1 << 30)
        try write(Hostile.zip([member]), npz)
        expectRefused(["pretrain", "--model", Self.mlp, "--data", "npz:\(npz.path)", "--epochs", "1"], out: out,
                      mentions: [npz.path, "x.npy", "uncompressed"])
    }

    @Test func brokenZipDirectoriesAreRefused() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder("hostile-zip")
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("o.safetensors").path
        let y = Hostile.npy(descr: "<i8", shape: "(1,)", data: [UInt8](repeating: 0, count: 8))
        let a = Hostile.ZipMember(name: "x.npy", data: y, size: y.count, crc: Hostile.crc32(y))
        let b = Hostile.ZipMember(name: "y.npy", data: y, size: y.count, crc: Hostile.crc32(y))
        let cases: [(String, [UInt8], String)] = [
            // Both directory records point at the first member: overlapping members.
            ("overlap.npz", Hostile.zip([a, b], centralOffsets: [0, 0]), "overlap"),
            // A member that starts past the central directory.
            ("outside.npz", Hostile.zip([a, b], centralOffsets: [0, 1 << 20]), "out of range"),
            // zip64 end record with an entry count of 2^64 − 1 (−1 as a signed number).
            ("zip64-count.npz", Hostile.zip([a, b], zip64Count: UInt64.max), "entry count"),
            ("zip64-huge.npz", Hostile.zip([a, b], zip64Count: 1 << 40), "entry count"),
        ]
        for (name, bytes, message) in cases {
            let url = folder.appendingPathComponent(name)
            try write(bytes, url)
            expectRefused(["pretrain", "--model", Self.mlp, "--data", "npz:\(url.path)", "--epochs", "1"], out: out,
                          mentions: [url.path, message])
        }
    }

    @Test func hugeImagesAreRefusedFromTheirHeader() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder("hostile-image")
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("o.safetensors").path
        let photos = folder.appendingPathComponent("photos")
        for cls in ["a", "b"] {
            try FileManager.default.createDirectory(at: photos.appendingPathComponent(cls), withIntermediateDirectories: true)
            try write(Hostile.png(width: 4, height: 4), photos.appendingPathComponent("\(cls)/small.png"))
        }
        let huge = photos.appendingPathComponent("a/huge.png")
        try write(Hostile.png(width: 20000, height: 20000), huge)
        expectRefused(["pretrain", "--model", Self.mlp, "--data", "folder:\(photos.path)", "--epochs", "1"], out: out,
                      mentions: [huge.path, "PNG header", "20000x20000", "memory limit"])
    }
}
