import Foundation
import TLIO
import Testing
#if canImport(Glibc)
import Glibc
#endif
import TLTensor
@testable import TLSafeTensors

@Suite struct SafeTensorsRoundTripTests {
    /// Floats that exercise the bit-level edge cases: signed zero, subnormals, infinities, NaN payloads.
    static let awkwardFloats: [Float] = [
        0, -0.0, 1, -1, .pi, .leastNonzeroMagnitude, -.leastNormalMagnitude, .greatestFiniteMagnitude,
        .infinity, -.infinity, Float(bitPattern: 0x7FC0_0001), Float(bitPattern: 0xFFA0_0000),
    ]

    func sampleFile(seed: UInt64) throws -> SafeTensorsFile {
        var rng = SeededGenerator(seed: seed)
        var file = SafeTensorsFile(metadata: ["format": "pt", "arch": "resnet-mini", "quote\"and\\slash\n": "ünïcødé ✓\t"])
        try file.setFloats("conv1.weight", (0..<(4 * 3 * 3 * 2)).map { _ in rng.nextNormal() }, shape: [4, 3, 3, 2])
        try file.setFloats("conv1.bias", (0..<4).map { _ in rng.nextNormal() }, shape: [4])
        try file.setFloats("fc.weight", Self.awkwardFloats, shape: [3, 4])
        try file.setFloats("scalar", [42.5], shape: [])
        try file.setFloats("empty", [], shape: [0, 7])
        file.tensors["steps"] = try StoredTensor(shape: [2], int64s: [-3, .max])
        return file
    }

    @Test func saveLoadIsBitExact() throws {
        let folder = try makeTempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("model.safetensors")
        let original = try sampleFile(seed: 7)
        try original.write(to: url)
        let loaded = try SafeTensorsFile.read(from: url)
        #expect(loaded.metadata == original.metadata)
        #expect(Set(loaded.tensors.keys) == Set(original.tensors.keys))
        for (name, tensor) in original.tensors {
            let other = try #require(loaded.tensors[name])
            #expect(other.dtype == tensor.dtype && other.shape == tensor.shape, "\(name)")
            #expect(other.bytes == tensor.bytes, "\(name) bytes differ")
        }
        let fc = try loaded.floats("fc.weight")
        #expect(fc.map(\.bitPattern) == Self.awkwardFloats.map(\.bitPattern))
        #expect(try loaded.int64s("steps") == [-3, .max])
        #expect(try loaded.floats("scalar") == [42.5])
        #expect(loaded.parameterCount == 72 + 4 + 12 + 1 + 0 + 2)
        // Header-only reading agrees with the full read.
        let header = try SafeTensorsHeader.read(from: url)
        #expect(header.metadata == original.metadata)
        #expect(header.parameterCount == loaded.parameterCount)
        // Writing the loaded file again gives identical bytes (deterministic layout).
        #expect(try loaded.encoded() == (try Data(contentsOf: url)))
    }

    @Test func layoutFollowsTheReferenceWriter() throws {
        var file = SafeTensorsFile(metadata: ["format": "pt"])
        try file.setFloats("b", [1, 2], shape: [2])
        try file.setFloats("a", [3], shape: [1, 1])
        let data = try file.encoded()
        let n = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        let header = String(decoding: data[8..<(8 + Int(n))], as: UTF8.self)
        let json = #"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        #expect(header.hasPrefix(json))
        #expect(header.dropFirst(json.count).allSatisfy { $0 == " " })
        #expect((8 + Int(n)) % 8 == 0)
        #expect(data.count == 8 + Int(n) + 12)
        #expect([UInt8](data.suffix(12)) == [0, 0, 0x40, 0x40, 0, 0, 0x80, 0x3F, 0, 0, 0, 0x40])
    }

    @Test func emptyFileRoundTrips() throws {
        let data = try SafeTensorsFile().encoded()
        #expect([UInt8](data) == [8, 0, 0, 0, 0, 0, 0, 0] + Array("{}      ".utf8))
        #expect(try SafeTensorsFile.decode(data) == SafeTensorsFile())
    }

    @Test func reservedNameAndBadShapesAreRejected() throws {
        var file = SafeTensorsFile()
        try file.setFloats("__metadata__", [1], shape: [1])
        #expect(throws: SafeTensorsError.self) { try file.encoded() }
        #expect(throws: SafeTensorsError.self) { try StoredTensor(shape: [2, 2], floats: [1, 2, 3]) }
        #expect(throws: SafeTensorsError.self) { try StoredTensor(dtype: .f16, shape: [-1], bytes: []) }
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile().floats("missing") }
    }
}

@Suite struct SafeTensorsDecodingTests {
    func decode(_ dtype: String, shape: [Int], bytes: [UInt8]) throws -> StoredTensor {
        let header = #"{"t":{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":[0,\#(bytes.count)]}}"#
        return try #require(try SafeTensorsFile.decode(rawSafeTensors(header: header, data: bytes)).tensors["t"])
    }

    func littleEndian16(_ values: [UInt16]) -> [UInt8] { values.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } }

    @Test func halfPrecisionByHand() throws {
        // (bits, value) pairs worked out from the binary16 layout: sign | 5-bit exponent (bias 15) | 10-bit fraction.
        let cases: [(UInt16, Float)] = [
            (0x3C00, 1), (0xC000, -2), (0x3555, 0.333251953125),  // 2^(13-15) · (1 + 341/1024)
            (0x7BFF, 65504), (0x0400, 0x1p-14), (0x0001, 0x1p-24), (0x03FF, 1023 * 0x1p-24), (0x8001, -0x1p-24),
            (0x0000, 0), (0x7C00, .infinity), (0xFC00, -.infinity), (0x3800, 0.5), (0x5640, 100),
        ]
        let tensor = try decode("F16", shape: [cases.count], bytes: littleEndian16(cases.map(\.0)))
        let floats = try tensor.floats()
        for (i, (bits, expected)) in cases.enumerated() {
            #expect(floats[i] == expected, "F16 0x\(String(bits, radix: 16))")
        }
        let negativeZero = floatFromHalfBits(0x8000)
        #expect(negativeZero == 0 && negativeZero.sign == .minus)
        #expect(floatFromHalfBits(0x7E00).isNaN && floatFromHalfBits(0xFD01).isNaN)
    }

    #if !(os(macOS) && arch(x86_64))
    @Test func halfPrecisionMatchesFloat16ForAllBitPatterns() {
        // The reference, Swift's `Float(Float16)` (libswiftCore's __extendhfsf2), computes
        // subnormal halves with float arithmetic, so it returns 0 for them when this thread has
        // denormals-are-zero set — which tl's kernels set on every thread they run on
        // (TLKernels/FloatEnvironment.swift). Ours is integer-only; compare with DAZ/FTZ off.
        #if canImport(Glibc) && arch(x86_64)
        var saved = fenv_t()
        fegetenv(&saved)
        var plain = saved
        plain.__mxcsr &= ~UInt32(0x8040)
        fesetenv(&plain)
        defer { fesetenv(&saved) }
        #endif
        for bits in 0...UInt16.max {
            let ours = floatFromHalfBits(bits)
            let reference = Float(Float16(bitPattern: bits))
            #expect(ours.bitPattern == reference.bitPattern || (ours.isNaN && reference.isNaN), "0x\(String(bits, radix: 16))")
            if ours.bitPattern != reference.bitPattern && !(ours.isNaN && reference.isNaN) { break }
        }
    }
    #endif

    @Test func bfloat16ByHand() throws {
        let cases: [(UInt16, Float)] = [
            (0x3F80, 1), (0xC040, -3), (0x4049, 3.140625), (0x7F80, .infinity), (0x0001, 0x1p-133), (0x8000, -0.0),
        ]
        let floats = try decode("BF16", shape: [2, 3], bytes: littleEndian16(cases.map(\.0))).floats()
        #expect(floats == cases.map(\.1))
        #expect(floatFromBFloat16Bits(0x7FC0).isNaN)
    }

    @Test func doubleAndIntegerTypes() throws {
        let doubles: [Double] = [1.5, -0.1, 1e300, .leastNonzeroMagnitude]
        let f64 = try decode("F64", shape: [4], bytes: doubles.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
        #expect(try f64.floats() == [1.5, Float(-0.1), .infinity, 0])

        let ints: [Int64] = [-1, .max, 42, .min]
        let i64 = try decode("I64", shape: [2, 2], bytes: ints.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) })
        #expect(try i64.int64s() == ints)
        #expect(throws: SafeTensorsError.self) { try i64.floats() }

        let i32 = try decode("I32", shape: [2], bytes: [0xFF, 0xFF, 0xFF, 0xFF, 7, 0, 0, 0])
        #expect(try i32.int64s() == [-1, 7])
        let u8 = try decode("U8", shape: [3], bytes: [0, 200, 255])
        #expect(try u8.int64s() == [0, 200, 255])
        #expect(throws: SafeTensorsError.self) { try f64.int64s() }
    }
}
