import Foundation
import Testing
@testable import TLSafeTensors

/// Interoperability with other safetensors implementations, via python3.
/// The stdlib-only parser runs wherever python3 exists; the `safetensors` package tests skip
/// (with the reason shown) when that package is not installed. Nothing is installed by the tests.
@Suite struct SafeTensorsInteropTests {
    func sample() throws -> SafeTensorsFile {
        var file = SafeTensorsFile(metadata: ["format": "pt", "note": "ünï \"q\"\n"])
        try file.setFloats("layer.weight", [1, -2.5, 3e-3, .infinity, -0.0, .leastNonzeroMagnitude], shape: [2, 3])
        try file.setFloats("layer.bias", [0.25, .nan], shape: [2])
        try file.setFloats("a_scalar", [7], shape: [])
        return file
    }

    /// name → (shape, float bit patterns) as printed by the python scripts below.
    func parseDump(_ text: String) throws -> (tensors: [String: ([Int], [UInt32])], metadata: [String: String]) {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        var tensors: [String: ([Int], [UInt32])] = [:]
        for (name, value) in try #require(object["tensors"] as? [String: [String: [Int]]]) {
            tensors[name] = (try #require(value["shape"]), try #require(value["bits"]).map { UInt32($0) })
        }
        return (tensors, try #require(object["metadata"] as? [String: String]))
    }

    func expectMatches(_ file: SafeTensorsFile, _ dump: (tensors: [String: ([Int], [UInt32])], metadata: [String: String])) throws {
        #expect(dump.metadata == file.metadata)
        #expect(Set(dump.tensors.keys) == Set(file.tensors.keys))
        for (name, tensor) in file.tensors {
            let (shape, bits) = try #require(dump.tensors[name])
            #expect(shape == tensor.shape, "\(name)")
            #expect(bits == (try tensor.floats()).map(\.bitPattern), "\(name)")
        }
    }

    static let stdlibParser = #"""
import json, struct, sys
raw = open(sys.argv[1], 'rb').read()
(n,) = struct.unpack('<Q', raw[:8])
assert (8 + n) % 8 == 0, 'header not padded to 8 bytes'
text = raw[8:8 + n].decode('utf-8')
assert text.rstrip(' ') == text.strip() and text.startswith('{'), 'padding must be trailing spaces'
header = json.loads(text)
buf = raw[8 + n:]
meta = header.pop('__metadata__', {})
names = sorted(header, key=lambda k: header[k]['data_offsets'][0])
assert names == sorted(header), 'F32 tensors must be laid out in name order'
end = 0
out = {}
for k in names:
    e = header[k]
    b, f = e['data_offsets']
    assert b == end, 'hole or overlap at ' + k
    count = 1
    for d in e['shape']: count *= d
    assert e['dtype'] == 'F32' and f - b == 4 * count, 'size mismatch at ' + k
    out[k] = {'shape': e['shape'], 'bits': list(struct.unpack('<%dI' % count, buf[b:f]))}
    end = f
assert end == len(buf), 'buffer not fully covered'
print(json.dumps({'tensors': out, 'metadata': meta}))
"""#

    @Test(.enabled(if: python3Path != nil, "python3 not found on PATH"))
    func layoutCheckedByStdlibPythonParser() throws {
        let folder = try makeTempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("ours.safetensors")
        let file = try sample()
        try file.write(to: url)
        let result = try #require(runPython(Self.stdlibParser, [url.path]))
        #expect(result.status == 0, "\(result.stderr)")
        try expectMatches(file, try parseDump(result.stdout))
    }

    @Test(.enabled(if: pythonHasSafetensors,
                   "python3 package 'safetensors' (with numpy) is not installed; `pip install safetensors numpy` enables this test"))
    func ourFileOpensInPythonSafetensors() throws {
        let folder = try makeTempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("ours.safetensors")
        let file = try sample()
        try file.write(to: url)
        let script = #"""
import json, sys
from safetensors import safe_open
from safetensors.numpy import load_file
tensors = load_file(sys.argv[1])
with safe_open(sys.argv[1], framework='np') as f:
    meta = f.metadata() or {}
out = {k: {'shape': list(v.shape), 'bits': v.reshape(-1).view('<u4').tolist()} for k, v in tensors.items()}
print(json.dumps({'tensors': out, 'metadata': meta}))
"""#
        let result = try #require(runPython(script, [url.path]))
        #expect(result.status == 0, "\(result.stderr)")
        try expectMatches(file, try parseDump(result.stdout))
    }

    @Test(.enabled(if: pythonHasSafetensors,
                   "python3 package 'safetensors' (with numpy) is not installed; `pip install safetensors numpy` enables this test"))
    func pythonWrittenFileReadsInSwift() throws {
        let folder = try makeTempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("theirs.safetensors")
        // Writes mixed dtypes and prints, for each float tensor, its values widened/rounded to
        // float32 by numpy (our reference), and the raw int64 values.
        let script = #"""
import json, sys
import numpy as np
from safetensors.numpy import save_file
t = {
    'h': np.array([[1.0, -2.0, 65504.0], [6e-8, 0.333, -0.0]], dtype=np.float16),
    'f': np.array([0.1, -1e30, 3.5], dtype=np.float32),
    'd': np.array([[1e-300, 2.0**100, -0.1]], dtype=np.float64),
    'steps': np.array([-5, 2**62], dtype=np.int64),
    'empty': np.zeros((0, 3), dtype=np.float32),
}
save_file(t, sys.argv[1], metadata={'format': 'np', 'epochs': '3'})
out = {k: {'shape': list(v.shape), 'bits': v.astype(np.float32).reshape(-1).view('<u4').tolist()} for k, v in t.items() if v.dtype.kind == 'f'}
print(json.dumps({'tensors': out, 'metadata': {'format': 'np', 'epochs': '3'}, 'steps': t['steps'].tolist()}))
"""#
        let result = try #require(runPython(script, [url.path]))
        #expect(result.status == 0, "\(result.stderr)")
        let dump = try parseDump(result.stdout)
        let file = try SafeTensorsFile.read(from: url)
        #expect(file.metadata == dump.metadata)
        #expect(try file.int64s("steps") == [-5, 1 << 62])
        #expect(file.tensors["h"]?.dtype == .f16 && file.tensors["d"]?.dtype == .f64)
        for (name, (shape, bits)) in dump.tensors {
            let tensor = try #require(file.tensors[name])
            #expect(tensor.shape == shape, "\(name)")
            #expect(try tensor.floats().map(\.bitPattern) == bits, "\(name)")
        }
    }
}
