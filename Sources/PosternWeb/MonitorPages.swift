import Foundation
import Hummingbird
import PosternConfig
import PosternControl
import PosternStore

/// Monitor → TLS Connections: incoming TLS per hour over the last day and per day over the
/// last week, as server-drawn SVG bar charts (the appliance has no Internet: no CDN, no
/// script) with the table behind each.
struct MonitorPages {
    static let path = "/monitor/tls-connections"
    let web: WebInterface

    struct Page {
        struct Row { let label: String; let succeeded: Int; let failed: Int }
        let frame: PageFrame
        let dayChart: String
        let dayRows: [Row]
        let weekChart: String
        let weekRows: [Row]
        let daySucceeded: Int
        let dayFailed: Int
    }

    func add(to group: RouterGroup<WebContext>) {
        group.get(RouterPath(Self.path)) { _, context in
            let session = try context.requireSession()
            let report = TLSReport.read(web.home)
            let now = Date()
            let day = report.lastDay(now: now)
            let week = report.lastWeek(now: now)
            let dayRows = day.map { Page.Row(label: LocalTime.format($0.start, "%H:00", utc: true), succeeded: $0.succeeded,
                                              failed: $0.failed) }
            let weekRows = week.map { Page.Row(label: LocalTime.format($0.start, "%a %d %b", utc: true), succeeded: $0.succeeded,
                                                failed: $0.failed) }
            return try web.render("tls-connections", Page(
                frame: web.frame(session, title: "TLS Connections"),
                dayChart: BarChart.svg(dayRows.map { ($0.label, $0.succeeded, $0.failed) }, id: "tls-day-chart"),
                dayRows: dayRows,
                weekChart: BarChart.svg(weekRows.map { ($0.label, $0.succeeded, $0.failed) }, id: "tls-week-chart"),
                weekRows: weekRows, daySucceeded: day.reduce(0) { $0 + $1.succeeded },
                dayFailed: day.reduce(0) { $0 + $1.failed }))
        }
    }
}

/// A stacked bar chart (succeeded below, failed on top) as SVG text. Every value drawn is a
/// number or a label this program made, so nothing from outside reaches the markup.
enum BarChart {
    static func svg(_ bars: [(label: String, succeeded: Int, failed: Int)], id: String) -> String {
        let width = 760.0, height = 220.0, left = 50.0, bottom = 40.0, top = 10.0
        let plot = height - bottom - top
        let peak = max(1, bars.map { $0.succeeded + $0.failed }.max() ?? 1)
        let step = (width - left) / Double(max(1, bars.count))
        var parts = ["<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"\(id)\" width=\"\(Int(width))\" "
            + "height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\">"]
        parts.append("<line x1=\"\(left)\" y1=\"\(top + plot)\" x2=\"\(width)\" y2=\"\(top + plot)\" stroke=\"#555\"/>")
        parts.append("<text x=\"\(left - 6)\" y=\"\(top + 10)\" text-anchor=\"end\" font-size=\"11\">\(peak)</text>")
        parts.append("<text x=\"\(left - 6)\" y=\"\(top + plot)\" text-anchor=\"end\" font-size=\"11\">0</text>")
        for (index, bar) in bars.enumerated() {
            let x = left + Double(index) * step + step * 0.15
            let barWidth = step * 0.7
            let okHeight = plot * Double(bar.succeeded) / Double(peak)
            let failHeight = plot * Double(bar.failed) / Double(peak)
            let okTop = top + plot - okHeight
            parts.append(String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#2a9d8f\">"
                                + "<title>%@: %d succeeded</title></rect>",
                                x, okTop, barWidth, okHeight, bar.label, bar.succeeded))
            parts.append(String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#e63946\">"
                                + "<title>%@: %d failed</title></rect>",
                                x, okTop - failHeight, barWidth, failHeight, bar.label, bar.failed))
            if bars.count <= 8 || index % 3 == 0 {
                parts.append(String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"10\">%@</text>",
                                    x + barWidth / 2, top + plot + 14, bar.label))
            }
        }
        parts.append("<text x=\"\(left)\" y=\"\(height - 6)\" font-size=\"11\" fill=\"#2a9d8f\">■ succeeded</text>")
        parts.append("<text x=\"\(left + 90)\" y=\"\(height - 6)\" font-size=\"11\" fill=\"#e63946\">■ failed</text>")
        parts.append("</svg>")
        return parts.joined()
    }
}
