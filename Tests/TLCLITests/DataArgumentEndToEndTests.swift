import Testing
import Foundation
import TLTransfer
import TLModels
import TLNN
import TLTensor

/// The data argument through the real binary: a Kaggle-style CSV and a PyTorch-layout NPY
/// training `Models/lenet.json` with no options, the one-class and no-label errors, options.
@Suite(.serialized) struct DataArgumentEndToEndTests {
    static let lenet = ShippedModelsTests.models.appendingPathComponent("lenet.json").path

    /// `perClass` 28×28 images per class in 0–255: class k lights an 8×8 square of its own, plus noise.
    static func images(classes: Int, perClass: Int) -> (pixels: [[Int]], labels: [Int]) {
        var rng = SeededGenerator(seed: 5)
        var pixels: [[Int]] = [], labels: [Int] = []
        for i in 0..<(classes * perClass) {
            let k = i % classes
            // Noise inside a blank 2-pixel border, as MNIST digits have (so the last pixel is always 0).
            var image = (0..<784).map { j in (2..<26).contains(j / 28) && (2..<26).contains(j % 28) ? Int(rng.nextUniform() * 40) : 0 }
            for y in 0..<8 { for x in 0..<8 { image[(4 + 8 * (k / 2) + y) * 28 + 4 + 12 * (k % 2) + x] = 200 + Int(rng.nextUniform() * 55) } }
            pixels.append(image)
            labels.append(k)
        }
        return (pixels, labels)
    }

    /// `label,pixel0,…,pixel783`, label first, as Kaggle's MNIST CSV.
    static func writeKaggleCSV(to path: String, classes: Int, perClass: Int) throws {
        let (pixels, labels) = images(classes: classes, perClass: perClass)
        var lines = ["label," + (0..<784).map { "pixel\($0)" }.joined(separator: ",")]
        for (p, l) in zip(pixels, labels) { lines.append(String(l) + "," + p.map(String.init).joined(separator: ",")) }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// A little-endian NPY file (version 1) of `<f4` or `<i8` values.
    static func writeNPY(to path: String, shape: [Int], floats: [Float]? = nil, ints: [Int]? = nil) throws {
        let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var header = "{'descr': '\(floats != nil ? "<f4" : "<i8")', 'fortran_order': False, 'shape': (\(dims)), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)] + Array(header.utf8)
        for v in floats ?? [] { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
        for v in ints ?? [] { withUnsafeBytes(of: Int64(v).littleEndian) { bytes += $0 } }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    func checkpoint(_ path: String) throws -> CheckpointInfo {
        var rng = SeededGenerator(seed: 0)
        return try Checkpoint.read(from: URL(fileURLWithPath: path), rng: &rng).info
    }

    @Test func kaggleCSVTrainsLenetWithNoOptions() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder("kaggle")
        defer { try? FileManager.default.removeItem(at: folder) }
        let csv = folder.appendingPathComponent("train.csv").path, out = folder.appendingPathComponent("k.safetensors").path
        try Self.writeKaggleCSV(to: csv, classes: 3, perClass: 12)
        let r = try runTL(["pretrain", "--model", Self.lenet, "--data", "csv:" + csv, "--epochs", "3", "--val-split", "0", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("samples [784] read as flat row-major H·W·C and reshaped to [28, 28, 1]"), "\(r.stderr)")
        let info = try checkpoint(out)
        #expect(info.classNames == ["0", "1", "2"] && info.data == "csv:" + csv)

        // Forcing the last column as the label reproduces the old reading: one class, an error that says so.
        let out2 = folder.appendingPathComponent("last.safetensors").path
        let last = try runTL(["pretrain", "--model", Self.lenet, "--data", "csv:\(csv),label=last", "--epochs", "1", "--out", out2])
        #expect(last.status != 0 && last.status != 2)
        #expect(last.stderr.contains("at least two classes") && last.stderr.contains("labels from the last column 'pixel783' (column 785 of 785)"), "\(last.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out2))

        // Options reach the loader: label by name and scale; the checkpoint records them and they round-trip.
        let out3 = folder.appendingPathComponent("opts.safetensors").path
        let opts = try runTL(["pretrain", "--model", Self.lenet, "--data", "csv:\(csv),scale=255,header=yes,label=label", "--epochs", "1",
                              "--val-split", "0", "--out", out3])
        #expect(opts.status == 0, "\(opts.stderr)")
        #expect(try checkpoint(out3).data == "csv:\(csv),label=label,header=yes,scale=255")
    }

    @Test func pytorchLayoutNPYTrainsLenet() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder("npy")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (pixels, labels) = Self.images(classes: 2, perClass: 10)
        let x = folder.appendingPathComponent("x.npy").path, y = folder.appendingPathComponent("y.npy").path
        try Self.writeNPY(to: x, shape: [labels.count, 1, 28, 28], floats: pixels.flatMap { $0.map { Float($0) / 255 } })
        try Self.writeNPY(to: y, shape: [labels.count], ints: labels)
        let out = folder.appendingPathComponent("n.safetensors").path
        let r = try runTL(["pretrain", "--model", Self.lenet, "--data", "npy:\(x),\(y)", "--epochs", "2", "--val-split", "0", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("samples [1, 28, 28] read as channels-first (NCHW) and transposed to [28, 28, 1]"), "\(r.stderr)")
        #expect(!r.stderr.contains("cannot convert"))
        #expect(try checkpoint(out).classNames == ["0", "1"])
    }

    @Test func oneClassAndNoLabelsAreErrorsSayingWhy() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder("oneclass")
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("one.safetensors").path
        let one = try runTL(["pretrain", "--model", Self.lenet, "--data", "mnist5k", "--classes", "3", "--epochs", "1", "--out", out])
        #expect(one.status != 0 && one.status != 2)
        #expect(one.stderr.contains("training needs at least two classes, the data has 1 ('3')"), "\(one.stderr)")
        #expect(one.stderr.contains("labels from the last column"), "\(one.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))

        let texts = folder.appendingPathComponent("lines.txt").path
        try "a fine day out\nrain again today\nwhat a match that was\n".write(toFile: texts, atomically: true, encoding: .utf8)
        let none = try runTL(["pretrain", "--model", Self.lenet, "--data", "text:" + texts, "--epochs", "1", "--out", out])
        #expect(none.status != 0 && none.status != 2)
        #expect(none.stderr.contains("\(texts): one column, so no labels: training needs a label and a text per row"), "\(none.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func malformedDataArgumentsAreUsageErrorsAndHelpListsOptions() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let typo = try runTL(["pretrain", "--model", Self.lenet, "--data", "csv:x.csv,lable=first", "--out", "/tmp/never.safetensors"])
        #expect(typo.status == 2)
        #expect(typo.stderr.contains("--data: unknown option 'lable' for csv: (did you mean 'label'?"), "\(typo.stderr)")
        let help = try runTL(["pretrain", "--help"])
        for line in ["idx:DIR | idx:IMAGES,LABELS", "label=first|last|N|NAME", "x=NAME", "size=HxW", "layout=nhwc|nchw|flat", "text=N|NAME"] {
            #expect(help.stdout.contains(line), "\(line)")
        }
    }

    /// `text:` files as people have them: header-less (the first row is data), text before label,
    /// texts containing commas; each reads as 2 classes and every row, said on stderr.
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func textFilesWithoutHeaderOrInOtherColumnOrderReadRight() throws {
        guard tlExecutablePath != nil else { Issue.record("tl binary not built"); return }
        let folder = try makeTempFolder("text-layouts")
        defer { try? FileManager.default.removeItem(at: folder) }
        let spec = Self.repositoryRoot.appendingPathComponent("Models/transformer.json").path
        let words = ["good", "bad", "plot", "actor", "dull", "moving", "scene", "funny"]
        func sentence(_ i: Int) -> String { (0..<(6 + i % 5)).map { words[($0 * 3 + i) % words.count] }.joined(separator: " ") }
        let headerless = folder.appendingPathComponent("plain.tsv")
        try (0..<40).map { "\($0 % 2 == 0 ? "pos" : "neg")\t\(sentence($0))" }.joined(separator: "\n").write(to: headerless, atomically: true, encoding: .utf8)
        let swapped = folder.appendingPathComponent("swapped.csv")
        try (["text,label"] + (0..<40).map { "\"\(sentence($0)), really\",\($0 % 2 == 0 ? "pos" : "neg")" })
            .joined(separator: "\n").write(to: swapped, atomically: true, encoding: .utf8)
        for file in [headerless, swapped] {
            let out = folder.appendingPathComponent(file.lastPathComponent + ".safetensors").path
            let r = try runTL(["pretrain", "--model", spec, "--data", "text:" + file.path, "--epochs", "1", "--out", out])
            #expect(r.status == 0, "\(file.lastPathComponent): \(r.stderr)")
            #expect(r.stderr.contains("36 training, 4 validation samples, 2 classes"), "\(file.lastPathComponent): \(r.stderr)")
        }
    }
}
