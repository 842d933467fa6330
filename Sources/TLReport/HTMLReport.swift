import Foundation
import TLTransfer

/// Renders a `RunReport` as one self-contained HTML file: inline CSS, inline SVG plots and
/// PNG data URIs, no scripts and no external assets. One column that reflows at phone width
/// (plots scale, wide tables scroll sideways), and a print style without backgrounds.
public enum HTMLReport {
    public static func render(_ report: RunReport) -> String {
        var body = "<header><h1>\(esc(report.title))</h1><p class=\"sub\">\(esc(report.subtitle))</p>\(contents(report))</header>\n"
        if let c = report.comparison { body += section("gain", "Transfer gain", comparison(c)) }
        if !report.curves.isEmpty { body += section("curves", "Learning curves", curves(report)) }
        if let e = report.evaluation {
            body += section("confusion", "Confusion matrix", confusion(e))
            body += section("calibration", "Calibration", calibration(e))
            body += section("worst", "Highest-loss examples", worst(e))
            if let p = e.projection { body += section("pca", "Features before the head (PCA)", projection(p, classNames: e.classNames)) }
        }
        if let d = report.drift { body += section("drift", "Weight drift per block", drift(d, source: report.driftSource)) }
        if let p = report.plan { body += section("plan", "Plan", plan(p)) }
        body += section("provenance", "Provenance", provenance(report.provenance))
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(esc(report.title))</title>
        <style>\(css)</style>
        </head><body><main>
        \(body)<footer>Written by tl \(esc(report.provenance.first { $0.0 == "tl version" }?.1 ?? "")) — self-contained: no scripts, no external files.</footer>
        </main></body></html>

        """
    }

    static func esc(_ s: String) -> String { SVG.escape(s) }

    static func section(_ id: String, _ title: String, _ content: String) -> String {
        "<section id=\"\(id)\"><h2>\(esc(title))</h2>\n\(content)\n</section>\n"
    }

    /// The section links under the title.
    static func contents(_ r: RunReport) -> String {
        var links: [(String, String)] = []
        if r.comparison != nil { links.append(("gain", "gain")) }
        if !r.curves.isEmpty { links.append(("curves", "curves")) }
        if let e = r.evaluation {
            links += [("confusion", "confusion"), ("calibration", "calibration"), ("worst", "worst examples")]
            if e.projection != nil { links.append(("pca", "PCA")) }
        }
        if r.drift != nil { links.append(("drift", "drift")) }
        if r.plan != nil { links.append(("plan", "plan")) }
        links.append(("provenance", "provenance"))
        return "<nav>" + links.map { "<a href=\"#\($0.0)\">\(esc($0.1))</a>" }.joined(separator: " · ") + "</nav>"
    }

    /// A table with a header row; cells are escaped; `numeric` columns align right.
    static func table(_ header: [String], _ rows: [[String]], numericFrom: Int = 1, cssClass: String = "") -> String {
        var s = "<div class=\"scroll\"><table class=\"\(cssClass)\"><thead><tr>"
        s += header.enumerated().map { "<th\($0.offset >= numericFrom ? " class=\"num\"" : "")>\(esc($0.element))</th>" }.joined()
        s += "</tr></thead><tbody>"
        for row in rows {
            s += "<tr>" + row.enumerated().map { "<td\($0.offset >= numericFrom ? " class=\"num\"" : "")>\(esc($0.element))</td>" }.joined() + "</tr>"
        }
        return s + "</tbody></table></div>"
    }

    static func legend(_ items: [(color: String, label: String, dashed: Bool)]) -> String {
        "<ul class=\"legend\">" + items.map { item in
            let style = item.dashed ? "swatch dashed" : "swatch"
            return "<li><span class=\"\(style)\" style=\"border-color:\(item.color)\"></span>\(esc(item.label))</li>"
        }.joined() + "</ul>"
    }

    static func figure(_ svg: String, caption: String, cssClass: String = "") -> String {
        "<figure class=\"\(cssClass)\">\(svg)<figcaption>\(caption)</figcaption></figure>"
    }

    static func pct(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }
    static func points(_ x: Double) -> String { String(format: "%+.1f", x * 100) }

    /// The CSS class of a verdict: positive, neutral or negative.
    static func verdictClass(_ v: TransferVerdict) -> String {
        switch v {
        case .positive: return "positive"
        case .noSignificantDifference: return "neutral"
        case .negative: return "negative"
        }
    }

    static let css = """
    :root{--fg:#1b1f24;--muted:#5b6570;--line:#d0d7de;--bg:#fff;--card:#f6f8fa;--pos:#1a7f37;--neg:#cf222e;--neu:#6e7781}
    *{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
    main{max-width:1000px;margin:0 auto;padding:16px}h1{font-size:1.45em;margin:.2em 0;overflow-wrap:anywhere}h2{font-size:1.15em;margin:0 0 .5em}
    .sub{color:var(--muted);margin:0 0 .4em;overflow-wrap:anywhere}nav{font-size:.9em}nav a{color:#0969da;text-decoration:none}
    section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px;margin:14px 0;break-inside:avoid}
    .row{display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start}.row>figure{flex:1 1 300px;min-width:0}
    figure{margin:0 0 10px}figcaption{color:var(--muted);font-size:.85em}
    svg.plot{width:100%;height:auto;display:block;background:#fff;border:1px solid var(--line);border-radius:4px}
    svg text{font-size:13px;fill:#24292f}svg .tick{font-size:12px;fill:#57606a}svg .axis-title{font-size:13px;fill:#57606a}
    .grid{stroke:#eaeef2;stroke-width:1}.axis{stroke:#8c959f;stroke-width:1}.zero{stroke:#24292f;stroke-width:1.2}
    .series{fill:none;stroke-width:1.8;stroke-linejoin:round}.band0{fill:#ddf4ff}.band1{fill:#fff8c5}svg .band-label{font-size:10px;fill:#57606a}
    .bar{fill:#0072B2}.bar.frozen{fill:#8c959f}svg .value{font-size:11px}svg .muted{fill:#8c959f}.diagonal{stroke:#cf222e;stroke-dasharray:4 3;stroke-width:1.2}
    svg .count{font-size:11px;fill:#1b1f24}svg .count.light{fill:#fff}svg .row-label{font-size:12px}
    .stem{stroke:#8c959f;stroke-width:1.5}.dot.positive{fill:var(--pos)}.dot.negative{fill:var(--neg)}.dot.neutral{fill:var(--neu)}
    .mean{stroke-width:2}.mean.positive{stroke:var(--pos)}.mean.negative{stroke:var(--neg)}.mean.neutral{stroke:var(--neu)}
    .ci.positive{fill:rgba(26,127,55,.14)}.ci.negative{fill:rgba(207,34,46,.14)}.ci.neutral{fill:rgba(110,119,129,.14)}
    .verdict{font-size:1.15em;font-weight:600;padding:8px 12px;border-radius:6px;color:#fff;margin:0 0 8px}
    .verdict.positive{background:var(--pos)}.verdict.negative{background:var(--neg)}.verdict.neutral{background:var(--neu)}
    .scroll{overflow-x:auto;max-width:100%}table{border-collapse:collapse;font-size:.88em;margin:6px 0;background:#fff}
    th,td{border:1px solid var(--line);padding:3px 7px;text-align:left;white-space:nowrap}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
    table.kv td:last-child{white-space:normal;overflow-wrap:anywhere;font-family:ui-monospace,Menlo,monospace;font-size:.92em}table.kv{width:100%}
    .figures{display:flex;flex-wrap:wrap;gap:8px 18px;margin:4px 0 10px}.figures div{min-width:120px}.figures b{display:block;font-size:1.3em}
    .legend{list-style:none;padding:0;margin:4px 0;display:flex;flex-wrap:wrap;gap:4px 14px;font-size:.85em}
    .swatch{display:inline-block;width:22px;height:0;border-top:3px solid;vertical-align:middle;margin-right:5px}.swatch.dashed{border-top-style:dashed}
    .dotkey{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:5px;vertical-align:middle}
    .examples{display:grid;grid-template-columns:repeat(auto-fill,minmax(140px,1fr));gap:8px}
    .example{background:#fff;border:1px solid var(--line);border-radius:6px;padding:6px;font-size:.82em}
    .example img{width:84px;height:84px;image-rendering:pixelated;display:block;margin:0 auto 4px;background:#000}
    .example .text{font-style:italic;overflow-wrap:anywhere;max-height:7.5em;overflow:hidden}
    details{margin-top:8px}summary{cursor:pointer;color:#0969da}p.note{color:var(--muted);font-size:.88em;margin:.3em 0}
    footer{color:var(--muted);font-size:.8em;margin:20px 0}
    @media (max-width:600px){main{padding:8px}section{padding:10px}body{font-size:14px}.row>figure{flex-basis:100%}}
    @media print{body{font-size:11pt}main{max-width:none;padding:0}section{background:none;border:none;border-top:1px solid #999;border-radius:0;padding:8px 0}
    nav,details summary{display:none}details{display:block}.verdict{border:2px solid #000;print-color-adjust:exact;-webkit-print-color-adjust:exact}
    svg.plot{max-width:16cm}.scroll{overflow:visible}}
    """
}
