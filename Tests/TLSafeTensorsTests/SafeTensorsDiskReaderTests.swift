import Foundation
import Testing
@testable import TLSafeTensors

/// `SafeTensorsDiskReader` reads each tensor with pread straight into its own array; it must give
/// exactly what decoding the whole file image in memory gives, for every dtype it converts.
@Suite struct SafeTensorsDiskReaderTests {
    /// Random bytes for every tensor (all bit patterns: subnormal, infinite and NaN halves and
    /// floats included), sized so F16/BF16/F64 span several 64 KiB scratch chunks.
    static func sampleFile(seed: UInt64) throws -> SafeTensorsFile {
        var state = seed
        func byte() -> UInt8 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        var file = SafeTensorsFile()
        let shapes: [(String, SafeTensorsDType, [Int])] = [
            ("f32", .f32, [301, 7]), ("f16", .f16, [70_001]), ("bf16", .bf16, [3, 33_333]), ("f64", .f64, [9_000]),
            ("empty", .f32, [0, 4]), ("scalar", .f16, []), ("ints", .i32, [5]),
        ]
        for (name, dtype, shape) in shapes {
            let count = shape.reduce(1, *) * dtype.byteSize
            file.tensors[name] = try StoredTensor(dtype: dtype, shape: shape, bytes: (0..<count).map { _ in byte() })
        }
        file.metadata = ["note": "disk reader test"]
        return file
    }

    @Test func floatsEqualTheInMemoryDecodeBitForBit() throws {
        let folder = try makeTempFolder("disk-reader")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("m.safetensors")
        try Self.sampleFile(seed: 7).write(to: url)
        let image = try SafeTensorsFile.decode(Data(contentsOf: url), path: url.path)
        let reader = try SafeTensorsDiskReader.open(url)
        #expect(reader.header.entries.count == image.tensors.count)
        var converted = 0
        for entry in reader.header.entries {
            let stored = try image.tensor(entry.name)
            #expect(try reader.storedTensor(entry) == stored, "\(entry.name)")
            if entry.dtype.isFloatingPoint {
                let a = try reader.floats(entry), b = try stored.floats()
                #expect(a.map(\.bitPattern) == b.map(\.bitPattern), "\(entry.name)")
                #expect(a.count == entry.elementCount)
                converted += 1
            } else {
                // Same error as the in-memory conversion, without a path (callers add the name).
                var diskError: SafeTensorsError?, memoryError: SafeTensorsError?
                do { _ = try reader.floats(entry) } catch let e as SafeTensorsError { diskError = e }
                do { _ = try stored.floats() } catch let e as SafeTensorsError { memoryError = e }
                #expect(diskError != nil && diskError == memoryError)
            }
        }
        #expect(converted == 6)
        // The chunk visitor sees every value once, in order, at its offset.
        for entry in reader.header.entries where entry.dtype.isFloatingPoint {
            var seen: [Float] = [], offsets: [Int] = []
            let values = try reader.floats(entry, visit: { offset, chunk in
                offsets.append(offset)
                #expect(offset == seen.count)
                seen.append(contentsOf: chunk)
            })
            #expect(seen.map(\.bitPattern) == values.map(\.bitPattern), "\(entry.name)")
            #expect(offsets.count == (entry.elementCount + SafeTensorsDiskReader.chunkElements - 1) / SafeTensorsDiskReader.chunkElements)
            // Chunks handed out in any partition and order give the same values, each chunk once.
            var ranges: [Range<Int>] = []
            let split: [Float] = try reader.floats(entry, split: { (count: Int, body: (Range<Int>) -> Void) in
                let parts = [(count / 2)..<count, 0..<(count / 2)]
                for r in parts { ranges.append(r); body(r) }
            })
            #expect(split.map(\.bitPattern) == values.map(\.bitPattern), "\(entry.name)")
            // F64 is never split (its rounding could meet a thread's flush-to-zero mode).
            #expect(ranges.map { $0.count }.reduce(0, +) == (entry.dtype == .f64 ? 0 : offsets.count), "\(entry.name)")
        }
        #expect(try SafeTensorsFile.read(from: url) == image)
    }

    @Test func aFileThatShrinksAfterOpeningIsATruncationErrorNamingIt() throws {
        let folder = try makeTempFolder("disk-reader-shrink")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("m.safetensors")
        try Self.sampleFile(seed: 8).write(to: url)
        let reader = try SafeTensorsDiskReader.open(url)
        let size = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as! Int
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: UInt64(size - 10))
        try handle.close()
        let tail = reader.header.dataByteCount - 10
        let last = try #require(reader.header.entries.first { !$0.dataRange.isEmpty && $0.dataRange.upperBound > tail })
        #expect { _ = try reader.storedTensor(last) } throws: { error in
            let e = error as? SafeTensorsError
            return e?.kind == .truncated && e!.description.hasPrefix(url.path + ": ") && !e!.description.contains("\n")
        }
        #expect { _ = try reader.floats(last, split: { count, body in body(0..<count) }) } throws: { error in
            (error as? SafeTensorsError)?.kind == .truncated
        }
        // Opening it again fails at the header check, as before.
        #expect { _ = try SafeTensorsDiskReader.open(url) } throws: { ($0 as? SafeTensorsError)?.kind == .truncated }
    }

    /// A missing file is worded as each reader always worded it.
    @Test func aMissingFileIsWordedAsBefore() throws {
        let folder = try makeTempFolder("disk-reader-missing")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("nope.safetensors")
        #expect { _ = try SafeTensorsFile.read(from: url) } throws: { "\($0)" == url.path + ": cannot read: no such file" }
        #expect { _ = try SafeTensorsDiskReader.open(url) } throws: { "\($0)" == url.path + ": cannot read: no such file" }
        #expect { _ = try SafeTensorsHeader.read(from: url) } throws: { "\($0)".hasPrefix(url.path + ": cannot open: ") }
    }
}
