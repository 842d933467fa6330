import Foundation

/// The confusion matrix as a heat map: rows are true classes, columns predicted ones, each
/// cell shaded by its share of the row and labelled with its count.
public struct ConfusionHeatMap: Sendable {
    public var classNames: [String]
    public var confusion: [[Int]]
    public let cell = 34.0
    let labelWidth: Double
    let top = 44.0

    public init(classNames: [String], confusion: [[Int]]) {
        self.classNames = classNames
        self.confusion = confusion
        labelWidth = Swift.min(120, 16 + 7 * Double(classNames.map(\.count).max() ?? 1))
    }

    public var width: Double { labelWidth + cell * Double(classNames.count) + 8 }
    public var height: Double { top + cell * Double(classNames.count) + 8 }

    /// Top-left corner of cell (true `row`, predicted `column`).
    public func origin(row: Int, column: Int) -> (x: Double, y: Double) {
        (labelWidth + Double(column) * cell, top + Double(row) * cell)
    }

    /// Share of row `row` in cell `column` (0 for an empty row).
    public func share(row: Int, column: Int) -> Double {
        let total = confusion[row].reduce(0, +)
        return total > 0 ? Double(confusion[row][column]) / Double(total) : 0
    }

    public func svg() -> String {
        var s = SVG.open(width: width, height: height, label: "confusion matrix", cssClass: "plot heat", maxScale: 1.6)
        s += SVG.text("predicted →", x: labelWidth + cell * Double(classNames.count) / 2, y: 12, cssClass: "axis-title")
        s += SVG.text("true ↓", x: 4, y: 12, anchor: "start", cssClass: "axis-title")
        for (j, name) in classNames.enumerated() {
            s += SVG.text(String(name.prefix(6)), x: labelWidth + (Double(j) + 0.5) * cell, y: top - 8, cssClass: "tick")
        }
        for (i, name) in classNames.enumerated() {
            s += SVG.text(String(name.prefix(16)), x: labelWidth - 6, y: top + (Double(i) + 0.5) * cell + 4, anchor: "end", cssClass: "tick")
            for j in classNames.indices {
                let (x, y) = origin(row: i, column: j)
                let share = self.share(row: i, column: j)
                let fill = i == j ? "rgba(0,114,178,\(SVG.n(0.08 + 0.92 * share)))" : "rgba(213,94,0,\(SVG.n(share == 0 ? 0.02 : 0.12 + 0.88 * share)))"
                s += "<rect x=\"\(SVG.n(x))\" y=\"\(SVG.n(y))\" width=\"\(SVG.n(cell - 2))\" height=\"\(SVG.n(cell - 2))\" fill=\"\(fill)\"><title>true \(SVG.escape(name)), predicted \(SVG.escape(classNames[j])): \(confusion[i][j])</title></rect>"
                s += SVG.text(String(confusion[i][j]), x: x + (cell - 2) / 2, y: y + cell / 2 + 3, cssClass: share > 0.55 ? "count light" : "count")
            }
        }
        return s + "</svg>"
    }
}

/// A reliability diagram: per confidence bin, the accuracy of the predictions in it as a
/// bar from the bin's lower to upper edge, against the diagonal of perfect calibration.
public struct ReliabilityPlot: Sendable {
    public struct Bin: Sendable, Equatable {
        public var lower: Double, upper: Double
        public var count: Int
        public var accuracy: Double
        public var confidence: Double
        public init(lower: Double, upper: Double, count: Int, accuracy: Double, confidence: Double) {
            self.lower = lower
            self.upper = upper
            self.count = count
            self.accuracy = accuracy
            self.confidence = confidence
        }
    }
    public var bins: [Bin]
    public var ece: Double
    public var width = 360.0
    public var height = 340.0
    let frame: PlotFrame

    public init(bins: [Bin], ece: Double) {
        self.bins = bins
        self.ece = ece
        frame = PlotFrame(width: width, height: height, left: 52, right: 12, top: 12, bottom: 40)
    }

    /// Both axes run over [0, 1] in steps of 0.2.
    public func axes() -> (x: PlotAxis, y: PlotAxis) {
        (PlotAxis(domain: 0...1, from: frame.plotLeft, to: frame.plotRight, step: 0.2),
         PlotAxis(domain: 0...1, from: frame.plotBottom, to: frame.plotTop, step: 0.2))
    }

    /// Equal-width bins of predicted confidence (the bins of `ClassificationMetrics`' ECE:
    /// bin b covers (b/B, (b+1)/B]).
    public static func bins(confidences: [Double], correct: [Bool], count: Int = 15) -> [Bin] {
        var n = [Int](repeating: 0, count: count), c = [Double](repeating: 0, count: count), a = [Double](repeating: 0, count: count)
        for (conf, ok) in zip(confidences, correct) {
            let b = Swift.min(count - 1, Swift.max(0, Int((conf * Double(count)).rounded(.up)) - 1))
            n[b] += 1
            c[b] += conf
            a[b] += ok ? 1 : 0
        }
        return (0..<count).map { b in
            Bin(lower: Double(b) / Double(count), upper: Double(b + 1) / Double(count), count: n[b],
                accuracy: n[b] > 0 ? a[b] / Double(n[b]) : 0, confidence: n[b] > 0 ? c[b] / Double(n[b]) : 0)
        }
    }

    public func svg() -> String {
        let (x, y) = axes()
        var s = SVG.open(width: width, height: height, label: "reliability diagram", cssClass: "plot square")
        s += frame.axes(x: x, y: y, xTitle: "confidence", yTitle: "accuracy")
        for bin in bins where bin.count > 0 {
            let x0 = x.position(bin.lower), x1 = x.position(bin.upper), top = y.position(bin.accuracy)
            s += "<rect class=\"bar\" x=\"\(SVG.n(x0 + 1))\" y=\"\(SVG.n(top))\" width=\"\(SVG.n(x1 - x0 - 2))\" height=\"\(SVG.n(y.position(0) - top))\"><title>confidence \(SVG.n(bin.lower))–\(SVG.n(bin.upper)): \(bin.count) predictions, accuracy \(String(format: "%.3f", bin.accuracy)), mean confidence \(String(format: "%.3f", bin.confidence))</title></rect>"
        }
        s += "<line class=\"diagonal\" x1=\"\(SVG.n(x.position(0)))\" y1=\"\(SVG.n(y.position(0)))\" x2=\"\(SVG.n(x.position(1)))\" y2=\"\(SVG.n(y.position(1)))\"/>"
        s += SVG.text("ECE " + String(format: "%.4f", ece), x: frame.plotLeft + 8, y: frame.plotTop + 16, anchor: "start", cssClass: "value")
        return s + "</svg>"
    }
}

/// A scatter plot of 2-D points coloured by class (the PCA of pre-head features).
public struct ScatterPlot: Sendable {
    public var xs: [Double]
    public var ys: [Double]
    public var classes: [Int]
    public var classNames: [String]
    public var xTitle: String
    public var yTitle: String
    public var width = 420.0
    public var height = 380.0
    let frame: PlotFrame

    public init(xs: [Double], ys: [Double], classes: [Int], classNames: [String], xTitle: String, yTitle: String) {
        self.xs = xs
        self.ys = ys
        self.classes = classes
        self.classNames = classNames
        self.xTitle = xTitle
        self.yTitle = yTitle
        frame = PlotFrame(width: width, height: height, left: 52, right: 12, top: 12, bottom: 40)
    }

    public func axes() -> (x: PlotAxis, y: PlotAxis) {
        (PlotAxis(covering: xs, from: frame.plotLeft, to: frame.plotRight), PlotAxis(covering: ys, from: frame.plotBottom, to: frame.plotTop))
    }

    public static func color(ofClass c: Int) -> String { SVG.palette[c % SVG.palette.count] }

    public func svg() -> String {
        let (x, y) = axes()
        var s = SVG.open(width: width, height: height, label: "PCA of features before the head", cssClass: "plot square")
        s += frame.axes(x: x, y: y, xTitle: xTitle, yTitle: yTitle)
        for i in xs.indices {
            s += "<circle cx=\"\(SVG.n(x.position(xs[i])))\" cy=\"\(SVG.n(y.position(ys[i])))\" r=\"2.2\" fill=\"\(Self.color(ofClass: classes[i]))\"/>"
        }
        return s + "</svg>"
    }
}
