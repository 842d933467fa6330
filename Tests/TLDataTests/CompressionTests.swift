import Foundation
import Testing
@testable import TLData

@Suite struct ChecksumTests {
    @Test func crc32AndAdler32KnownValues() {
        let s = Array("123456789".utf8)
        #expect(CRC32.checksum(s) == 0xCBF4_3926)  // the standard CRC-32 check value
        #expect(Adler32.checksum(Array("Wikipedia".utf8)) == 0x11E6_0398)
        #expect(CRC32.checksum([]) == 0)
        // Slicing-by-8 path agrees with a bitwise CRC on a long odd-length input.
        let long = (0..<10_007).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        var c: UInt32 = 0xFFFF_FFFF
        for b in long { c ^= UInt32(b); for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 } }
        #expect(CRC32.checksum(long) == ~c)
    }
}

@Suite struct InflateTests {
    static func hex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = s.startIndex
        while i < s.endIndex { let j = s.index(i, offsetBy: 2); out.append(UInt8(s[i..<j], radix: 16)!); i = j }
        return out
    }

    @Test func storedBlockMadeByHand() throws {
        let payload = Array("hello, stored world".utf8)
        let n = payload.count
        let stream: [UInt8] = [0x01, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)] + payload
        #expect(try Inflate.decompress(stream) == payload)
    }

    @Test func fixedHuffmanFixture() throws {
        // python3: zlib.compressobj(6, DEFLATED, -15, 8, Z_FIXED) of the text below.
        let c = Self.hex("4b4c4a4e44450a19a93939f9c82400")
        #expect(c[0] >> 1 & 3 == 1)
        #expect(try Inflate.decompress(c) == Array("abcabcabcabcabcabc hello hello hello".utf8))
    }

    @Test func dynamicHuffmanFixture() throws {
        // python3: zlib.compressobj(9, DEFLATED, -15) of 400 letters drawn with random.Random(1).
        let c = Self.hex("1d508b094431085bc5d5040316a482e6ed7fe9154ad1c67c4480d8bb5f038b3e854b061cc03768c341f2eed069bcc4994f3f84e74983a09b1d58f631f898e35a02d9bea26345b4f04960869d1e7e6953e8448eb8d7639067fdb810557e0bfc30a101c2e4e24a8428b838c084f1e3f55d15ed47e6d5abf7f603a79de19797f9c97cb87def0bef8ae5c43382405c546a4231c38efcc39ab9f0ea87762d4073861eb75178fccf805e497717592d64dd9541c28e8a56adcd6951eadf27885280f3d4e3bc20a6e6e9e17025fcbd1d5389db1f43dd37303f")
        #expect(c[0] >> 1 & 3 == 2)
        let out = try Inflate.decompress(c)
        #expect(out.count == 400)
        #expect(CRC32.checksum(out) == 0x1563_4555)
        #expect(String(decoding: out.prefix(20), as: UTF8.self) == "edetesnsuoeeseoilent")
    }

    @Test func corruptDeflateStreamsAreRejected() throws {
        // Block type 3 is reserved.
        expectError(["invalid block type"]) { try Inflate.decompress([0x07, 0x00]) }
        // Dynamic block whose code-length code gives 19 symbols length 1: over-subscribed.
        var w = BitWriter()
        w.bits(1, 1); w.bits(2, 2); w.bits(0, 5); w.bits(0, 5); w.bits(15, 4)
        for _ in 0..<19 { w.bits(1, 3) }
        expectError(["over-subscribed"]) { try Inflate.decompress(w.bytes + [0, 0, 0]) }
        // Fixed block starting with a match (length 3, distance 1) before any output.
        var m = BitWriter()
        m.bits(1, 1); m.bits(1, 2); m.code(0b0000001, 7); m.code(0, 5); m.code(0, 7)
        expectError(["distance 1 too far back"]) { try Inflate.decompress(m.bytes) }
        // Fixed block using distance symbol 30 (unused).
        var d = BitWriter()
        d.bits(1, 1); d.bits(1, 2); d.code(0x30 + 65, 8); d.code(0b0000001, 7); d.code(30, 5); d.code(0, 7)
        expectError(["invalid distance symbol"]) { try Inflate.decompress(d.bytes) }
        // Stored block with a wrong NLEN, and one that is truncated.
        expectError(["length check"]) { try Inflate.decompress([0x01, 5, 0, 5, 0, 1, 2, 3, 4, 5]) }
        expectError(["truncated"]) { try Inflate.decompress([0x01, 5, 0, 0xFA, 0xFF, 1, 2]) }
        // A non-final block followed by nothing.
        expectError(["truncated"]) { try Inflate.decompress([0x00, 0x00, 0x00, 0xFF, 0xFF]) }
        // Empty input.
        expectError(["truncated"]) { try Inflate.decompress([]) }
        // A fixed-Huffman stream cut short.
        let fixed = Self.hex("4b4c4a4e44450a19a93939f9c82400")
        expectError(["truncated"]) { try Inflate.decompress(Array(fixed.prefix(6))) }
    }

    @Test func gzipAllHeaderFlagsByHand() throws {
        let payload = Array("flags!".utf8)
        let n = payload.count
        let deflate: [UInt8] = [0x01, UInt8(n), 0, UInt8(~n & 0xFF), 0xFF] + payload
        var header: [UInt8] = [0x1f, 0x8b, 8, 0x02 | 0x04 | 0x08 | 0x10, 0, 0, 0, 0, 0, 3]
        header += [6, 0, UInt8(ascii: "A"), UInt8(ascii: "B"), 2, 0, 9, 9]  // FEXTRA: XLEN 6, one subfield
        header += Array("name.txt".utf8) + [0] + Array("a comment".utf8) + [0]
        let hcrc = CRC32.checksum(header)
        let crc = CRC32.checksum(payload)
        func le(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)] }
        let file = header + [UInt8(hcrc & 0xFF), UInt8(hcrc >> 8 & 0xFF)] + deflate + le(crc) + le(UInt32(n))
        #expect(try Gzip.decompress(file) == payload)
        // Two members concatenated decode to the concatenation.
        #expect(try Gzip.decompress(file + file) == payload + payload)
        var badHeaderCRC = file
        badHeaderCRC[header.count] ^= 1
        expectError(["header CRC mismatch"]) { try Gzip.decompress(badHeaderCRC) }
        var badCRC = file
        badCRC[file.count - 8] ^= 0x40
        expectError(["CRC32 mismatch"]) { try Gzip.decompress(badCRC) }
        var badSize = file
        badSize[file.count - 4] ^= 1
        expectError(["ISIZE mismatch"]) { try Gzip.decompress(badSize) }
        expectError(["bad magic"]) { try Gzip.decompress([0x1f, 0x8c] + Array(file.dropFirst(2))) }
        expectError(["truncated"]) { try Gzip.decompress(Array(file.dropLast(3))) }
        expectError(["member 2", "truncated"]) { try Gzip.decompress(file + Array(file.prefix(12))) }
    }

    /// Files made by python3's zlib (stored / fixed / dynamic, zlib / raw / gzip wrappers) and by
    /// the system `gzip` (levels 1 and 9, file name in header, multi-member).
    @Test func externalToolFiles() throws {
        let dir = try Support.tempDir("inflate")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = """
        import zlib, random
        r = random.Random(7)
        words = ["alpha", "beta", "gamma", "delta", "transfer", "learning", "swift", "tensor", "\\n"]
        text = " ".join(r.choice(words) for _ in range(60000)).encode()
        noise = bytes(r.getrandbits(8) for _ in range(70000))
        runs = b"a" * 70000 + bytes(range(256)) * 40
        for name, data in [("text", text), ("noise", noise), ("runs", runs), ("empty", b"")]:
            open(name + ".bin", "wb").write(data)
            open(name + ".stored.zlib", "wb").write(zlib.compress(data, 0))
            c = zlib.compressobj(9, zlib.DEFLATED, 15, 8, zlib.Z_FIXED)
            open(name + ".fixed.zlib", "wb").write(c.compress(data) + c.flush())
            open(name + ".dynamic.zlib", "wb").write(zlib.compress(data, 9))
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            open(name + ".raw", "wb").write(c.compress(data) + c.flush())
            c = zlib.compressobj(6, zlib.DEFLATED, 31)
            open(name + ".py.gz", "wb").write(c.compress(data) + c.flush())
        """
        guard try Support.python(script, in: dir) else { return }
        for name in ["text", "noise", "runs", "empty"] {
            let plain = try readFileBytes("\(dir)/\(name).bin")
            for kind in ["stored", "fixed", "dynamic"] {
                let z = try readFileBytes("\(dir)/\(name).\(kind).zlib")
                if !plain.isEmpty {
                    let btype = Int(z[2] >> 1 & 3)
                    // zlib falls back to stored blocks for incompressible noise whatever the strategy.
                    let want = name == "noise" ? 0 : ["stored": 0, "fixed": 1, "dynamic": 2][kind]!
                    #expect(btype == want,
                            "\(name).\(kind) starts with block type \(btype)")
                }
                #expect(try Zlib.decompress(z) == plain, "\(name).\(kind)")
            }
            #expect(try Inflate.decompress(try readFileBytes("\(dir)/\(name).raw")) == plain)
            #expect(try Gzip.decompress(try readFileBytes("\(dir)/\(name).py.gz")) == plain)
            var z = try readFileBytes("\(dir)/\(name).dynamic.zlib")
            z[z.count - 1] ^= 0x55
            expectError(["Adler-32 mismatch"]) { try Zlib.decompress(z) }
        }
        guard let gzip = Support.which("gzip") else { print("note: gzip not found; skipping system gzip files"); return }
        for level in ["-1", "-9"] {
            try Support.run(gzip, ["-k", "-f", level, "text.bin"], cwd: dir)
            let gz = try readFileBytes("\(dir)/text.bin.gz")
            #expect(gz[3] & 0x08 != 0, "gzip stores the file name")
            #expect(try Gzip.decompress(gz) == (try readFileBytes("\(dir)/text.bin")))
        }
        try Support.run(gzip, ["-k", "-f", "noise.bin"], cwd: dir)
        let a = try readFileBytes("\(dir)/text.bin.gz"), b = try readFileBytes("\(dir)/noise.bin.gz")
        let both = try readFileBytes("\(dir)/text.bin") + (try readFileBytes("\(dir)/noise.bin"))
        #expect(try Gzip.decompress(a + b) == both)
        // Corruptions of a real gzip file: every one is an error, none a crash.
        expectError(["truncated"]) { try Gzip.decompress(Array(a.prefix(a.count / 2))) }
        var flipped = a
        flipped[a.count / 2] ^= 0xFF
        do { _ = try Gzip.decompress(flipped); Issue.record("a flipped byte in the middle went unnoticed") } catch { #expect(error is DataError) }
        // Random corruptions never crash.
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var c = a
            for _ in 0..<3 { c[Int.random(in: 10..<c.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            _ = try? Gzip.decompress(c)
        }
    }

    /// Error messages from `readMaybeGzipped` name the file.
    @Test func gzipErrorsNameTheFile() throws {
        let dir = try Support.tempDir("gzbad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/broken.csv.gz"
        try Support.write([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0x07, 0x00], path)
        expectError([path, "invalid block type"]) { try CSVLoader.load(path) }
    }
}
