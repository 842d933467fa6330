import Foundation
import Testing
@testable import TLReport

/// The plot builders place things where the numbers say: axes, ticks, and known points,
/// computed here by hand from the fixed margins of each plot.
@Suite struct PlotGeometryTests {
    @Test func niceStepsAndTicks() {
        #expect(PlotAxis.niceStep(0.23) == 0.5)
        #expect(PlotAxis.niceStep(0.148) == 0.2)
        #expect(PlotAxis.niceStep(3) == 5)
        #expect(PlotAxis.niceStep(10) == 10)
        // 0.13…0.87 in 5 ticks: step 0.2, widened to 0…1.
        let axis = PlotAxis(covering: [0.13, 0.87], from: 0, to: 100)
        #expect(axis.domain == 0...1)
        #expect(axis.ticks.count == 6)
        #expect(zip(axis.ticks, [0, 0.2, 0.4, 0.6, 0.8, 1.0]).allSatisfy { abs($0 - $1) < 1e-12 })
        #expect(axis.position(0.5) == 50)
        // A y axis runs downwards: the domain's lower bound at the bottom pixel.
        let y = PlotAxis(domain: 0...10, from: 200, to: 0)
        #expect(y.position(0) == 200 && y.position(10) == 0 && y.position(2.5) == 150)
        #expect(y.label(4) == "4" && axis.label(0.4) == "0.4" && axis.label(0.4, percent: true) == "40%")
    }

    @Test func lineChartPutsAKnownPointWhereItBelongs() {
        // Margins: left 58, right 14, top 22, bottom 40 of 480×300 → x 58…466, y 260…22.
        let plot = LinePlot(title: "loss", xTitle: "epoch", yTitle: "loss",
                            series: [LineSeries(name: "train", color: "#000", points: [PlotPoint(1, 0.5), PlotPoint(10, 1.0)])],
                            bands: [ShadedBand(from: 0.5, to: 3.5, label: "probe")])
        let (x, y) = plot.axes()
        #expect(x.domain == 0.5...10)                 // the band widens the x range
        #expect(y.domain == 0.5...1.0)                // step 0.1 from the 0.5 span
        #expect(abs(x.position(0.5) - 58) < 1e-9 && abs(x.position(10) - 466) < 1e-9)
        #expect(y.position(0.5) == 260 && y.position(1.0) == 22)
        let svg = plot.svg()
        let x1 = 58 + (1 - 0.5) / 9.5 * 408
        #expect(svg.contains("points=\"\(SVG.n(x1)),260 466,22\""), "\(svg)")
        #expect(svg.contains("<rect class=\"band band0\" x=\"58\" y=\"22\" width=\"\(SVG.n(3 / 9.5 * 408))\" height=\"238\""))
        #expect(svg.contains(">probe</text>"))
        for tick in ["0.5", "0.6", "0.7", "0.8", "0.9", "1.0"] { #expect(svg.contains(">\(tick)</text>"), "y tick \(tick)") }
    }

    @Test func percentChartsStayWithinZeroAndOne() {
        let plot = LinePlot(title: "acc", xTitle: "epoch", yTitle: "accuracy",
                            series: [LineSeries(name: "a", color: "#000", points: [PlotPoint(1, 0.93), PlotPoint(2, 1.0)])], yPercent: true)
        let y = plot.axes().y
        #expect(y.domain.upperBound <= 1 && y.domain.lowerBound >= 0.9 - 1e-12)
        #expect(plot.svg().contains(">100%</text>"))
    }

    @Test func gainPlotIncludesZeroAndMarksTheMean() {
        // top 14, bottom 40 of 240 → y 200…14; gains +1, +3 points, interval [−1, +5] → step 2, axis −2…6.
        let plot = GainPlot(seeds: [0, 1], gains: [0.01, 0.03], mean: 0.02, lower: -0.01, upper: 0.05, verdictClass: "neutral")
        let (x, y) = plot.axes()
        #expect(y.domain == -2...6)
        #expect(y.position(0) == 153.5)
        #expect(abs(x.position(0) - (58 + 0.25 * 408)) < 1e-9)   // two columns, centred
        let svg = plot.svg()
        #expect(svg.contains("cx=\"\(SVG.n(x.position(1)))\" cy=\"\(SVG.n(y.position(3)))\""))
        #expect(svg.contains("class=\"mean neutral\"") && svg.contains("class=\"ci neutral\""))
        #expect(svg.contains(">+6</text>") && svg.contains(">-2</text>") && svg.contains(">0</text>"))
    }

    @Test func heatMapCellsHoldCountsAndShares() {
        let map = ConfusionHeatMap(classNames: ["a", "b", "c"], confusion: [[5, 0, 0], [1, 2, 1], [0, 0, 0]])
        #expect(map.share(row: 1, column: 1) == 0.5 && map.share(row: 2, column: 0) == 0)
        let origin = map.origin(row: 1, column: 2)
        #expect(origin.y == 44 + 34 && origin.x == map.origin(row: 0, column: 0).x + 68)
        let svg = map.svg()
        #expect(svg.contains("true b, predicted c: 1"))
        #expect(svg.components(separatedBy: "<rect").count - 1 == 9)
        #expect(svg.contains("rgba(0,114,178,1)"))   // a full diagonal row is the darkest blue
    }

    @Test func reliabilityBinsMatchTheMetricsBinning() {
        let bins = ReliabilityPlot.bins(confidences: [0.05, 0.95, 0.96, 1.0 / 15], correct: [false, true, false, true])
        #expect(bins.count == 15)
        #expect(bins[0].count == 2 && bins[0].accuracy == 0.5)       // (0, 1/15]: 1/15 belongs to bin 0
        #expect(bins[14].count == 2 && bins[14].accuracy == 0.5 && abs(bins[14].confidence - 0.955) < 1e-12)
        let plot = ReliabilityPlot(bins: bins, ece: 0.1234)
        let (x, y) = plot.axes()
        #expect(x.ticks.count == 6 && y.position(0.5) == (300 + 12) / 2)   // y 300…12
        let svg = plot.svg()
        #expect(svg.contains("y=\"\(SVG.n(y.position(0.5)))\" width=\"\(SVG.n(x.position(1) - x.position(14.0 / 15) - 2))\""))
        #expect(svg.contains("ECE 0.1234"))
        #expect(svg.components(separatedBy: "class=\"bar\"").count - 1 == 2)   // empty bins draw nothing
    }

    @Test func driftBarsScaleWithTheChange() {
        let plot = DriftPlot(rows: [.init(label: "0 conv1", drift: 0, frozen: true), .init(label: "1 conv2", drift: 0.4, frozen: false),
                                    .init(label: "2 head", drift: nil, frozen: false, note: "new head (not in the source)")])
        let axis = plot.axis()
        #expect(axis.domain == 0...0.4)
        #expect(axis.position(0) == 120 && axis.position(0.4) == 420)   // label column 120, right margin 60 of 480
        let svg = plot.svg()
        #expect(svg.contains("width=\"300\""))                  // 0.4 spans the whole bar area
        #expect(svg.contains("0.0000 (frozen)") && svg.contains("new head (not in the source)"))
    }

    @Test func scatterPointsLandOnTheirCoordinates() {
        let plot = ScatterPlot(xs: [-1, 1, 0], ys: [0, 2, 1], classes: [0, 1, 2], classNames: ["a", "b", "c"], xTitle: "PC1", yTitle: "PC2")
        let (x, y) = plot.axes()
        let svg = plot.svg()
        #expect(svg.contains("cx=\"\(SVG.n(x.position(1)))\" cy=\"\(SVG.n(y.position(2)))\" r=\"2.2\" fill=\"\(ScatterPlot.color(ofClass: 1))\""))
        #expect(x.position(-1) >= 52 && x.position(1) <= 408)
    }
}
