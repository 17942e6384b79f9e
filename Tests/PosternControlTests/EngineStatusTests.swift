import Foundation
import PosternControl
import PosternStore
import PosternTestSupport
import Testing

/// status.json between the engine that writes it and the CLI that reads it.
@Suite struct EngineStatusTests {
    /// Every counter the engine writes reads back: a counter missing from the decoder reads as
    /// 0 and `status` silently shows nothing (what happened to the AUTH and descriptor counts).
    @Test func everyCounterSurvivesTheFile() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        var status = EngineStatus(pid: 1, startedAt: Date(timeIntervalSince1970: 0), generation: 1)
        var counters = EngineStatus.Counters()
        let mirror = Mirror(reflecting: counters)
        #expect(mirror.children.count == 14, "a new counter: give it a value below and to init(from:)")
        counters.connectionsAccepted = 1
        counters.connectionsRefused = 2
        counters.connectionsOpen = 3
        counters.tlsSessions = 4
        counters.tlsFailures = 5
        counters.tlsErrors = 6
        counters.tlsUncleanCloses = 7
        counters.messagesAccepted = 8
        counters.recipientsAccepted = 9
        counters.recipientsRejected = 10
        counters.connectionsRefusedForDescriptors = 11
        counters.authSuccesses = 12
        counters.authFailures = 13
        counters.tlsByLevel = ["incoming preferred succeeded": 14, "outgoing required failed": 15]
        status.counters = counters
        try FileManager.default.createDirectory(at: t.home.runDirectory, withIntermediateDirectories: true)
        try status.write(to: t.home)
        let read = try #require(EngineStatus.read(t.home))
        #expect(read.counters == counters)
    }

    /// A file from an engine that knew fewer counters still reads, the missing ones as 0.
    @Test func anOlderFileReadsWithZeros() throws {
        let json = #"{"connectionsAccepted": 5, "connectionsOpen": 1}"#
        let counters = try JSONDecoder().decode(EngineStatus.Counters.self, from: Data(json.utf8))
        #expect(counters.connectionsAccepted == 5)
        #expect(counters.authSuccesses == 0 && counters.connectionsRefusedForDescriptors == 0)
    }
}
