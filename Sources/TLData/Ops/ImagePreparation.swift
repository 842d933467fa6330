/// How decoded images of any size become a model's input: channel conversion (grey → RGB by
/// replication, RGB → grey by BT.601 luma), an antialiased resize and a centre crop.
///
/// With `fit == .crop` (the default) the image is scaled so that it covers `height × width`
/// after keeping `cropFraction` of it (ImageNet style: 0.875 = resize 256, crop 224), then the
/// centre is cut out, so the aspect ratio is kept; `.stretch` resizes to `height × width`.
public struct ImagePreparation: Codable, Sendable, Equatable {
    public enum Fit: String, Codable, Sendable, CaseIterable { case crop, stretch }

    public var height: Int
    public var width: Int
    /// 1 or 3.
    public var channels: Int
    public var fit: Fit
    /// Fraction of the resized image kept by the centre crop (in (0, 1]).
    public var cropFraction: Double

    public init(height: Int, width: Int, channels: Int, fit: Fit = .crop, cropFraction: Double = 1) {
        self.height = height; self.width = width; self.channels = channels; self.fit = fit; self.cropFraction = cropFraction
    }

    /// `[height, width, channels]`.
    public var shape: [Int] { [height, width, channels] }

    /// The image converted, resized and cropped to `shape`.
    public func apply(_ image: Image) -> Image {
        var img = image.converted(toChannels: channels)
        if img.height == height && img.width == width { return img }
        switch fit {
        case .stretch:
            img = img.resized(height: height, width: width)
        case .crop:
            let keep = min(max(cropFraction, 0.05), 1)
            let scale = max(Double(height) / (Double(img.height) * keep), Double(width) / (Double(img.width) * keep))
            let rh = max(height, Int((Double(img.height) * scale).rounded()))
            let rw = max(width, Int((Double(img.width) * scale).rounded()))
            img = img.resized(height: rh, width: rw).centreCropped(height: height, width: width)
        }
        return img
    }
}

/// What preparing a set of images did, for the one line that says so:
/// `1,204 images, 200×150 to 640×480, resized to 224×224 RGB`.
public struct ImagePreparationReport: Sendable, Equatable {
    public var count = 0
    public var minSize: (w: Int, h: Int)? = nil
    public var maxSize: (w: Int, h: Int)? = nil
    public var resized = 0
    public var converted = 0
    public var skipped: [String: Int] = [:]
    public var target: [Int] = []

    public init() {}

    public static func == (a: Self, b: Self) -> Bool { a.line == b.line }

    mutating func note(_ image: Image, prepared: Image) {
        count += 1
        let (w, h) = (image.width, image.height)
        // Smallest and largest by area, then width.
        minSize = minSize.map { (w * h, w) < ($0.w * $0.h, $0.w) ? (w, h) : $0 } ?? (w, h)
        maxSize = maxSize.map { (w * h, w) > ($0.w * $0.h, $0.w) ? (w, h) : $0 } ?? (w, h)
        if image.width != prepared.width || image.height != prepared.height { resized += 1 }
        if image.channels != prepared.channels { converted += 1 }
        target = [prepared.height, prepared.width, prepared.channels]
    }

    /// The report line, or nil when no image was changed and no file skipped.
    public var line: String? {
        guard let lo = minSize, let hi = maxSize, target.count == 3 else { return nil }
        guard resized > 0 || converted > 0 || !skipped.isEmpty else { return nil }
        let mode = target[2] == 3 ? "RGB" : "grey"
        let sizes = lo == hi ? "\(lo.w)×\(lo.h)" : "\(lo.w)×\(lo.h) to \(hi.w)×\(hi.h)"
        var parts = ["\(grouped(count)) image\(count == 1 ? "" : "s"), \(sizes)"]
        if resized > 0 { parts.append("resized to \(target[1])×\(target[0]) \(mode)") }
        if converted > 0 { parts.append("\(grouped(converted)) converted to \(mode)") }
        if !skipped.isEmpty {
            let kinds = skipped.keys.sorted().map { $0.isEmpty ? "no extension" : "." + $0 }.joined(separator: ", ")
            let n = skipped.values.reduce(0, +)
            parts.append("\(n) other file\(n == 1 ? "" : "s") skipped (\(kinds))")
        }
        return parts.joined(separator: ", ")
    }

    func grouped(_ n: Int) -> String {
        let s = String(n)
        guard s.count > 3 else { return s }
        var out = ""
        for (i, ch) in s.reversed().enumerated() { if i > 0 && i % 3 == 0 { out.append(",") }; out.append(ch) }
        return String(out.reversed())
    }
}
