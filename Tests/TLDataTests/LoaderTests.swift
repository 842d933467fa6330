import Foundation
import Testing
@testable import TLData

/// IDX bytes: magic 00 00 08 <rank>, big-endian dims, then unsigned bytes.
func idxBytes(dims: [Int], values: [UInt8], type: UInt8 = 0x08) -> [UInt8] {
    var b: [UInt8] = [0, 0, type, UInt8(dims.count)]
    for d in dims { b += [UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)] }
    return b + values
}

@Suite struct IDXLoaderTests {
    @Test func rawGzippedAndDirectory() throws {
        let dir = try Support.tempDir("idx")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pixels = (0..<(3 * 2 * 3)).map { UInt8($0 * 15) }
        try Support.write(idxBytes(dims: [3, 2, 3], values: pixels), dir + "/train-images-idx3-ubyte")
        try Support.write(idxBytes(dims: [3], values: [2, 0, 1]), dir + "/train-labels-idx1-ubyte")
        try Support.write(idxBytes(dims: [1, 2, 3], values: Array(pixels.prefix(6))), dir + "/t10k-images-idx3-ubyte")
        try Support.write(idxBytes(dims: [1], values: [1]), dir + "/t10k-labels-idx1-ubyte")
        let d = try IDXLoader.load(images: dir + "/train-images-idx3-ubyte", labels: dir + "/train-labels-idx1-ubyte")
        #expect(d.count == 3 && d.sampleShape == [2, 3, 1])
        #expect(d.labels == [2, 0, 1] && d.classNames == ["0", "1", "2"])
        #expect(d.features[5] == Float(75) / 255 && d.features.last! == 1)
        if let gzip = Support.which("gzip") {
            try Support.run(gzip, ["-f", dir + "/t10k-images-idx3-ubyte"])
            #expect(FileManager.default.fileExists(atPath: dir + "/t10k-images-idx3-ubyte.gz"))
        }
        let (train, test) = try IDXLoader.loadDirectory(dir)
        #expect(train.count == 3 && test.count == 1 && test.features == Array(d.features.prefix(6)))
        // Other element types: big-endian int32 and float32.
        let i32 = idxBytes(dims: [2], values: [0xFF, 0xFF, 0xFF, 0xFE, 0, 0, 1, 0], type: 0x0C)
        try Support.write(i32, dir + "/ints.idx")
        #expect(try IDXLoader.read(dir + "/ints.idx").values == [-2, 256])
        let f = Float(1.5).bitPattern
        try Support.write(idxBytes(dims: [1], values: [UInt8(f >> 24), UInt8(f >> 16 & 0xFF), UInt8(f >> 8 & 0xFF), UInt8(f & 0xFF)], type: 0x0D), dir + "/f.idx")
        #expect(try IDXLoader.read(dir + "/f.idx").values == [1.5])
    }
}

@Suite struct CSVLoaderTests {
    @Test func labelColumnsHeadersDelimiters() throws {
        let dir = try Support.tempDir("csv")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Support.write("a,b,label\n1,2,0\n3.5,-4e-1,1\r\n\n5,6,1\n", dir + "/last.csv")
        let d = try CSVLoader.load(dir + "/last.csv")
        #expect(d.count == 3 && d.sampleShape == [2] && d.labels == [0, 1, 1])
        #expect(d.features == [1, 2, 3.5, -0.4, 5, 6])
        try Support.write("2;10;20\n0;30;40\n", dir + "/first.csv")
        let f = try CSVLoader.load(dir + "/first.csv", options: CSVOptions(labelColumn: .first, hasHeader: false, delimiter: ";", scale: 0.1))
        #expect(f.labels == [2, 0] && f.features == [1, 2, 3, 4] && f.classNames == ["0", "1", "2"])
        try Support.write("x,y,cls,z\n1,2,1,3\n4,5,0,6\n", dir + "/named.csv")
        let n = try CSVLoader.load(dir + "/named.csv", options: CSVOptions(labelColumn: .name("cls")))
        #expect(n.labels == [1, 0] && n.features == [1, 2, 3, 4, 5, 6])
        let k = try CSVLoader.load(dir + "/named.csv", options: CSVOptions(labelColumn: .index(2), hasHeader: true, sampleShape: [3, 1]))
        #expect(k.labels == [1, 0] && k.sampleShape == [3, 1])
        try Support.write("\"1\",\"2\",\"0\"\n", dir + "/quoted.csv")
        #expect(try CSVLoader.load(dir + "/quoted.csv").features == [1, 2])
    }
}

@Suite struct TextLoaderTests {
    @Test func rfc4180Quoting() throws {
        let dir = try Support.tempDir("text")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let csv = "label,text\npos,\"good, really \"\"good\"\"\"\nneg,plain text\n\"pos\",\"two\nlines\"\nneutral,\n"
        try Support.write(csv, dir + "/t.csv")
        let d = try TextClassificationLoader.load(dir + "/t.csv", labelColumn: .name("label"), textColumn: .name("text"))
        #expect(d.classNames == ["neg", "neutral", "pos"])
        #expect(d.labels == [2, 0, 2, 1])
        #expect(d.texts! == ["good, really \"good\"", "plain text", "two\nlines", ""])
        try Support.write("text\tlabel\nhello there\tb\nbye\ta\n", dir + "/t.tsv")
        let t = try TextClassificationLoader.load(dir + "/t.tsv", labelColumn: .index(1), textColumn: .index(0))
        #expect(t.classNames == ["a", "b"] && t.labels == [1, 0] && t.texts! == ["hello there", "bye"])
        expectError([dir + "/t.csv", "not one of"]) {
            try TextClassificationLoader.load(dir + "/t.csv", labelColumn: .name("label"), textColumn: .name("text"), classNames: ["neg", "pos"])
        }
    }
}

@Suite struct NPYLoaderTests {
    @Test func handMadeV1() throws {
        let dir = try Support.tempDir("npy")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var header = "{'descr': '<i2', 'fortran_order': False, 'shape': (2, 2), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        let b: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8) + [1, 0, 0xFF, 0xFF, 0, 1, 7, 0]
        try Support.write(b, dir + "/a.npy")
        let a = try NPY.read(dir + "/a.npy")
        #expect(a.shape == [2, 2] && a.values == [1, -1, 256, 7])
    }

    @Test func numpyMadeFiles() throws {
        let dir = try Support.tempDir("npy")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = """
        import numpy as np
        base = np.arange(24).reshape(2, 3, 4)
        for dt in ["<f4", "<f8", "<i8", "<i4", "|u1", "<u2", ">f4", ">i2", "<f2", "|i1", "<u8", "|b1"]:
            a = (base % 2 == 0) if dt == "|b1" else (base - (5 if dt[1] in "if" else 0)).astype(dt)
            np.save("a_" + dt[1:] + ("_be" if dt[0] == ">" else "") + ".npy", a)
        np.save("fortran.npy", np.asfortranarray(base.astype("<f4")))
        with open("v2.npy", "wb") as f: np.lib.format.write_array(f, base.astype("<f4"), version=(2, 0))
        with open("v3.npy", "wb") as f: np.lib.format.write_array(f, base.astype("<f4"), version=(3, 0))
        x = np.random.RandomState(0).rand(10, 4, 4, 1).astype("<f4"); y = np.arange(10) % 3
        np.save("expected_x.npy", x)
        np.savez("plain.npz", x=x, y=y)
        np.savez_compressed("packed.npz", x=x, y=y)
        np.save("scalar.npy", np.float32(3.5))
        """
        guard try Support.python(script, in: dir) else { return }
        let ref = (0..<24).map(Float.init)
        for name in ["f4", "f8", "i8", "i4", "f4_be", "i2_be", "f2", "i1"] {
            let a = try NPY.read("\(dir)/a_\(name).npy")
            #expect(a.shape == [2, 3, 4], "\(name)")
            #expect(a.values == ref.map { $0 - 5 }, "\(name)")
        }
        for name in ["u1", "u2", "u8"] { #expect(try NPY.read("\(dir)/a_\(name).npy").values == ref, "\(name)") }
        #expect(try NPY.read("\(dir)/a_b1.npy").values == ref.map { Int($0) % 2 == 0 ? 1 : 0 })
        for name in ["fortran", "v2", "v3"] { #expect(try NPY.read("\(dir)/\(name).npy").values == ref, "\(name)") }
        #expect(try NPY.read("\(dir)/scalar.npy").shape == [])
        let x = try NPY.read(dir + "/expected_x.npy")
        for name in ["plain", "packed"] {
            let d = try NPZ.loadDataset("\(dir)/\(name).npz")
            #expect(d.count == 10 && d.sampleShape == [4, 4, 1] && d.features == x.values, "\(name)")
            #expect(d.labels == (0..<10).map { $0 % 3 } && d.classNames == ["0", "1", "2"])
        }
        expectError([dir + "/plain.npz", "no array \"images\""]) { try NPZ.loadDataset(dir + "/plain.npz", featuresKey: "images") }
    }
}

@Suite struct ImageLoaderTests {
    /// PNGs written by a small reference encoder in Python (zlib + struct, every filter type used
    /// in turn), compared with the expected pixels that Python saves as .npy.
    @Test func pngColorTypesDepthsAndFilters() throws {
        let dir = try Support.tempDir("png")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = """
        import numpy as np, zlib, struct
        def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
        def paeth(a, b, c):
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            return a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        def encode(rows, bpp):
            out, prev = b"", bytes(len(rows[0]))
            for y, row in enumerate(rows):
                f = y % 5; line = bytearray()
                for x in range(len(row)):
                    a = row[x - bpp] if x >= bpp else 0; b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
                    pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][f]
                    line.append((row[x] - pred) & 255)
                out += bytes([f]) + bytes(line); prev = row
            return out
        def pack(samples, depth):
            if depth == 8: return bytes(samples)
            if depth == 16: return b"".join(struct.pack(">H", s) for s in samples)
            bits = "".join(format(s, "0%db" % depth) for s in samples); bits += "0" * (-len(bits) % 8)
            return bytes(int(bits[i:i+8], 2) for i in range(0, len(bits), 8))
        def write(name, w, h, ctype, depth, samples, plte=None, interlace=0):
            n = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype]
            rows = [pack(samples[y*w*n:(y+1)*w*n], depth) for y in range(h)]
            bpp = max(1, n * depth // 8)
            data = b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, interlace))
            if plte is not None: data += chunk(b"PLTE", bytes(plte))
            z = zlib.compress(encode(rows, bpp), 9)
            data += chunk(b"IDAT", z[:len(z)//2]) + chunk(b"IDAT", z[len(z)//2:]) + chunk(b"IEND", b"")
            open(name + ".png", "wb").write(data)
        rng = np.random.RandomState(1)
        w, h = 7, 11
        for ctype, depth in [(0, 8), (0, 16), (0, 1), (0, 2), (0, 4), (2, 8), (2, 16), (4, 8), (6, 8), (6, 16), (3, 8), (3, 4)]:
            n = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype]; maxv = (1 << depth) - 1
            s = rng.randint(0, (16 if ctype == 3 else maxv + 1), size=h * w * n)
            plte = None
            if ctype == 3:
                plte = list(rng.randint(0, 256, size=48)); pal = np.array(plte, dtype=np.float32).reshape(16, 3) / 255
                exp = pal[s.reshape(h, w)]
            else:
                a = s.reshape(h, w, n).astype(np.float32) / maxv
                exp = a[:, :, :3] if n >= 3 else a[:, :, :1]
            name = "c%d_d%d" % (ctype, depth)
            write(name, w, h, ctype, depth, list(s), plte)
            np.save(name + ".npy", exp.astype("<f4"))
        write("interlaced", 2, 2, 0, 8, [1, 2, 3, 4], interlace=1)
        """
        guard try Support.python(script, in: dir) else { return }
        for (ct, depth) in [(0, 8), (0, 16), (0, 1), (0, 2), (0, 4), (2, 8), (2, 16), (4, 8), (6, 8), (6, 16), (3, 8), (3, 4)] {
            let name = "c\(ct)_d\(depth)"
            let img = try Image.read("\(dir)/\(name).png")
            let exp = try NPY.read("\(dir)/\(name).npy")
            #expect([img.height, img.width, img.channels] == exp.shape, "\(name)")
            let maxErr = zip(img.pixels, exp.values).map { abs($0 - $1) }.max() ?? 1
            #expect(img.pixels.count == exp.values.count && maxErr < 1e-6, "\(name): max error \(maxErr)")
        }
        expectError([dir + "/interlaced.png", "interlaced"]) { try Image.read(dir + "/interlaced.png") }
    }

    static func pgm(_ w: Int, _ h: Int, _ v: [UInt8]) -> [UInt8] { Array("P5\n# comment\n\(w) \(h)\n255\n".utf8) + v }

    @Test func pnmAndImageFolder() throws {
        let root = try Support.tempDir("imgs")
        defer { try? FileManager.default.removeItem(atPath: root) }
        for c in ["zebra", "ant"] { try FileManager.default.createDirectory(atPath: root + "/" + c, withIntermediateDirectories: true) }
        try Support.write(Self.pgm(2, 2, [0, 255, 51, 102]), root + "/ant/b.pgm")
        try Support.write("P2\n2 2\n15\n0 15\n3 6\n", root + "/ant/a.pgm")
        try Support.write(Array("P6 2 2 255 ".utf8) + [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255], root + "/zebra/c.ppm")
        try Support.write("P3\n2 2\n65535\n0 0 0  65535 65535 65535\n0 0 0  0 0 0\n", root + "/zebra/d.ppm")
        try Support.write("notes", root + "/zebra/README.txt")
        try Support.write("x", root + "/.hidden")
        let gray = try ImageFolderLoader.load(root)
        #expect(gray.classNames == ["ant", "zebra"] && gray.labels == [0, 0, 1, 1])
        #expect(gray.sampleShape == [2, 2, 1])
        for i in 0..<2 { #expect(zip(gray.sample(i), [0, 1, 0.2, 0.4]).allSatisfy { abs($0 - $1) < 1e-6 }, "\(gray.sample(i))") }
        #expect(abs(gray.sample(2)[0] - 0.299) < 1e-6)
        let rgb = try ImageFolderLoader.load(root, channels: 3, size: (height: 4, width: 4))
        #expect(rgb.sampleShape == [4, 4, 3] && rgb.count == 4)
        #expect(gray.reading.images == "4 images, 2×2, 2 converted to grey, 1 other file skipped (.txt)")
        // Mixed sizes are prepared to the first image's size (or size=), and the line says so.
        try Support.write(Self.pgm(4, 2, [1, 2, 3, 4, 5, 6, 7, 8]), root + "/ant/e.pgm")
        let mixed = try ImageFolderLoader.load(root)
        #expect(mixed.sampleShape == [2, 2, 1] && mixed.count == 5)
        #expect(mixed.reading.images?.hasPrefix("5 images, 2×2 to 4×2, resized to 2×2 grey") == true, "\(mixed.reading.images ?? "")")
        try Support.write("jpeg", root + "/zebra/f.jpg")
        expectError([root + "/zebra/f.jpg", "not a PNG, JPEG or PGM/PPM"]) { try ImageFolderLoader.load(root, size: (height: 2, width: 2)) }
    }
}
