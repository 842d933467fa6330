import Foundation
import Testing
@testable import TLSafeTensors

@Suite struct SafeTensorsCorruptionTests {
    /// A malformed file: literal header JSON, data bytes, optionally a lying length field,
    /// and the error kinds that are acceptable for it.
    struct Case: CustomTestStringConvertible, Sendable {
        var label: String
        var header: String
        var data: [UInt8] = []
        var declaredLength: UInt64? = nil
        var kinds: [SafeTensorsError.Kind]
        var testDescription: String { label }
    }

    static let f32x2 = #""dtype":"F32","shape":[2]"#
    static let cases: [Case] = [
        Case(label: "length beyond file", header: "{}", declaredLength: 1000, kinds: [.truncated]),
        Case(label: "absurd length", header: "{}", declaredLength: 200_000_000, kinds: [.headerTooLarge]),
        Case(label: "max u64 length", header: "{}", declaredLength: .max, kinds: [.headerTooLarge]),
        Case(label: "zero length", header: "", kinds: [.invalidJSON]),
        Case(label: "invalid JSON", header: #"{"a":"#, kinds: [.invalidJSON]),
        Case(label: "trailing garbage", header: "{} x", kinds: [.invalidJSON]),
        Case(label: "not an object", header: "[1,2]", kinds: [.invalidJSON]),
        Case(label: "leading space", header: " {}", kinds: [.invalidJSON]),
        Case(label: "deep nesting", header: "{\"a\":" + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "}", kinds: [.invalidJSON]),
        Case(label: "entry not object", header: #"{"a":5}"#, kinds: [.invalidEntry]),
        Case(label: "missing dtype", header: #"{"a":{"shape":[2],"data_offsets":[0,8]}}"#, data: .init(repeating: 0, count: 8), kinds: [.invalidEntry]),
        Case(label: "missing shape", header: #"{"a":{"dtype":"F32","data_offsets":[0,8]}}"#, data: .init(repeating: 0, count: 8), kinds: [.invalidEntry]),
        Case(label: "missing offsets", header: #"{"a":{\#(f32x2)}}"#, data: .init(repeating: 0, count: 8), kinds: [.invalidEntry]),
        Case(label: "dtype not string", header: #"{"a":{"dtype":3,"shape":[2],"data_offsets":[0,8]}}"#, data: .init(repeating: 0, count: 8), kinds: [.invalidEntry]),
        Case(label: "three offsets", header: #"{"a":{\#(f32x2),"data_offsets":[0,8,9]}}"#, data: .init(repeating: 0, count: 8), kinds: [.invalidEntry]),
        Case(label: "unknown dtype", header: #"{"a":{"dtype":"F17","shape":[2],"data_offsets":[0,8]}}"#, data: .init(repeating: 0, count: 8), kinds: [.unknownDType]),
        Case(label: "negative dim", header: #"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, data: .init(repeating: 0, count: 8), kinds: [.invalidShape]),
        Case(label: "fractional dim", header: #"{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,8]}}"#, data: .init(repeating: 0, count: 8), kinds: [.invalidShape]),
        Case(label: "string dim", header: #"{"a":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}}"#, data: .init(repeating: 0, count: 8), kinds: [.invalidShape]),
        Case(label: "shape overflow", header: #"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#, data: .init(repeating: 0, count: 8), kinds: [.invalidShape]),
        Case(label: "huge dim", header: #"{"a":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,8]}}"#, data: .init(repeating: 0, count: 8), kinds: [.invalidShape]),
        Case(label: "byte count overflow", header: #"{"a":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,8]}}"#, data: .init(repeating: 0, count: 8), kinds: [.invalidOffsets]),
        Case(label: "shape/size mismatch", header: #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: .init(repeating: 0, count: 8), kinds: [.invalidOffsets]),
        Case(label: "end before begin", header: #"{"a":{\#(f32x2),"data_offsets":[8,0]}}"#, data: .init(repeating: 0, count: 8), kinds: [.invalidOffsets]),
        Case(label: "negative offset", header: #"{"a":{\#(f32x2),"data_offsets":[-8,0]}}"#, data: .init(repeating: 0, count: 8), kinds: [.invalidOffsets]),
        Case(label: "huge offset", header: #"{"a":{\#(f32x2),"data_offsets":[18446744073709551608,18446744073709551616]}}"#, data: .init(repeating: 0, count: 8), kinds: [.invalidOffsets]),
        Case(label: "out of range", header: #"{"a":{\#(f32x2),"data_offsets":[16,24]}}"#, data: .init(repeating: 0, count: 8), kinds: [.invalidOffsets, .truncated]),
        Case(label: "overlap", header: #"{"a":{\#(f32x2),"data_offsets":[0,8]},"b":{\#(f32x2),"data_offsets":[4,12]}}"#, data: .init(repeating: 0, count: 12), kinds: [.invalidOffsets]),
        Case(label: "same range twice", header: #"{"a":{\#(f32x2),"data_offsets":[0,8]},"b":{\#(f32x2),"data_offsets":[0,8]}}"#, data: .init(repeating: 0, count: 8), kinds: [.invalidOffsets]),
        Case(label: "hole", header: #"{"a":{\#(f32x2),"data_offsets":[0,8]},"b":{\#(f32x2),"data_offsets":[12,20]}}"#, data: .init(repeating: 0, count: 20), kinds: [.invalidOffsets]),
        Case(label: "hole at start", header: #"{"a":{\#(f32x2),"data_offsets":[4,12]}}"#, data: .init(repeating: 0, count: 12), kinds: [.invalidOffsets]),
        Case(label: "trailing data", header: #"{"a":{\#(f32x2),"data_offsets":[0,8]}}"#, data: .init(repeating: 0, count: 12), kinds: [.invalidOffsets]),
        Case(label: "duplicate name", header: #"{"a":{\#(f32x2),"data_offsets":[0,8]},"a":{\#(f32x2),"data_offsets":[8,16]}}"#, data: .init(repeating: 0, count: 16), kinds: [.duplicateName]),
        Case(label: "duplicate field", header: #"{"a":{\#(f32x2),"dtype":"F32","data_offsets":[0,8]}}"#, data: .init(repeating: 0, count: 8), kinds: [.invalidJSON]),
        Case(label: "metadata value number", header: #"{"__metadata__":{"epochs":3}}"#, kinds: [.invalidMetadata]),
        Case(label: "metadata not object", header: #"{"__metadata__":["a"]}"#, kinds: [.invalidMetadata]),
        Case(label: "metadata nested object", header: #"{"__metadata__":{"a":{"b":"c"}}}"#, kinds: [.invalidMetadata]),
    ]

    @Test(arguments: cases)
    func malformedFileGivesOneLineError(_ testCase: Case) throws {
        let folder = try makeTempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("bad.safetensors")
        try rawSafeTensors(header: testCase.header, data: testCase.data, declaredLength: testCase.declaredLength).write(to: url)
        for read in [{ _ = try SafeTensorsFile.read(from: url) }, { _ = try SafeTensorsHeader.read(from: url) }] {
            do {
                try read()
                Issue.record("\(testCase.label): no error thrown")
            } catch let error as SafeTensorsError {
                #expect(testCase.kinds.contains(error.kind), "\(testCase.label): got \(error.kind): \(error)")
                #expect(error.description.hasPrefix(url.path + ": "), "\(error)")
                #expect(!error.description.contains("\n"))
                #expect(error.description.count < 400, "\(error)")
            }
        }
    }

    @Test func invalidUTF8InHeaderIsRejected() throws {
        var data = rawSafeTensors(header: "{\"aa\":{}}")
        data[10] = 0xFF  // inside the key
        #expect { try SafeTensorsFile.decode(data, path: "x.safetensors") } throws: { error in
            (error as? SafeTensorsError)?.kind == .invalidJSON && "\(error)".contains("UTF-8")
        }
    }

    @Test func everyTruncationLengthIsRejected() throws {
        var file = SafeTensorsFile(metadata: ["note": "truncate me"])
        try file.setFloats("w", [1, 2, 3, 4, 5, 6], shape: [2, 3])
        try file.setFloats("b", [0.5, -0.5], shape: [2])
        file.tensors["n"] = try StoredTensor(shape: [], int64s: [9])
        let full = try file.encoded()
        let folder = try makeTempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("cut.safetensors")
        #expect(full.count > 100)
        for length in 0..<full.count {
            try full.prefix(length).write(to: url)
            do {
                _ = try SafeTensorsFile.read(from: url)
                Issue.record("prefix of \(length)/\(full.count) bytes was accepted")
            } catch let error as SafeTensorsError {
                #expect(error.description.hasPrefix(url.path + ": ") && !error.description.contains("\n"), "\(error)")
            }
            // The header-only reader must reject every prefix too (it checks sizes against the file).
            #expect(throws: SafeTensorsError.self, "header of prefix \(length)") { try SafeTensorsHeader.read(from: url) }
        }
        try full.write(to: url)
        #expect(try SafeTensorsFile.read(from: url) == file)
    }

    @Test func missingFileNamesThePath() throws {
        let url = URL(fileURLWithPath: "/nonexistent-\(getpid())/model.safetensors")
        #expect { try SafeTensorsFile.read(from: url) } throws: { error in
            let e = error as? SafeTensorsError
            return e?.kind == .io && e!.description.hasPrefix(url.path) && !e!.description.contains("\n")
        }
        #expect { try SafeTensorsHeader.read(from: url) } throws: { ($0 as? SafeTensorsError)?.kind == .io }
    }

    @Test func paddingAndNullMetadataAreAccepted() throws {
        let header = #"{"__metadata__":null,"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":true}}"# + "   \n\t"
        let file = try SafeTensorsFile.decode(rawSafeTensors(header: header, data: [0, 0, 0x80, 0x3F]))
        #expect(try file.floats("a") == [1])
        #expect(file.metadata.isEmpty)
    }
}
