import Foundation
import Testing
@testable import PosternConfig

@Suite struct AdminAccessTests {
    @Test func aFileWithoutTheSettingReadsAsAsyncOSsThirtyMinutes() throws {
        let data = try CanonicalJSON.encode(FactoryDefaults.configuration)
        #expect(!String(decoding: data, as: UTF8.self).contains("adminAccess"))
        let decoded = try CanonicalJSON.decode(Configuration.self, from: data)
        #expect(decoded.adminAccessSettings == AdminAccessSettings(webTimeoutMinutes: 30, cliTimeoutMinutes: 30))
    }

    @Test func timeoutsOutsideFiveMinutesToADayAreNamed() {
        var configuration = FactoryDefaults.configuration
        configuration.adminAccessSettings = AdminAccessSettings(webTimeoutMinutes: 4, cliTimeoutMinutes: 1441)
        let paths = configuration.validate().map(\.path)
        #expect(paths.contains("adminAccess.webTimeoutMinutes"))
        #expect(paths.contains("adminAccess.cliTimeoutMinutes"))
        configuration.adminAccessSettings = AdminAccessSettings(webTimeoutMinutes: 5, cliTimeoutMinutes: 1440)
        #expect(configuration.validate() == [])
    }

    @Test func aSenderGroupCommentIsOneLineOfBoundedLength() {
        #expect(SenderGroup.commentProblem("partners in the EU — 2026") == nil)
        #expect(SenderGroup.commentProblem("one\nforged line") != nil)
        #expect(SenderGroup.commentProblem("\u{1B}[2J") != nil)
        #expect(SenderGroup.commentProblem(String(repeating: "x", count: 1025)) != nil)
    }
}
