import Foundation
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
}
