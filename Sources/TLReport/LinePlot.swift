import Foundation

/// One line of a `LinePlot`.
public struct LineSeries: Sendable, Equatable {
    public var name: String
    public var color: String
    public var dashed: Bool
    public var points: [PlotPoint]
    public init(name: String, color: String, dashed: Bool = false, points: [PlotPoint]) {
        self.name = name
        self.color = color
        self.dashed = dashed
        self.points = points
    }
}

/// A data point.
public struct PlotPoint: Sendable, Equatable {
    public var x: Double
    public var y: Double
    public init(_ x: Double, _ y: Double) { self.x = x; self.y = y }
}

/// A shaded stretch of the x axis with a label (a gradual-unfreezing phase).
public struct ShadedBand: Sendable, Equatable {
    public var from: Double
    public var to: Double
    public var label: String
    public init(from: Double, to: Double, label: String) { self.from = from; self.to = to; self.label = label }
}

/// A line chart (learning curves): series on shared axes, optional shaded x bands.
///
/// Geometry: a `width`×`height` viewBox with fixed margins; x and y axes from `axes()`,
/// so a test can compute where a data point must land.
public struct LinePlot: Sendable {
    public var title: String
    public var xTitle: String
    public var yTitle: String
    public var series: [LineSeries]
    public var bands: [ShadedBand] = []
    /// Y values are fractions shown as percentages.
    public var yPercent = false
    public var width = 480.0
    public var height = 300.0
    let frame: PlotFrame

    public init(title: String, xTitle: String, yTitle: String, series: [LineSeries], bands: [ShadedBand] = [], yPercent: Bool = false) {
        self.title = title
        self.xTitle = xTitle
        self.yTitle = yTitle
        self.series = series
        self.bands = bands
        self.yPercent = yPercent
        frame = PlotFrame(width: width, height: height, left: 58, right: 14, top: 22, bottom: 40)
    }

    /// The axes: x over every point's x (and the bands), y over every y (percent plots include 0…1 bounds only as data needs).
    public func axes() -> (x: PlotAxis, y: PlotAxis) {
        let xs = series.flatMap { $0.points.map(\.x) } + bands.flatMap { [$0.from, $0.to] }
        let ys = series.flatMap { $0.points.map(\.y) }
        var x = PlotAxis(covering: xs, from: frame.plotLeft, to: frame.plotRight, nice: false)
        if x.ticks.isEmpty || (xs.max() ?? 0) - (xs.min() ?? 0) < 1 {
            x = PlotAxis(domain: ((xs.min() ?? 1) - 0.5)...((xs.max() ?? 1) + 0.5), from: frame.plotLeft, to: frame.plotRight, step: 1)
        }
        var y = PlotAxis(covering: ys, from: frame.plotBottom, to: frame.plotTop)
        if yPercent, y.domain.upperBound > 1 || y.domain.lowerBound < 0 {
            y = PlotAxis(domain: Swift.max(0, y.domain.lowerBound)...Swift.min(1, y.domain.upperBound), from: frame.plotBottom, to: frame.plotTop)
        }
        return (x, y)
    }

    /// The chart as an inline `<svg>` element.
    public func svg() -> String {
        let (x, y) = axes()
        var s = SVG.open(width: width, height: height, label: title)
        for (i, band) in bands.enumerated() {
            let x0 = x.position(band.from), x1 = x.position(band.to)
            s += "<rect class=\"band band\(i % 2)\" x=\"\(SVG.n(x0))\" y=\"\(SVG.n(frame.plotTop))\" width=\"\(SVG.n(x1 - x0))\" height=\"\(SVG.n(frame.plotBottom - frame.plotTop))\"/>"
            s += SVG.text(band.label, x: x0 + 3, y: frame.plotTop + 11, anchor: "start", cssClass: "band-label")
        }
        s += frame.axes(x: x, y: y, xTitle: xTitle, yTitle: yTitle, yPercent: yPercent, xIntegers: true)
        for line in series where !line.points.isEmpty {
            let path = line.points.map { "\(SVG.n(x.position($0.x))),\(SVG.n(y.position($0.y)))" }.joined(separator: " ")
            s += "<polyline class=\"series\" points=\"\(path)\" stroke=\"\(line.color)\"\(line.dashed ? " stroke-dasharray=\"5 3\"" : "")><title>\(SVG.escape(line.name))</title></polyline>"
            if line.points.count == 1, let p = line.points.first {
                s += "<circle cx=\"\(SVG.n(x.position(p.x)))\" cy=\"\(SVG.n(y.position(p.y)))\" r=\"3\" fill=\"\(line.color)\"/>"
            }
        }
        return s + "</svg>"
    }
}
