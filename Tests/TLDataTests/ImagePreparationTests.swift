import Foundation
import Testing
import TLTensor
@testable import TLData

/// Antialiased resize against PIL, centre crop geometry, folders as people keep them, the
/// report line and the decoded-image budget.
@Suite struct ImagePreparationTests {
    static let fixtures = JPEGTests.fixtures

    @Test func resizeMatchesPILBilinearAntialiasing() throws {
        let src = try Image.read(Self.fixtures + "/baseline-444.ppm")
        let pil = try Image.read(Self.fixtures + "/resized-16x12.ppm")
        let ours = src.resized(height: 12, width: 16)
        #expect(ours.pixels.count == pil.pixels.count)
        let diffs = zip(ours.pixels, pil.pixels).map { abs($0 - $1) * 255 }
        let mean = diffs.reduce(0, +) / Float(diffs.count)
        // PIL rounds to 8 bits between its two passes; we keep floats.
        #expect(mean < 0.6 && (diffs.max() ?? 99) < 2.5, "mean \(mean) max \(diffs.max() ?? -1) levels")
        // A plain (non-antialiased) bilinear sample of the same image differs far more.
        let naive = Image(width: 16, height: 12, channels: 3,
                          pixels: resizeImage(src.pixels, height: src.height, width: src.width, channels: 3, toHeight: 12, toWidth: 16, method: .bilinear))
        let naiveMean = zip(naive.pixels, pil.pixels).map { abs($0 - $1) * 255 }.reduce(0, +) / Float(diffs.count)
        #expect(naiveMean > 2 * mean, "naive \(naiveMean) vs antialiased \(mean)")
    }

    @Test func cropKeepsAspectAndTakesTheCentre() {
        // 8 wide × 4 high: left half 0, right half 1; a 4×4 crop-fit keeps the centre columns.
        var px = [Float](repeating: 0, count: 32)
        for y in 0..<4 { for x in 4..<8 { px[y * 8 + x] = 1 } }
        let img = Image(width: 8, height: 4, channels: 1, pixels: px)
        let crop = ImagePreparation(height: 4, width: 4, channels: 1).apply(img)
        #expect(crop.width == 4 && crop.height == 4)
        #expect(crop.pixels[0] == 0 && crop.pixels[3] == 1)            // columns 2…5 of the original
        let stretch = ImagePreparation(height: 4, width: 4, channels: 3, fit: .stretch).apply(img)
        #expect(stretch.channels == 3 && stretch.pixels[0] == stretch.pixels[1] && stretch.pixels[1] == stretch.pixels[2])
        #expect(stretch.pixels[0] < 0.01 && stretch.pixels[(3 * 4 + 3) * 3] > 0.99)
    }

    @Test func foldersOfMixedFormatsSizesAndJunk() throws {
        let root = try Support.tempDir("photos")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fm = FileManager.default
        for d in ["cats/2024", "dogs"] { try fm.createDirectory(atPath: root + "/" + d, withIntermediateDirectories: true) }
        try fm.copyItem(atPath: Self.fixtures + "/baseline-420.jpg", toPath: root + "/cats/a.JPG")
        try fm.copyItem(atPath: Self.fixtures + "/grey.jpg", toPath: root + "/cats/2024/b.jpeg")
        try fm.copyItem(atPath: Self.fixtures + "/orientation-6.jpg", toPath: root + "/dogs/c.jpg")
        try fm.copyItem(atPath: Self.fixtures + "/baseline-444.ppm", toPath: root + "/dogs/d.ppm")
        try Support.write("x", root + "/dogs/Thumbs.db")
        try Support.write("x", root + "/dogs/.DS_Store")
        let prep = ImagePreparation(height: 24, width: 32, channels: 3)
        let d = try ImageFolderLoader.load(root, preparation: prep)
        #expect(d.classNames == ["cats", "dogs"] && d.labels == [0, 0, 1, 1] && d.sampleShape == [24, 32, 3])
        #expect(d.reading.images == "4 images, 45×61 to 61×45, resized to 32×24 RGB, 1 converted to RGB, 1 other file skipped (.db)",
                "\(d.reading.images ?? "nil")")
        // size= and channels= win over the model's preparation.
        let grey = try ImageFolderLoader.load(root, channels: 1, size: (height: 8, width: 8), preparation: prep)
        #expect(grey.sampleShape == [8, 8, 1])
        // The decoded set must fit the budget, checked before decoding.
        expectError([root, "need", "budget of 0 MB"]) { try ImageFolderLoader.load(root, preparation: prep, budgetMB: 0) }
        // Unlabelled: files and folders, in the order given, folders sorted.
        let raw = try ImageFolderLoader.loadUnlabeled([root + "/dogs/c.jpg", root + "/cats"], preparation: prep)
        #expect(raw.files == [root + "/dogs/c.jpg", root + "/cats/2024/b.jpeg", root + "/cats/a.JPG"])
        #expect(raw.data.count == 3)
        // A folder of images without class subfolders says where those images belong.
        expectError([root + "/dogs", "no class subfolders", "tl predict"]) { try ImageFolderLoader.load(root + "/dogs") }
    }
}
