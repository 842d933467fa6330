import Foundation
import Dispatch

/// Loads images as people keep them: `root/<class>/…/<image>` folders of PNG, JPEG and
/// PGM/PPM files of mixed sizes (labelled), or any mix of files and folders (unlabelled, for
/// predictions and embeddings). Other files are skipped and counted; hidden files ignored.
///
/// Every image is decoded once, prepared to one size (`ImagePreparation`) and kept in memory
/// for the whole run, so epochs never decode again; the decoded set must fit the
/// `TL_CACHE_LIMIT_MB` budget (default 2048), checked before decoding.
public enum ImageFolderLoader {
    static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "jpe", "jfif", "pgm", "ppm", "pnm"]

    /// - Parameters:
    ///   - channels: 1 or 3 to convert every image; `nil` keeps the preparation's, else the first image's.
    ///   - size: `(height, width)` of every image; `nil` takes the preparation's, else the first image's.
    ///   - preparation: the model's preparation, used for whatever `channels`/`size` leave open.
    ///   - budgetMB: the decoded-image budget (default `TL_CACHE_LIMIT_MB`, else 2048).
    public static func load(_ root: String, channels: Int? = nil, size: (height: Int, width: Int)? = nil,
                            fit: ImagePreparation.Fit? = nil, preparation: ImagePreparation? = nil, budgetMB: Int? = nil) throws -> Dataset {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else {
            throw DataError(file: root, reason: "not a directory (expected root/<class>/<image>)")
        }
        if let c = channels, c != 1 && c != 3 { throw DataError(file: root, reason: "channels must be 1 or 3, got \(c)") }
        let classes = try visibleEntries(root).filter { isDirectory(root + "/" + $0) }
        guard !classes.isEmpty else {
            let loose = try visibleEntries(root).filter { imageExtensions.contains(ext($0)) }.count
            throw DataError(file: root, reason: "no class subfolders found (expected root/<class>/<image>)"
                + (loose > 0 ? "; its \(loose) image\(loose == 1 ? "" : "s") without labels can be given to tl predict or tl embed" : ""))
        }
        var files: [String] = [], labels: [Int] = []
        var report = ImagePreparationReport()
        for (label, cls) in classes.enumerated() {
            let found = try collect(root + "/" + cls, report: &report)
            files += found
            labels += Array(repeating: label, count: found.count)
        }
        guard !files.isEmpty else { throw DataError(file: root, reason: "no images found (.png, .jpg, .jpeg, .pgm, .ppm)") }
        var d = try decode(files, labels: labels, classNames: classes, source: root, channels: channels, size: size, fit: fit,
                           preparation: preparation, report: &report, budgetMB: budgetMB)
        d.reading.labels = "labels from the subfolder names of \(root)"
        return d
    }

    /// Unlabelled images from files and folders (folders searched recursively, sorted), with
    /// the path of each image in order. Explicit files are decoded whatever their extension.
    public static func loadUnlabeled(_ paths: [String], preparation: ImagePreparation?) throws -> (data: Dataset, files: [String]) {
        var files: [String] = []
        var report = ImagePreparationReport()
        for p in paths {
            if isDirectory(p) {
                let found = try collect(p, report: &report)
                guard !found.isEmpty else { throw DataError(file: p, reason: "no images found (.png, .jpg, .jpeg, .pgm, .ppm)") }
                files += found
            } else {
                guard FileManager.default.fileExists(atPath: p) else { throw DataError(file: p, reason: "no such file or folder") }
                files.append(p)
            }
        }
        guard !files.isEmpty else { throw DataError(reason: "no images given") }
        let d = try decode(files, labels: Array(repeating: 0, count: files.count), classNames: ["unlabelled"],
                           source: paths.joined(separator: " "), channels: nil, size: nil, fit: nil, preparation: preparation, report: &report)
        return (d, files)
    }

    /// Decodes and prepares `files` in parallel into one data set.
    static func decode(_ files: [String], labels: [Int], classNames: [String], source: String, channels: Int?,
                       size: (height: Int, width: Int)?, fit: ImagePreparation.Fit?, preparation: ImagePreparation?,
                       report: inout ImagePreparationReport, budgetMB: Int? = nil) throws -> Dataset {
        let first = try Image.read(files[0])
        var prep = preparation ?? ImagePreparation(height: first.height, width: first.width, channels: first.channels)
        if let size { prep.height = size.height; prep.width = size.width }
        if let channels { prep.channels = channels }
        if let fit { prep.fit = fit }
        guard prep.height > 0, prep.width > 0 else { throw DataError(file: source, reason: "bad target size \(prep.height)x\(prep.width)") }
        let sampleSize = prep.height * prep.width * prep.channels
        let bytes = files.count * sampleSize * 4
        let limitMB = budgetMB ?? ProcessInfo.processInfo.environment["TL_CACHE_LIMIT_MB"].flatMap { Int($0) } ?? 2048
        guard bytes <= limitMB << 20 else {
            throw DataError(file: source, reason: "\(files.count) images at \(prep.width)×\(prep.height)×\(prep.channels) need \(bytes >> 20) MB decoded, more than the image cache budget of \(limitMB) MB (set size= smaller or raise TL_CACHE_LIMIT_MB)")
        }
        var features = [Float](repeating: 0, count: files.count * sampleSize)
        let results = LockedResults(count: files.count)
        features.withUnsafeMutableBufferPointer { out in
            // Workers write disjoint samples of `features`; concurrentPerform returns after all finished.
            let base = SendablePointer(pointer: out.baseAddress!).pointer
            let work = SendableWork { i in
                do {
                    let img = i == 0 ? first : try Image.read(files[i])
                    let p = prep.apply(img)
                    p.pixels.withUnsafeBufferPointer { src in (base + i * sampleSize).update(from: src.baseAddress!, count: sampleSize) }
                    results.set(i, .success((img.width, img.height, img.channels)))
                } catch {
                    results.set(i, .failure(error))
                }
            }
            DispatchQueue.concurrentPerform(iterations: files.count) { work.body($0) }
        }
        for i in files.indices {
            switch results.get(i) {
            case .failure(let e)?: throw e
            case .success(let s)?:
                report.note(Image(width: s.0, height: s.1, channels: s.2, pixels: []),
                            prepared: Image(width: prep.width, height: prep.height, channels: prep.channels, pixels: []))
            case nil: throw DataError(file: files[i], reason: "image was not decoded")
            }
        }
        var d = try Dataset(features: features, sampleShape: prep.shape, labels: labels, classNames: classNames, source: source)
        d.reading.images = report.line
        return d
    }

    /// Image files under `dir` (recursively, sorted by path); other files are counted in `report`.
    static func collect(_ dir: String, report: inout ImagePreparationReport) throws -> [String] {
        var out: [String] = []
        for name in try visibleEntries(dir) {
            let path = dir + "/" + name
            if isDirectory(path) { out += try collect(path, report: &report); continue }
            if imageExtensions.contains(ext(name)) { out.append(path) } else { report.skipped[ext(name), default: 0] += 1 }
        }
        return out
    }

    static func ext(_ name: String) -> String { (name as NSString).pathExtension.lowercased() }

    static func isDirectory(_ path: String) -> Bool {
        var d: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &d) && d.boolValue
    }

    static func visibleEntries(_ dir: String) throws -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: dir).filter { !$0.hasPrefix(".") }.sorted()
        } catch {
            throw DataError(file: dir, reason: "cannot list directory")
        }
    }
}

/// Per-index results written from `concurrentPerform` workers.
final class LockedResults: @unchecked Sendable {
    private var items: [Result<(Int, Int, Int), Error>?]
    private let lock = NSLock()
    init(count: Int) { items = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: Result<(Int, Int, Int), Error>) { lock.lock(); items[i] = r; lock.unlock() }
    func get(_ i: Int) -> Result<(Int, Int, Int), Error>? { lock.lock(); defer { lock.unlock() }; return items[i] }
}

struct SendablePointer: @unchecked Sendable { let pointer: UnsafeMutablePointer<Float> }
struct SendableWork: @unchecked Sendable { let body: (Int) -> Void }
