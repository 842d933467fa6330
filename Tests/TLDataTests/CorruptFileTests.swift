import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import TLData

/// Malformed files: every case must throw a one-line `DataError` naming the file and the
/// reason — never crash, never allocate from an unchecked size field.
@Suite final class CorruptFileTests {
    let dir: String
    init() throws { dir = try Support.tempDir("corrupt") }
    deinit { try? FileManager.default.removeItem(atPath: dir) }

    func file(_ name: String, _ bytes: [UInt8]) throws -> String {
        let p = dir + "/" + name
        try Support.write(bytes, p)
        return p
    }

    func file(_ name: String, _ text: String) throws -> String { try file(name, Array(text.utf8)) }

    @Test func idx() throws {
        let good = idxBytes(dims: [2, 2, 2], values: [1, 2, 3, 4, 5, 6, 7, 8])
        var p = try file("magic.idx", [1] + good.dropFirst())
        expectError([p, "magic"]) { try IDXLoader.read(p) }
        p = try file("trunc.idx", Array(good.dropLast(3)))
        expectError([p, "truncated"]) { try IDXLoader.read(p) }
        p = try file("header.idx", Array(good.prefix(9)))
        expectError([p, "truncated IDX header"]) { try IDXLoader.read(p) }
        // A hostile header claiming 2^32-1 × 2^32-1 elements is rejected before allocating.
        p = try file("huge.idx", idxBytes(dims: [0xFFFF_FFFF, 0xFFFF_FFFF], values: [1, 2, 3]))
        expectError([p, "header dimensions", "memory limit"]) { try IDXLoader.read(p) }   // one sample is 16 GiB
        p = try file("long.idx", idxBytes(dims: [0xFFFF, 0xFFFF], values: [1, 2, 3]))
        expectError([p, "truncated"]) { try IDXLoader.read(p) }
        p = try file("type.idx", [0, 0, 0x07, 1, 0, 0, 0, 1, 9])
        expectError([p, "element type"]) { try IDXLoader.read(p) }
        let img = try file("img.idx", good)
        let lab = try file("lab.idx", idxBytes(dims: [2], values: [0, 12]))
        expectError([lab, "record 1", "label 12 out of range"]) {
            try IDXLoader.load(images: img, labels: lab, classNames: (0...9).map(String.init))
        }
        let lab3 = try file("lab3.idx", idxBytes(dims: [3], values: [0, 1, 2]))
        expectError([img, "2 images", "3 labels"]) { try IDXLoader.load(images: img, labels: lab3) }
        let gz = try file("bad.idx.gz", [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0x4b, 0x4c])
        expectError([gz, "truncated"]) { try IDXLoader.read(gz) }
        expectError([dir + "/missing.idx", "no such file"]) { try IDXLoader.read(dir + "/missing.idx") }
    }

    @Test func csv() throws {
        var p = try file("width.csv", "1,2,0\n3,4\n")
        expectError([p, "line 2", "expected 3 columns, found 2"]) { try CSVLoader.load(p) }
        p = try file("nonnum.csv", "1,2,0\n3,abc,1\n")
        expectError([p, "line 2", "non-numeric", "abc"]) { try CSVLoader.load(p) }
        p = try file("label.csv", "1,2,0\n3,4,-1\n")
        expectError([p, "line 2", "not a non-negative integer"]) { try CSVLoader.load(p) }
        p = try file("frac.csv", "1,2,0.5\n")
        expectError([p, "line 1", "not a non-negative integer"]) { try CSVLoader.load(p) }
        p = try file("range.csv", "1,2,0\n3,4,10\n")
        expectError([p, "line 2", "label 10 out of range"]) {
            try CSVLoader.load(p, options: CSVOptions(classNames: (0...9).map(String.init)))
        }
        p = try file("quote.csv", "1,2,0\n\"3,4,1\n")
        expectError([p, "line 2", "unterminated"]) { try CSVLoader.load(p) }
        p = try file("empty.csv", "")
        expectError([p, "no data"]) { try CSVLoader.load(p) }
        p = try file("shape.csv", "1,2,0\n")
        expectError([p, "sample shape"]) { try CSVLoader.load(p, options: CSVOptions(sampleShape: [3])) }
        p = try file("col.csv", "1,2,0\n")
        expectError([p, "label column 8 (index 7)"]) { try CSVLoader.load(p, options: CSVOptions(labelColumn: .index(7))) }
        p = try file("text.csv", "label,text\npos\n")
        expectError([p, "line 2", "at least 2 columns"]) { try TextClassificationLoader.load(p) }
        // Line numbers count the newlines inside quoted fields.
        p = try file("multiline.csv", "label,text\npos,\"one\ntwo\nthree\"\nneg\n")
        expectError([p, "line 5", "at least 2 columns"]) { try TextClassificationLoader.load(p) }
        p = try file("afterquote.csv", "label,text\npos,\"x\"y\n")
        expectError([p, "line 2", "after closing quote"]) { try TextClassificationLoader.load(p) }
    }

    func npy(_ header: String, _ data: [UInt8], version: UInt8 = 1) -> [UInt8] {
        var h = header
        while (10 + h.utf8.count + 1) % 64 != 0 { h += " " }
        h += "\n"
        return [0x93] + Array("NUMPY".utf8) + [version, 0, UInt8(h.utf8.count & 0xFF), UInt8(h.utf8.count >> 8)] + Array(h.utf8) + data
    }

    /// float16 subnormals (down to 2⁻²⁴) are data, not noise: they must decode exactly even on a
    /// thread with denormals-are-zero set, as tl's kernels leave every thread they run on.
    @Test func npyHalfSubnormalsSurviveDenormalsAreZero() throws {
        let p = try file("half.npy", npy("{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }", [0x01, 0x00, 0xFF, 0x03, 0x00, 0x3C]))
        #if canImport(Glibc) && arch(x86_64)
        var saved = fenv_t()
        fegetenv(&saved)
        var daz = saved
        daz.__mxcsr |= 0x8040
        fesetenv(&daz)
        defer { fesetenv(&saved) }
        #endif
        let values = try NPY.read(p).values
        #expect(values == [0x1p-24, 1023 * 0x1p-24, 1], "\(values)")
    }

    @Test func npyAndNpz() throws {
        var p = try file("magic.npy", Array("NUMPY not really".utf8))
        expectError([p, "magic"]) { try NPY.read(p) }
        p = try file("trunc.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", [0, 0, 0, 0]))
        expectError([p, "size mismatch"]) { try NPY.read(p) }
        p = try file("huge.npy", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967295, 4294967295, 4294967295), }", [0]))
        expectError([p, "header shape", "overflows"]) { try NPY.read(p) }
        p = try file("long.npy", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967295, 1000), }", [0]))
        expectError([p, "size mismatch"]) { try NPY.read(p) }
        p = try file("dtype.npy", npy("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", [UInt8](repeating: 0, count: 16)))
        expectError([p, "unsupported NPY dtype"]) { try NPY.read(p) }
        p = try file("object.npy", npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", [0]))
        expectError([p, "dtype"]) { try NPY.read(p) }
        p = try file("hdr.npy", npy("nonsense", []))
        expectError([p, "header"]) { try NPY.read(p) }
        p = try file("ver.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", [0, 0, 0, 0], version: 9))
        expectError([p, "version 9"]) { try NPY.read(p) }
        p = try file("hdrlen.npy", [0x93] + Array("NUMPY".utf8) + [1, 0, 0xFF, 0xFF, 1, 2])
        expectError([p, "truncated NPY header"]) { try NPY.read(p) }
        p = try file("notzip.npz", Array("PK but not a zip archive at all, nothing here".utf8))
        expectError([p, "zip"]) { try NPZ.read(p) }
        // A real stored zip made by hand, then corrupted.
        let member = npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", [7, 9])
        let zip = storedZip(name: "x.npy", data: member)
        p = try file("ok.npz", zip)
        #expect(try NPZ.read(p)["x"]?.values == [7, 9])
        var bad = zip
        bad[30 + 5 + member.count - 1] ^= 1  // last data byte
        p = try file("crc.npz", bad)
        expectError([p, "x.npy", "CRC32 mismatch"]) { try NPZ.read(p) }
        p = try file("cut.npz", Array(zip.prefix(zip.count - 30)))
        expectError([p, "zip"]) { try NPZ.read(p) }
        p = try file("short.npy", npy("{'descr': 'f', 'fortran_order': False, 'shape': (1,), }", [0]))
        expectError([p, "dtype"]) { try NPY.read(p) }
        // Random corruption of valid NPY, NPZ and IDX bytes never crashes.
        var rng = SystemRandomNumberGenerator()
        let idx = idxBytes(dims: [2, 2], values: [1, 2, 3, 4])
        for _ in 0..<300 {
            var a = member, z = zip, i = idx
            a[Int.random(in: 0..<a.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            z[Int.random(in: 0..<z.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            i[Int.random(in: 0..<i.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            _ = try? NPY.parse(a, file: "fuzz.npy")
            _ = try? ZipArchive.entries(z, file: "fuzz.npz").map { try ZipArchive.extract($0, from: z, file: "fuzz.npz") }
            _ = try? IDXLoader.parse(i, file: "fuzz.idx")
        }
    }

    /// A minimal one-entry zip archive with a stored member.
    func storedZip(name: String, data: [UInt8]) -> [UInt8] {
        func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func le32(_ v: Int) -> [UInt8] { le16(v & 0xFFFF) + le16(v >> 16) }
        let crc = Int(CRC32.checksum(data)), n = Array(name.utf8)
        let local = le32(0x0403_4B50) + le16(20) + le16(0) + le16(0) + le32(0) + le32(crc) + le32(data.count) + le32(data.count)
            + le16(n.count) + le16(0) + n + data
        let central = le32(0x0201_4B50) + le16(20) + le16(20) + le16(0) + le16(0) + le32(0) + le32(crc) + le32(data.count)
            + le32(data.count) + le16(n.count) + le16(0) + le16(0) + le16(0) + le16(0) + le32(0) + le32(0) + n
        let end = le32(0x0605_4B50) + le16(0) + le16(0) + le16(1) + le16(1) + le32(central.count) + le32(local.count) + le16(0)
        return local + central + end
    }

    func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        let body = Array(type.utf8) + data
        return be32(data.count) + body + be32(Int(CRC32.checksum(body)))
    }

    /// A 2×1 8-bit gray PNG with a stored-deflate zlib stream made by hand.
    func png(width: Int = 2, height: Int = 1, filter: UInt8 = 0, interlace: UInt8 = 0, rows: [UInt8]? = nil) -> [UInt8] {
        func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        let raw = rows ?? [filter, 10, 20]
        let zlib: [UInt8] = [0x78, 0x01, 0x01, UInt8(raw.count), 0, UInt8(~raw.count & 0xFF), 0xFF] + raw
            + { let a = Adler32.checksum(raw); return [UInt8(a >> 24), UInt8(a >> 16 & 0xFF), UInt8(a >> 8 & 0xFF), UInt8(a & 0xFF)] }()
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
            + chunk("IHDR", be32(width) + be32(height) + [8, 0, 0, 0, interlace]) + chunk("IDAT", zlib) + chunk("IEND", [])
    }

    @Test func pngAndPnm() throws {
        var p = try file("ok.png", png())
        #expect(try Image.read(p).pixels == [Float(10) / 255, Float(20) / 255])
        p = try file("sig.png", [0x89, 0x50, 0x4E, 0x47, 0, 0, 0, 0] + png().dropFirst(8))
        expectError([p, "PNG signature"]) { try Image.read(p) }
        var bad = png()
        bad[8 + 8 + 3] ^= 1  // inside IHDR data
        p = try file("crc.png", bad)
        expectError([p, "IHDR", "CRC mismatch"]) { try Image.read(p) }
        p = try file("trunc.png", Array(png().prefix(40)))
        expectError([p, "truncated"]) { try Image.read(p) }
        p = try file("interlace.png", png(interlace: 1))
        expectError([p, "interlaced"]) { try Image.read(p) }
        p = try file("filter.png", png(filter: 9))
        expectError([p, "row 0", "filter type 9"]) { try Image.read(p) }
        p = try file("huge.png", png(width: 1 << 23, height: 1 << 23))
        expectError([p, "PNG header", "memory limit"]) { try Image.read(p) }
        p = try file("large.png", png(width: 1 << 13, height: 1 << 13))   // 512 MiB: within any budget
        expectError([p, "cannot come from"]) { try Image.read(p) }
        p = try file("short.png", png(width: 3, height: 1))
        expectError([p, "expected 4"]) { try Image.read(p) }
        p = try file("noise.jpg", [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3])
        expectError([p, "truncated JPEG file"]) { try Image.read(p) }
        p = try file("gif.jpg", Array("GIF89a".utf8))
        expectError([p, "unreadable image"]) { try Image.read(p) }
        p = try file("magic.pgm", "P7\n1 1\n255\n\u{0}")
        expectError([p, "PNM magic"]) { try Image.read(p) }
        p = try file("trunc.pgm", Array("P5\n4 4\n255\n".utf8) + [1, 2, 3])
        expectError([p, "truncated"]) { try Image.read(p) }
        p = try file("huge.pgm", Array("P5\n1000000000 1000000000\n255\n".utf8) + [1, 2, 3])
        expectError([p, "truncated"]) { try Image.read(p) }
        p = try file("ascii.pgm", "P2\n2 1\n15\n3 x\n")
        expectError([p, "expected a number"]) { try Image.read(p) }
        p = try file("maxval.pgm", "P2\n2 1\n15\n3 16\n")
        expectError([p, "exceeds maxval"]) { try Image.read(p) }
        // Random corruption of a valid PNG never crashes.
        var rng = SystemRandomNumberGenerator()
        let good = png(width: 2, height: 2, rows: [0, 1, 2, 1, 3, 4])
        for _ in 0..<300 {
            var c = good
            c[Int.random(in: 8..<c.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            _ = try? PNG.decode(c, file: "fuzz.png")
        }
    }
}
