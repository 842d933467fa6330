import Foundation

/// The transfer gain per seed (points), its mean as a line and its 95% interval as a band,
/// with the zero line, coloured by the verdict (`verdictClass`: positive, neutral, negative).
public struct GainPlot: Sendable {
    /// Gain per seed, as fractions of accuracy (0.029 = +2.9 points).
    public var seeds: [UInt64]
    public var gains: [Double]
    public var mean: Double
    public var lower: Double
    public var upper: Double
    public var verdictClass: String
    public var width = 480.0
    public var height = 240.0
    let frame: PlotFrame

    public init(seeds: [UInt64], gains: [Double], mean: Double, lower: Double, upper: Double, verdictClass: String) {
        self.seeds = seeds
        self.gains = gains
        self.mean = mean
        self.lower = lower
        self.upper = upper
        self.verdictClass = verdictClass
        frame = PlotFrame(width: width, height: height, left: 58, right: 14, top: 14, bottom: 40)
    }

    /// x: seed slots 0…n−1 centred in equal columns; y: gain in points, always including 0.
    public func axes() -> (x: PlotAxis, y: PlotAxis) {
        let points = gains.map { $0 * 100 }
        let bounds = [lower, upper].filter(\.isFinite).map { $0 * 100 }
        let x = PlotAxis(domain: -0.5...(Double(gains.count) - 0.5), from: frame.plotLeft, to: frame.plotRight, step: 1)
        let y = PlotAxis(covering: points + bounds + [mean * 100], including: [0], from: frame.plotBottom, to: frame.plotTop)
        return (x, y)
    }

    public func svg() -> String {
        let (x, y) = axes()
        var s = SVG.open(width: width, height: height, label: "transfer gain per seed")
        if lower.isFinite && upper.isFinite {
            let top = y.position(upper * 100), bottom = y.position(lower * 100)
            s += "<rect class=\"ci \(verdictClass)\" x=\"\(SVG.n(frame.plotLeft))\" y=\"\(SVG.n(top))\" width=\"\(SVG.n(frame.plotRight - frame.plotLeft))\" height=\"\(SVG.n(bottom - top))\"><title>95% interval</title></rect>"
        }
        var grid = ""
        for t in y.ticks {
            grid += SVG.line(frame.plotLeft, y.position(t), frame.plotRight, y.position(t), cssClass: "grid")
            grid += SVG.text((t > 0 ? "+" : "") + y.label(t), x: frame.plotLeft - 6, y: y.position(t) + 4, anchor: "end", cssClass: "tick")
        }
        s += grid
        s += SVG.line(frame.plotLeft, y.position(0), frame.plotRight, y.position(0), cssClass: "zero")
        s += SVG.line(frame.plotLeft, y.position(mean * 100), frame.plotRight, y.position(mean * 100), cssClass: "mean \(verdictClass)")
        for (i, g) in gains.enumerated() {
            let px = x.position(Double(i)), py = y.position(g * 100)
            s += SVG.line(px, y.position(0), px, py, cssClass: "stem")
            s += "<circle class=\"dot \(verdictClass)\" cx=\"\(SVG.n(px))\" cy=\"\(SVG.n(py))\" r=\"5\"><title>seed \(seeds[i]): \(String(format: "%+.1f", g * 100)) pts</title></circle>"
            s += SVG.text("seed \(seeds[i])", x: px, y: frame.plotBottom + 17, cssClass: "tick")
        }
        s += SVG.line(frame.plotLeft, frame.plotBottom, frame.plotRight, frame.plotBottom, cssClass: "axis")
        s += SVG.line(frame.plotLeft, frame.plotTop, frame.plotLeft, frame.plotBottom, cssClass: "axis")
        s += SVG.text("gain, points", x: 12, y: (frame.plotTop + frame.plotBottom) / 2, cssClass: "axis-title",
                      extra: " transform=\"rotate(-90 12 \(SVG.n((frame.plotTop + frame.plotBottom) / 2)))\"")
        return s + "</svg>"
    }
}

/// Relative L2 change per block as horizontal bars; frozen blocks and blocks without a
/// counterpart in the source (a new head) are drawn as labels instead of bars.
public struct DriftPlot: Sendable {
    public struct Row: Sendable, Equatable {
        public var label: String
        /// ‖w − w₀‖ / ‖w₀‖ over the block's parameters, nil when not comparable.
        public var drift: Double?
        public var frozen: Bool
        public var note: String?
        public init(label: String, drift: Double?, frozen: Bool, note: String? = nil) {
            self.label = label
            self.drift = drift
            self.frozen = frozen
            self.note = note
        }
    }
    public var rows: [Row]
    public let rowHeight = 26.0
    public var width = 480.0
    let labelWidth = 120.0
    public var height: Double { Double(rows.count) * rowHeight + 40 }

    public init(rows: [Row]) { self.rows = rows }

    /// x: relative change from 0 to the largest drift (nice bounds).
    public func axis() -> PlotAxis {
        PlotAxis(covering: rows.compactMap(\.drift), including: [0], from: labelWidth, to: width - 60)
    }

    public func svg() -> String {
        let x = axis()
        var s = SVG.open(width: width, height: height, label: "weight drift per block")
        for t in x.ticks {
            s += SVG.line(x.position(t), 4, x.position(t), height - 30, cssClass: "grid")
            s += SVG.text(x.label(t), x: x.position(t), y: height - 16, cssClass: "tick")
        }
        s += SVG.text("relative L2 change from the source weights", x: (labelWidth + width - 60) / 2, y: height - 2, cssClass: "axis-title")
        for (i, row) in rows.enumerated() {
            let top = 6 + Double(i) * rowHeight
            s += SVG.text(row.label, x: labelWidth - 8, y: top + 16, anchor: "end", cssClass: "row-label")
            if let d = row.drift {
                let w = Swift.max(x.position(d) - x.position(0), d > 0 ? 1 : 0)
                s += "<rect class=\"bar\(row.frozen ? " frozen" : "")\" x=\"\(SVG.n(x.position(0)))\" y=\"\(SVG.n(top + 3))\" width=\"\(SVG.n(w))\" height=\"\(SVG.n(rowHeight - 8))\"/>"
                s += SVG.text(String(format: "%.4f", d) + (row.frozen ? " (frozen)" : ""), x: x.position(0) + w + 4, y: top + 16, anchor: "start", cssClass: "value")
            } else {
                s += SVG.text(row.note ?? "—", x: x.position(0) + 4, y: top + 16, anchor: "start", cssClass: "value muted")
            }
        }
        return s + "</svg>"
    }
}
