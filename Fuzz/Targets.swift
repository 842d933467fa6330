// The fuzz targets: one per parser, each calling the same entry point the file readers use.
// Adding a parser: one entry here, a seed folder Fuzz/corpus/<name>/, nothing else
// (Scripts/fuzz.sh and .ci/run take the list from `TL_FUZZ_TARGET=list .build/fuzz/tl-fuzz`).
import Foundation
@testable import TLData
@testable import TLModels
@testable import TLNN
@testable import TLSafeTensors

enum FuzzTargets {
    static let file = "fuzz-input"

    static let all: [FuzzTarget] = [
        // safetensors: 8-byte length, JSON header, then every tensor's body decoded.
        FuzzTarget(name: "safetensors") { bytes in
            let f = try SafeTensorsFile.decode(Data(bytes), path: file)
            for name in f.tensors.keys.sorted() {
                let t = try f.tensor(name)
                if t.dtype == .i64 { _ = try t.int64s() } else { _ = try t.floats() }
            }
        },
        // The same bytes as a file read tensor by tensor (SafeTensorsDiskReader, what checkpoint
        // loads use): it must accept exactly what the in-memory decode accepts, with the same
        // values (chunks handed out in two halves, as the kernel threads would).
        FuzzTarget(name: "safetensors-disk") { bytes in
            let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("tl-fuzz-\(getpid()).safetensors")
            try Data(bytes).write(to: url)
            defer { try? FileManager.default.removeItem(at: url) }
            let memory = try? SafeTensorsFile.decode(Data(bytes), path: url.path)
            let reader: SafeTensorsDiskReader
            do { reader = try SafeTensorsDiskReader.open(url) } catch {
                if memory != nil { fatalError("disk reader refused a file the in-memory decode accepts: \(error)") }
                throw error
            }
            guard let memory else { fatalError("disk reader accepted a file the in-memory decode refuses") }
            for entry in reader.header.entries {
                let stored = try memory.tensor(entry.name)
                guard try reader.storedTensor(entry) == stored else { fatalError("bytes differ: \(entry.name)") }
                guard entry.dtype.isFloatingPoint else { continue }
                let values = try reader.floats(entry, split: { n, body in body((n / 2)..<n); body(0..<(n / 2)) })
                guard values.map(\.bitPattern) == (try stored.floats()).map(\.bitPattern) else { fatalError("values differ: \(entry.name)") }
            }
        },
        // A model spec (JSON), then its shape inference, as `tl inspect` does.
        FuzzTarget(name: "spec") { bytes in
            let spec = try ModelSpec.parse(Data(bytes), file: file)
            _ = try spec.blockOutputShapes(classes: 3, vocab: 50)
        },
        // Numeric CSV (auto-detected header and label column), then as a text-classification file.
        FuzzTarget(name: "csv") { bytes in
            _ = try? CSVLoader.parse(bytes, file: file, options: CSVOptions())
            _ = try TextClassificationLoader.parse(bytes, file: file, options: TextOptions())
        },
        FuzzTarget(name: "idx") { bytes in _ = try IDXLoader.parse(bytes, file: file) },
        // One .npy array, and the same bytes as labels for a data set.
        FuzzTarget(name: "npy") { bytes in
            let a = try NPY.parse(bytes, file: file)
            if a.shape.count >= 1, let n = a.shape.first {
                let x = NPYArray(shape: [n, 1], values: [Float](repeating: 0, count: n), dtype: "<f4")
                _ = try NPYLoader.makeDataset(x, a, file: file, classNames: nil, labelsFrom: file)
            }
        },
        FuzzTarget(name: "npz") { bytes in _ = try NPZ.decode(bytes, file: file) },
        // The zip reader on its own: directory, then every member extracted.
        FuzzTarget(name: "zip") { bytes in
            for e in try ZipArchive.entries(bytes, file: file) { _ = try? ZipArchive.extract(e, from: bytes, file: file) }
        },
        // gzip, zlib and raw DEFLATE on the same bytes (the first byte picks which goes first).
        FuzzTarget(name: "deflate") { bytes in
            let limit = 16 << 20
            _ = try? Gzip.decompress(bytes, limit: limit)
            _ = try? Zlib.decompress(bytes, limit: limit)
            _ = try Inflate.decompress(bytes, limit: limit)
        },
        FuzzTarget(name: "png") { bytes in _ = try PNG.decode(bytes, file: file) },
        FuzzTarget(name: "pnm") { bytes in _ = try PNM.decode(bytes, file: file) },
        FuzzTarget(name: "jpeg") { bytes in _ = try JPEG.decode(bytes, file: file) },
        // A vocabulary (lines up to the first empty line) and a text to tokenise (the rest).
        FuzzTarget(name: "wordpiece") { bytes in
            let text = String(decoding: bytes, as: UTF8.self)
            let parts = text.split(separator: "\n\n", maxSplits: 1, omittingEmptySubsequences: false)
            let vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"] + (parts.first ?? "").split(separator: "\n").map(String.init)
            let tokenizer = try WordPieceTokenizer(vocabulary: vocab)
            let body = parts.count > 1 ? String(parts[1]) : text
            _ = tokenizer.encode(body, maxLength: 64)
            let simple = try SimpleTokenizer(training: [body], level: .word, maxVocabSize: 100)
            _ = simple.encode(body, maxLength: 32)
        },
        FuzzTarget(name: "pytorch") { bytes in
            let c = try PyTorchCheckpoint.decode(bytes, file: file)
            _ = c.entries.count
        },
    ]
}
