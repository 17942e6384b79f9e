import Foundation
import Hummingbird
import PosternConfig
import PosternControl
import PosternStore

/// Monitor → TLS Connections: incoming TLS (by the mail flow policy's TLS level) and outgoing
/// TLS (by the destination's), per hour over the last day and per day over the last week, as
/// server-drawn SVG bar charts (the appliance has no Internet: no CDN, no script) with the
/// table behind each.
struct MonitorPages {
    static let path = "/monitor/tls-connections"
    let web: WebInterface

    struct Page {
        let frame: PageFrame
        let sections: [Section]
    }

    /// One direction: the last day's totals by level, then the two charts and their tables.
    struct Section {
        struct Column { let title: String }
        struct Cell { let value: Int }
        struct Row { let label: String; let cells: [Cell] }
        struct Level { let key: String; let label: String; let succeeded: Int; let failed: Int }
        let id: String
        let title: String
        let daySucceeded: Int
        let dayFailed: Int
        let dayUnencrypted: Int
        let levels: [Level]
        let columns: [Column]
        let dayChart: String
        let dayRows: [Row]
        let weekChart: String
        let weekRows: [Row]
    }

    func add(to group: RouterGroup<WebContext>) {
        group.get(RouterPath(Self.path)) { _, context in
            let session = try context.requireSession()
            let report = TLSReport.read(web.home)
            let now = Date()
            return try web.render("tls-connections", Page(
                frame: web.frame(session, title: "TLS Connections"),
                sections: [Self.section(.incoming, "Incoming TLS Connections", report, now: now),
                           Self.section(.outgoing, "Outgoing TLS Connections", report, now: now)]))
        }
    }

    static func section(_ direction: TLSReport.Direction, _ title: String, _ report: TLSReport, now: Date) -> Section {
        let day = report.lastDay(now: now), week = report.lastWeek(now: now)
        let total = TLSReport.sum(day)
        let keys = TLSReport.shownLevels.flatMap { level in
            [TLSReport.Key(direction, level, .succeeded), TLSReport.Key(direction, level, .failed)]
        }
        let columns = keys.map { Section.Column(title: "\($0.level.label) \($0.outcome.rawValue)") }
            + [Section.Column(title: "Unencrypted")]
        func row(_ hour: TLSReport.Hour, _ format: String) -> Section.Row {
            let cells = keys.map { hour[$0] } + [hour.total(direction, .unencrypted)]
            return Section.Row(label: LocalTime.format(hour.start, format, utc: true), cells: cells.map(Section.Cell.init))
        }
        func chart(_ hours: [TLSReport.Hour], _ format: String, _ id: String) -> String {
            BarChart.svg(hours.map { hour in
                (LocalTime.format(hour.start, format, utc: true), hour.total(direction, .succeeded), hour.total(direction, .failed))
            }, id: id)
        }
        let id = direction.rawValue
        let levels = TLSReport.shownLevels.map { level in
            Section.Level(key: "\(id)-\(level.rawValue)", label: level.label,
                          succeeded: total[TLSReport.Key(direction, level, .succeeded)],
                          failed: total[TLSReport.Key(direction, level, .failed)])
        }
        return Section(
            id: id, title: title, daySucceeded: total.total(direction, .succeeded),
            dayFailed: total.total(direction, .failed), dayUnencrypted: total.total(direction, .unencrypted),
            levels: levels, columns: columns,
            dayChart: chart(day, "%H:00", "tls-\(id)-day-chart"), dayRows: day.map { row($0, "%H:00") },
            weekChart: chart(week, "%a %d %b", "tls-\(id)-week-chart"), weekRows: week.map { row($0, "%a %d %b") })
    }
}

/// A stacked bar chart (succeeded below, failed on top) as SVG text. Every value drawn is a
/// number or a label this program made, so nothing from outside reaches the markup.
enum BarChart {
    static func svg(_ bars: [(label: String, succeeded: Int, failed: Int)], id: String) -> String {
        let width = 760.0, height = 220.0, left = 50.0, bottom = 40.0, top = 10.0
        let plot = height - bottom - top
        let peak = max(1, bars.map { TLSReport.adding($0.succeeded, $0.failed) }.max() ?? 1)
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
