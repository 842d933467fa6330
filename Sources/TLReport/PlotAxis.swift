import Foundation

/// A linear axis: maps data values in `domain` to pixel positions in `range` (reversed for
/// y, where SVG grows downwards), with "nice" tick values (1, 2 or 5 × 10^k steps).
public struct PlotAxis: Sendable, Equatable {
    public var domain: ClosedRange<Double>
    /// Pixel positions of `domain.lowerBound` and `domain.upperBound`.
    public var start: Double
    public var end: Double
    public var ticks: [Double]

    /// An axis covering `values` (widened to nice tick bounds when `nice`), drawn from pixel
    /// `start` to `end`. `including` values (e.g. 0) are always inside the domain.
    public init(covering values: [Double], including: [Double] = [], from start: Double, to end: Double,
                nice: Bool = true, targetTicks: Int = 5) {
        let finite = (values + including).filter(\.isFinite)
        var low = finite.min() ?? 0, high = finite.max() ?? 1
        if high - low < 1e-12 { low -= 0.5; high += 0.5 }
        let step = Self.niceStep((high - low) / Double(max(targetTicks, 1)))
        if nice {
            // (with a little slack, so 0.4 / 0.1 = 4.000…01 does not widen the axis by a step)
            low = (low / step + 1e-9).rounded(.down) * step
            high = (high / step - 1e-9).rounded(.up) * step
        }
        self.init(domain: low...high, from: start, to: end, step: step)
    }

    /// An axis over a fixed `domain` with ticks every `step` (nice by default).
    public init(domain: ClosedRange<Double>, from start: Double, to end: Double, step: Double? = nil) {
        self.domain = domain
        self.start = start
        self.end = end
        let s = step ?? Self.niceStep((domain.upperBound - domain.lowerBound) / 5)
        var t: [Double] = []
        let first = (domain.lowerBound / s - 1e-9).rounded(.up)
        var k = 0.0
        while (first + k) * s <= domain.upperBound + s * 1e-9 && t.count < 50 {
            let v = (first + k) * s
            t.append(abs(v) < s * 1e-9 ? 0 : v)
            k += 1
        }
        ticks = t
    }

    /// The pixel position of `value`.
    public func position(_ value: Double) -> Double {
        let span = domain.upperBound - domain.lowerBound
        guard span > 0 else { return (start + end) / 2 }
        return start + (value - domain.lowerBound) / span * (end - start)
    }

    /// 1, 2 or 5 times a power of ten, at least `raw`.
    public static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let power = Foundation.pow(10, (Foundation.log10(raw)).rounded(.down))
        for m in [1.0, 2, 5, 10] where m * power >= raw * (1 - 1e-9) { return m * power }
        return 10 * power
    }

    /// Tick label: as few decimals as the step needs.
    public func label(_ value: Double, percent: Bool = false) -> String {
        let step = ticks.count > 1 ? ticks[1] - ticks[0] : 1
        let v = percent ? value * 100 : value
        let s = percent ? step * 100 : step
        let decimals = s >= 1 - 1e-9 ? 0 : Int((-Foundation.log10(s) - 1e-6).rounded(.up))
        return String(format: "%.\(max(0, min(decimals, 6)))f", v) + (percent ? "%" : "")
    }
}

/// Small SVG-writing helpers shared by the plot builders.
enum SVG {
    /// A number for an SVG attribute: at most 2 decimals, no trailing zeros.
    static func n(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        var s = String(format: "%.2f", v)
        while s.contains(".") && (s.hasSuffix("0") || s.hasSuffix(".")) { s.removeLast() }
        return s == "-0" ? "0" : s
    }

    /// Escapes text for HTML/SVG content and attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    /// The opening `<svg>` tag: scales to its container's width, keeps its aspect ratio, and
    /// grows to at most `maxScale` times its natural size (so text stays a readable size).
    static func open(width: Double, height: Double, label: String, cssClass: String = "plot", maxScale: Double = 1.25) -> String {
        "<svg class=\"\(cssClass)\" style=\"max-width:\(n(width * maxScale))px\" viewBox=\"0 0 \(n(width)) \(n(height))\" role=\"img\" aria-label=\"\(escape(label))\" xmlns=\"http://www.w3.org/2000/svg\">"
    }

    static func text(_ s: String, x: Double, y: Double, anchor: String = "middle", cssClass: String? = nil, extra: String = "") -> String {
        "<text x=\"\(n(x))\" y=\"\(n(y))\" text-anchor=\"\(anchor)\"\(cssClass.map { " class=\"\($0)\"" } ?? "")\(extra)>\(escape(s))</text>"
    }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, cssClass: String) -> String {
        "<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" class=\"\(cssClass)\"/>"
    }

    /// Series colours (colour-blind-safe Okabe–Ito order).
    static let palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
                          "#999999", "#882255", "#44AA99", "#117733"]
}

/// A rectangular plot area inside an SVG with margins for axis labels.
struct PlotFrame {
    var width: Double, height: Double
    var left: Double, right: Double, top: Double, bottom: Double
    var plotLeft: Double { left }
    var plotRight: Double { width - right }
    var plotTop: Double { top }
    var plotBottom: Double { height - bottom }

    /// Grid lines, tick labels and axis titles for `x` and `y`.
    func axes(x: PlotAxis, y: PlotAxis, xTitle: String, yTitle: String, xPercent: Bool = false, yPercent: Bool = false,
              xIntegers: Bool = false) -> String {
        var s = ""
        for t in y.ticks {
            let py = y.position(t)
            s += SVG.line(plotLeft, py, plotRight, py, cssClass: "grid")
            s += SVG.text(y.label(t, percent: yPercent), x: plotLeft - 6, y: py + 4, anchor: "end", cssClass: "tick")
        }
        for t in x.ticks where !xIntegers || t == t.rounded() {
            let px = x.position(t)
            s += SVG.line(px, plotBottom, px, plotBottom + 4, cssClass: "axis")
            s += SVG.text(x.label(t, percent: xPercent), x: px, y: plotBottom + 17, cssClass: "tick")
        }
        s += SVG.line(plotLeft, plotBottom, plotRight, plotBottom, cssClass: "axis")
        s += SVG.line(plotLeft, plotTop, plotLeft, plotBottom, cssClass: "axis")
        s += SVG.text(xTitle, x: (plotLeft + plotRight) / 2, y: height - 4, cssClass: "axis-title")
        s += SVG.text(yTitle, x: 12, y: (plotTop + plotBottom) / 2, cssClass: "axis-title",
                      extra: " transform=\"rotate(-90 12 \(SVG.n((plotTop + plotBottom) / 2)))\"")
        return s
    }
}
