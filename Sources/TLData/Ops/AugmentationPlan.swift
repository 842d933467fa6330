import Foundation
import TLNN

/// The augmentations of a training run, typed: parsed once from text such as
/// `flip,crop=0.8,rotate=10,color=0.2,mixup=0.2`, recorded in checkpoints, shown in plans.
///
/// Items (comma-separated, `name` alone takes the default value in brackets):
/// - `flip[=0.5]`: horizontal flip with this probability;
/// - `crop[=0.5]`: random resized crop keeping between this fraction and all of the area,
///   aspect ratio 3/4…4/3, resized back to the input size;
/// - `rotate[=10]`: rotation by up to ± this many degrees (bilinear, zero fill);
/// - `color[=0.2]`: brightness, contrast and saturation jitter of up to ± this factor;
/// - `mixup[=0.2]` or `cutmix[=1]`: mixes pairs of samples (and their labels) with a
///   Beta(α, α) weight — a blend, or a pasted box;
/// - `shift[=2]`: random translation by up to this many pixels (zero fill);
/// - `noise[=0.05]`: additive Gaussian noise of this standard deviation;
/// - `default`: `shift=2,noise=0.05` (what a bare `--augment` meant before plans existed).
///
/// Checkpoints written before plans stored a Bool; `true` decodes as `default`, `false` as none.
public struct AugmentationPlan: Codable, Sendable, Equatable, CustomStringConvertible {
    public var flip: Double = 0
    public var crop: Double? = nil
    public var rotate: Double = 0
    public var color: Double = 0
    public var mixup: Double? = nil
    public var cutmix: Double? = nil
    public var shift: Int = 0
    public var noise: Double = 0

    public init() {}

    /// No augmentation.
    public static let none = AugmentationPlan()
    /// Shifts of up to 2 pixels and noise σ = 0.05: the meaning of a bare `--augment`.
    public static var legacyDefault: AugmentationPlan { var p = AugmentationPlan(); p.shift = 2; p.noise = 0.05; return p }

    /// True when the plan changes nothing.
    public var isIdentity: Bool { self == .none }

    /// A malformed plan: what was wrong, for one line naming the option.
    public struct ParseError: Error, CustomStringConvertible, Sendable { public let description: String }

    static let items = ["flip", "crop", "rotate", "color", "mixup", "cutmix", "shift", "noise", "default"]

    /// Parses `flip,crop=0.8,rotate=10,…`.
    public static func parse(_ text: String) throws -> AugmentationPlan {
        var p = AugmentationPlan()
        for part in text.split(separator: ",", omittingEmptySubsequences: false).map({ $0.trimmingCharacters(in: .whitespaces) }) {
            guard !part.isEmpty else { throw ParseError(description: "empty item in '\(text)' (expected e.g. flip,crop=0.8,rotate=10)") }
            let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
            let name = kv[0].lowercased()
            let value: Double?
            if kv.count == 2 {
                guard let v = Double(kv[1]), v.isFinite else { throw ParseError(description: "'\(part)': \(kv[1]) is not a number") }
                value = v
            } else { value = nil }
            func number(_ d: Double, _ range: ClosedRange<Double>, _ what: String) throws -> Double {
                let v = value ?? d
                guard range.contains(v) else { throw ParseError(description: "'\(part)': expected \(what)") }
                return v
            }
            switch name {
            case "flip": p.flip = try number(0.5, 0...1, "a probability in [0, 1]")
            case "crop": p.crop = try number(0.5, 0.01...1, "the smallest kept area fraction, in (0, 1]")
            case "rotate": p.rotate = try number(10, 0...180, "degrees in [0, 180]")
            case "color": p.color = try number(0.2, 0...1, "a jitter factor in [0, 1]")
            case "mixup": p.mixup = try number(0.2, 0.01...100, "a Beta α > 0")
            case "cutmix": p.cutmix = try number(1, 0.01...100, "a Beta α > 0")
            case "shift":
                let v = try number(2, 0...1000, "pixels ≥ 0")
                guard v == v.rounded() else { throw ParseError(description: "'\(part)': expected whole pixels") }
                p.shift = Int(v)
            case "noise": p.noise = try number(0.05, 0...10, "a standard deviation ≥ 0")
            case "default":
                guard value == nil else { throw ParseError(description: "'default' takes no value") }
                p.shift = 2; p.noise = 0.05
            default:
                let hint = nearestWord(to: name, in: items).map { "; did you mean '\($0)'?" } ?? ""
                throw ParseError(description: "unknown augmentation '\(name)'\(hint) (expected \(items.joined(separator: ", ")))")
            }
        }
        if p.mixup != nil && p.cutmix != nil { throw ParseError(description: "'\(text)': choose mixup or cutmix, not both") }
        return p
    }

    /// The canonical text (parses back to the same plan); "none" for no augmentation.
    public var description: String {
        func n(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e6 ? String(Int(v)) : String(v) }
        var items: [String] = []
        if flip > 0 { items.append("flip=\(n(flip))") }
        if let crop { items.append("crop=\(n(crop))") }
        if rotate > 0 { items.append("rotate=\(n(rotate))") }
        if color > 0 { items.append("color=\(n(color))") }
        if let mixup { items.append("mixup=\(n(mixup))") }
        if let cutmix { items.append("cutmix=\(n(cutmix))") }
        if shift > 0 { items.append("shift=\(shift)") }
        if noise > 0 { items.append("noise=\(n(noise))") }
        return items.isEmpty ? "none" : items.joined(separator: ",")
    }

    /// One phrase per augmentation, for plans: "horizontal flip p=0.5, random resized crop 80–100% area, …".
    public var summary: String {
        var s: [String] = []
        if flip > 0 { s.append("horizontal flip p=\(flip)") }
        if let crop { s.append("random resized crop \(Int((crop * 100).rounded()))–100% of the area") }
        if rotate > 0 { s.append("rotation ±\(rotate)°") }
        if color > 0 { s.append("colour jitter ±\(color)") }
        if let mixup { s.append("mixup α=\(mixup)") }
        if let cutmix { s.append("cutmix α=\(cutmix)") }
        if shift > 0 { s.append("shift ±\(shift) px") }
        if noise > 0 { s.append("Gaussian noise σ=\(noise)") }
        return s.isEmpty ? "none" : s.joined(separator: ", ")
    }

    enum Keys: String, CodingKey { case flip, crop, rotate, color, mixup, cutmix, shift, noise }

    public init(from decoder: Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let legacy = try? single.decode(Bool.self) {
            self = legacy ? .legacyDefault : .none
            return
        }
        let c = try decoder.container(keyedBy: Keys.self)
        flip = try c.decodeIfPresent(Double.self, forKey: .flip) ?? 0
        crop = try c.decodeIfPresent(Double.self, forKey: .crop)
        rotate = try c.decodeIfPresent(Double.self, forKey: .rotate) ?? 0
        color = try c.decodeIfPresent(Double.self, forKey: .color) ?? 0
        mixup = try c.decodeIfPresent(Double.self, forKey: .mixup)
        cutmix = try c.decodeIfPresent(Double.self, forKey: .cutmix)
        shift = try c.decodeIfPresent(Int.self, forKey: .shift) ?? 0
        noise = try c.decodeIfPresent(Double.self, forKey: .noise) ?? 0
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        if flip > 0 { try c.encode(flip, forKey: .flip) }
        try c.encodeIfPresent(crop, forKey: .crop)
        if rotate > 0 { try c.encode(rotate, forKey: .rotate) }
        if color > 0 { try c.encode(color, forKey: .color) }
        try c.encodeIfPresent(mixup, forKey: .mixup)
        try c.encodeIfPresent(cutmix, forKey: .cutmix)
        if shift > 0 { try c.encode(shift, forKey: .shift) }
        if noise > 0 { try c.encode(noise, forKey: .noise) }
    }
}
