import Foundation

/// Loads `root/<class>/<image>` folders of PNG and PGM/PPM images.
///
/// Class names are the sorted subfolder names; images within a class are read in sorted
/// file-name order, so the result is deterministic.
public enum ImageFolderLoader {
    static let imageExtensions: Set<String> = ["png", "pgm", "ppm", "pnm"]
    static let unsupportedExtensions: Set<String> = ["jpg", "jpeg", "gif", "bmp", "webp", "tif", "tiff"]

    /// - Parameters:
    ///   - channels: 1 or 3 to convert every image; `nil` keeps the first image's channel count
    ///     (images with a different count are converted).
    ///   - size: `(height, width)` to resize every image to (bilinear); `nil` requires every image
    ///     to have the first image's size.
    public static func load(_ root: String, channels: Int? = nil, size: (height: Int, width: Int)? = nil) throws -> Dataset {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else {
            throw DataError(file: root, reason: "not a directory (expected root/<class>/<image>)")
        }
        if let c = channels, c != 1 && c != 3 { throw DataError(file: root, reason: "channels must be 1 or 3, got \(c)") }
        let classes = try visibleEntries(root).filter { name in
            var d: ObjCBool = false
            return fm.fileExists(atPath: root + "/" + name, isDirectory: &d) && d.boolValue
        }
        guard !classes.isEmpty else { throw DataError(file: root, reason: "no class subfolders found") }
        var features: [Float] = []
        var labels: [Int] = []
        var shape: [Int]? = nil
        for (label, cls) in classes.enumerated() {
            let dir = root + "/" + cls
            for name in try visibleEntries(dir) {
                let path = dir + "/" + name
                let ext = (name as NSString).pathExtension.lowercased()
                if unsupportedExtensions.contains(ext) {
                    throw DataError(file: path, reason: "unsupported image format .\(ext) (expected PNG or PGM/PPM)")
                }
                guard imageExtensions.contains(ext) else { continue }
                var img = try Image.read(path)
                let c = channels ?? shape?[2] ?? img.channels
                img = img.converted(toChannels: c)
                if let s = size {
                    guard s.height > 0, s.width > 0 else { throw DataError(file: root, reason: "bad target size \(s)") }
                    img = Image(width: s.width, height: s.height, channels: c,
                                pixels: resizeImage(img.pixels, height: img.height, width: img.width, channels: c,
                                                    toHeight: s.height, toWidth: s.width, method: .bilinear))
                }
                let s = [img.height, img.width, c]
                if let shape, shape != s {
                    throw DataError(file: path, reason: "image is \(s[1])x\(s[0]) but earlier images are \(shape[1])x\(shape[0]) (pass a size to resize)")
                }
                shape = s
                features.append(contentsOf: img.pixels)
                labels.append(label)
            }
        }
        guard let shape else { throw DataError(file: root, reason: "no images found (.png, .pgm, .ppm, .pnm)") }
        var d = try Dataset(features: features, sampleShape: shape, labels: labels, classNames: classes, source: root)
        d.reading.labels = "labels from the subfolder names of \(root)"
        return d
    }

    static func visibleEntries(_ dir: String) throws -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: dir).filter { !$0.hasPrefix(".") }.sorted()
        } catch {
            throw DataError(file: dir, reason: "cannot list directory")
        }
    }
}
