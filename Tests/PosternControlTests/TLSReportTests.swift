import Foundation
import PosternConfig
import PosternControl
import PosternStore
import PosternTestSupport
import Testing

@Suite struct TLSReportTests {
    /// Noon UTC of a day (1_789_948_800 is a multiple of 86400).
    let noon = Date(timeIntervalSince1970: 1_789_948_800 + 12 * 3600)

    @Test func countsGoToTheirHourAndTheDayIsZeroFilled() {
        var report = TLSReport()
        report.add(succeeded: 3, failed: 1, at: noon.addingTimeInterval(60))
        report.add(succeeded: 2, failed: 0, at: noon.addingTimeInterval(3000))
        report.add(succeeded: 1, failed: 1, at: noon.addingTimeInterval(3600 + 5))
        report.add(succeeded: 0, failed: 0, at: noon.addingTimeInterval(7200))  // nothing new: no empty hour stored
        #expect(report.hours.count == 2)
        let day = report.lastDay(now: noon.addingTimeInterval(3600 + 10))
        #expect(day.count == 24)
        #expect(day.last?.succeeded == 1 && day.last?.failed == 1)
        #expect(day[22].succeeded == 5 && day[22].failed == 1)
        #expect(day.dropLast(2).allSatisfy { $0.succeeded == 0 && $0.failed == 0 })
    }

    @Test func theWeekSumsDaysAndOldHoursAreDropped() {
        var report = TLSReport()
        report.add(succeeded: 7, failed: 0, at: noon.addingTimeInterval(-9 * 86400))
        report.add(succeeded: 4, failed: 2, at: noon.addingTimeInterval(-86400))
        report.add(succeeded: 1, failed: 0, at: noon)
        #expect(report.hours.count == 2)  // nine days ago is past the eight kept
        let week = report.lastWeek(now: noon)
        #expect(week.count == 7)
        #expect(week[5].succeeded == 4 && week[5].failed == 2)
        #expect(week[6].succeeded == 1)
    }

    @Test func itReadsBackFromTheHome() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        #expect(TLSReport.read(t.home).hours.isEmpty)
        var report = TLSReport()
        report.add(succeeded: 2, failed: 1, at: noon)
        try report.write(t.home)
        #expect(TLSReport.read(t.home) == report)
    }

    /// A hand-edited or damaged file may hold any number: reading, adding and summing it must
    /// not trap (the engine, the web page and `status` all do), and an old file without levels
    /// shows the same incoming totals everywhere.
    @Test func hugeAndNegativeCountsAreSafeAndOldTotalsAreTheIncomingOnes() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let hour = Int(noon.timeIntervalSince1970 / 3600) * 3600
        let start = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(hour)))
        let text = """
            {"hours":[{"start":"\(start)","succeeded":9223372036854775807,"failed":-5,\
            "counts":{"incoming no unencrypted":9223372036854775807}}]}
            """
        try FileManager.default.createDirectory(at: TLSReport.file(t.home).deletingLastPathComponent(),
                                                withIntermediateDirectories: true)
        try Data(text.utf8).write(to: TLSReport.file(t.home))
        var report = TLSReport.read(t.home)
        #expect(report.hours.count == 1)
        report.add(["incoming no unencrypted": 7, "incoming preferred succeeded": 3], at: noon)
        let day = TLSReport.sum(report.lastDay(now: noon))
        #expect(day.total(.incoming, .succeeded) == Int.max)
        #expect(day.total(.incoming, .failed) == 0)
        #expect(day.total(.incoming, .unencrypted) == Int.max)

        var old = TLSReport()
        old.add(succeeded: 5, failed: 2, at: noon)
        let oldDay = TLSReport.sum(old.lastDay(now: noon))
        #expect(oldDay.total(.incoming, .succeeded) == 5 && oldDay.total(.incoming, .failed) == 2)
    }

    @Test func levelsAndDirectionsAreCountedApartAndSummed() {
        var report = TLSReport()
        let preferredOK = TLSReport.Key(.incoming, .preferred, .succeeded)
        let requiredFailed = TLSReport.Key(.incoming, .required, .failed)
        let outgoingOK = TLSReport.Key(.outgoing, .preferredVerify, .succeeded)
        report.add([preferredOK.name: 2, requiredFailed.name: 1, outgoingOK.name: 1,
                    TLSReport.Key(.incoming, .no, .unencrypted).name: 3], at: noon)
        report.add([preferredOK.name: 1, TLSReport.Key(.outgoing, .no, .unencrypted).name: 0], at: noon.addingTimeInterval(60))
        report.add([requiredFailed.name: 4], at: noon.addingTimeInterval(-86400))
        #expect(report.hours.count == 2)
        let hour = report.lastDay(now: noon).last!
        #expect(hour[preferredOK] == 3 && hour[requiredFailed] == 1 && hour[outgoingOK] == 1)
        // The hour's old totals are the incoming handshakes only.
        #expect(hour.succeeded == 3 && hour.failed == 1)
        #expect(hour.total(.outgoing, .succeeded) == 1 && hour.total(.incoming, .unencrypted) == 3)
        #expect(hour.counts[TLSReport.Key(.outgoing, .no, .unencrypted).name] == nil)  // zeros are not stored
        #expect(TLSReport.summary(hour, .incoming) == "Required 0 succeeded, 1 failed; Preferred 3 succeeded, 0 failed; 3 unencrypted")
        #expect(TLSReport.summary(hour, .outgoing) == "Preferred - Verify 1 succeeded, 0 failed; 0 unencrypted")
        let week = report.lastWeek(now: noon)
        #expect(week[5][requiredFailed] == 4 && week[5].failed == 4)
        #expect(week[6][requiredFailed] == 1 && week[6][preferredOK] == 3)
        #expect(TLSReport.sum(report.lastDay(now: noon))[preferredOK] == 3)
    }

    @Test func keysReadBackFromTheirNamesAndUnknownNamesAreKept() {
        let key = TLSReport.Key(.outgoing, .requiredVerify, .failed)
        #expect(key.name == "outgoing required-verify failed")
        #expect(TLSReport.Key(name: key.name) == key)
        #expect(TLSReport.Key(name: "sideways preferred succeeded") == nil)
        var report = TLSReport()
        report.add(["incoming preferred resumed": 2], at: noon)
        #expect(report.hours.first?.counts["incoming preferred resumed"] == 2)
        #expect(report.hours.first?.succeeded == 0)
    }

    @Test func aReportFromBeforeLevelsStillLoads() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let file = TLSReport.file(t.home)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        var old = TLSReport()
        old.add(succeeded: 5, failed: 2, at: noon)
        // The file as the previous version wrote it: hours with start, succeeded and failed only.
        var json = try JSONSerialization.jsonObject(with: JSONCoding.pretty.encode(old)) as! [String: Any]
        json["hours"] = (json["hours"] as! [[String: Any]]).map { $0.filter { $0.key != "counts" } }
        try JSONSerialization.data(withJSONObject: json).write(to: file)
        #expect(!String(decoding: try Data(contentsOf: file), as: UTF8.self).contains("counts"))
        var report = TLSReport.read(t.home)
        #expect(report.hours.count == 1 && report.hours[0].succeeded == 5 && report.hours[0].failed == 2)
        report.add([TLSReport.Key(.incoming, .required, .succeeded).name: 1], at: noon)
        #expect(report.hours[0].succeeded == 6 && report.hours[0][TLSReport.Key(.incoming, .required, .succeeded)] == 1)
    }
}
