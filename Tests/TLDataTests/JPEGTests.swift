import Foundation
import Testing
@testable import TLData

/// The pure-Swift JPEG decoder against PIL (libjpeg-turbo): committed fixtures of every kind it
/// decodes with PIL's pixels next to them (made by `Scripts/jpeg-reference.py fixtures`), the
/// scikit-image photos when fetched, and hostile files that must fail with one clear line.
@Suite struct JPEGTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/jpeg").path

    /// Mean and max absolute difference per 8-bit sample.
    static func difference(_ a: [UInt8], _ b: [UInt8]) -> (mean: Double, max: Int) {
        var sum = 0, mx = 0
        for i in a.indices { let d = abs(Int(a[i]) - Int(b[i])); sum += d; mx = max(mx, d) }
        return (Double(sum) / Double(max(a.count, 1)), mx)
    }

    static func decoded(_ name: String) throws -> (width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        let path = fixtures + "/" + name
        return try JPEG.decode8(try readFileBytes(path), file: path)
    }

    /// PIL's pixels, read through our PNM decoder (exact for 8-bit).
    static func reference(_ name: String) throws -> Image { try Image.read(fixtures + "/" + name) }

    @Test(arguments: [
        ("baseline-444.jpg", "baseline-444.ppm"), ("baseline-422.jpg", "baseline-422.ppm"), ("baseline-420.jpg", "baseline-420.ppm"),
        ("progressive-420.jpg", "progressive-420.ppm"), ("progressive-444.jpg", "progressive-444.ppm"),
        ("restart-420.jpg", "restart-420.ppm"), ("restart-progressive-422.jpg", "restart-progressive-422.ppm"),
        ("grey.jpg", "grey.pgm"), ("grey-progressive.jpg", "grey-progressive.pgm"),
        ("orientation-3.jpg", "orientation-3.ppm"), ("orientation-6.jpg", "orientation-6.ppm"), ("orientation-8.jpg", "orientation-8.ppm"),
    ])
    func matchesPIL(_ jpeg: String, _ ref: String) throws {
        let ours = try Self.decoded(jpeg)
        let pil = try Self.reference(ref)
        #expect(ours.width == pil.width && ours.height == pil.height && ours.channels == pil.channels, "\(jpeg): \(ours.width)x\(ours.height)x\(ours.channels) vs PIL \(pil.width)x\(pil.height)x\(pil.channels)")
        guard ours.pixels.count == pil.pixels.count else { return }
        let d = Self.difference(ours.pixels, pil.pixels.map { UInt8(($0 * 255).rounded()) })
        // Same IDCT, upsampling and colour arithmetic as libjpeg: expect (near) bit-exact output.
        #expect(d.mean <= 0.05 && d.max <= 2, "\(jpeg): mean |diff| \(d.mean), max \(d.max)")
    }

    @Test func orientationRotatesTheImage() throws {
        let upright = try Self.decoded("baseline-444.jpg"), six = try Self.decoded("orientation-6.jpg")
        #expect(six.width == upright.height && six.height == upright.width)
    }

    @Test(arguments: [
        ("hostile-truncated.jpg", "truncated"), ("hostile-corrupt.jpg", "corrupt JPEG data"),
        ("hostile-huge.jpg", "65500x65500"), ("hostile-arithmetic.jpg", "arithmetic-coded JPEG is not supported"),
        ("hostile-lossless.jpg", "lossless JPEG is not supported"), ("hostile-12bit.jpg", "12-bit JPEG is not supported"),
    ])
    func hostileFilesFailWithOneLine(_ name: String, _ expected: String) throws {
        let path = Self.fixtures + "/" + name
        do {
            _ = try Image.read(path)
            Issue.record("\(name) decoded without an error")
        } catch let e as DataError {
            #expect(e.description.contains(expected), "\(e.description)")
            #expect(e.description.hasPrefix(path) && !e.description.contains("\n"))
        }
    }

    /// Found by the jpeg fuzz target (Fuzz/): a DHT whose code lengths are over-subscribed
    /// indexed past the Huffman lookup table (a trap) before the check that refuses it.
    @Test func overSubscribedHuffmanTablesAreAnError() throws {
        let path = URL(fileURLWithPath: Self.fixtures).deletingLastPathComponent().appendingPathComponent("fuzz/jpeg-oversubscribed-huffman.jpg").path
        #expect(throws: DataError.self) { _ = try JPEG.decode(try readFileBytes(path), file: path) }
    }

    @Test func everyTruncationFailsCleanly() throws {
        // Any prefix of a valid file: an error or (past the last scan) a decode, never a crash.
        let bytes = try readFileBytes(Self.fixtures + "/progressive-420.jpg")
        for cut in stride(from: 0, to: bytes.count - 2, by: 7) {
            #expect(throws: DataError.self) { _ = try JPEG.decode8(Array(bytes[..<cut])) }
        }
    }

    @Test func corruptedBytesGiveAnErrorOrAnImageNeverACrash() throws {
        // Seeded random byte changes in every kind of fixture: decoding either fails with a
        // DataError or yields an image of the declared size; a crash would end the test run.
        var state: UInt64 = 0x9E3779B97F4A7C15
        func next() -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int(state >> 33) }
        for name in ["baseline-420.jpg", "progressive-420.jpg", "restart-progressive-422.jpg", "grey-progressive.jpg", "orientation-6.jpg"] {
            let bytes = try readFileBytes(Self.fixtures + "/" + name)
            for _ in 0..<150 {
                var b = bytes
                for _ in 0..<(1 + next() % 4) { b[next() % b.count] = UInt8(truncatingIfNeeded: next()) }
                do {
                    let img = try JPEG.decode8(b)
                    #expect(img.pixels.count == img.width * img.height * img.channels)
                } catch is DataError {}
            }
        }
    }

    /// The JPEGs of the scikit-image wheel (Scripts/fetch-data.sh skimage) against the PIL pixel
    /// grid and channel means stored by `Scripts/jpeg-reference.py photos`.
    @Test func scikitImagePhotosMatchPIL() throws {
        let root = URL(fileURLWithPath: Self.fixtures).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("data/skimage").path
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/photos.json"))
        let refs = try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]] ?? [:]
        #expect(refs.count == 3)
        for (name, ref) in refs.sorted(by: { $0.key < $1.key }) {
            let path = root + "/" + name
            guard FileManager.default.fileExists(atPath: path) else {
                print("note: \(path) not found — run Scripts/fetch-data.sh skimage; skipping"); continue
            }
            let img = try JPEG.decode8(try readFileBytes(path), file: path)
            let w = ref["width"] as? Int ?? 0, h = ref["height"] as? Int ?? 0
            #expect(img.width == w && img.height == h && img.channels == 3)
            guard img.width == w, img.height == h else { continue }
            let grid = (ref["grid"] as? [[Int]]) ?? []
            var ours: [UInt8] = [], theirs: [UInt8] = []
            for gy in 0..<32 {
                for gx in 0..<32 {
                    let x = (gx * 2 + 1) * w / 64, y = (gy * 2 + 1) * h / 64
                    for k in 0..<3 { ours.append(img.pixels[(y * w + x) * 3 + k]); theirs.append(UInt8(grid[gy * 32 + gx][k])) }
                }
            }
            let d = Self.difference(ours, theirs)
            #expect(d.mean <= 1.5 && d.max <= 4, "\(name): grid mean |diff| \(d.mean), max \(d.max)")
            let means = (ref["mean"] as? [Double]) ?? []
            for k in 0..<3 {
                var s = 0
                for i in 0..<(w * h) { s += Int(img.pixels[i * 3 + k]) }
                #expect(abs(Double(s) / Double(w * h) - means[k]) < 0.5, "\(name) channel \(k) mean")
            }
        }
    }
}
