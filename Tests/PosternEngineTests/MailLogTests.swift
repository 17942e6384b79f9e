import Foundation
import NIOCore
import NIOPosix
import Testing
@testable import PosternEngine

@Suite struct MailLogTests {
    /// An engine that cannot open its mail log says which file, not only "Permission denied".
    @Test func aLogThatCannotBeOpenedIsNamed() {
        let path = NSTemporaryDirectory() + "postern-no-such-dir-\(UUID())/mail.log"
        #expect {
            _ = try MailLog(path: path)
        } throws: { error in
            "\(error)" == "cannot open the mail log \(path): No such file or directory"
        }
    }

    /// Lines written together arrive whole, in order, each with the timestamp and level.
    @Test func linesWrittenTogetherStayWholeAndInOrder() throws {
        let path = NSTemporaryDirectory() + "postern-maillog-\(UUID()).log"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let log = try MailLog(path: path)
        log.write([.close(icid: 7), .close(icid: 8)], at: Date(timeIntervalSince1970: 0))
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0].hasSuffix("Info: ICID 7 close") && lines[1].hasSuffix("Info: ICID 8 close"))
        #expect(lines[0].prefix(24) == lines[1].prefix(24))
    }

    static func lines(_ path: String) -> [Substring] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n")
    }

    /// On a quiet event loop each line is in the file when `write` returns; a busy one holds
    /// its lines back and writes them together at the end of the window, in order.
    @Test func aBusyLoopWritesItsLinesTogether() throws {
        let path = NSTemporaryDirectory() + "postern-maillog-\(UUID()).log"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let log = try MailLog(path: path)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loop = group.next()
        let quiet = try loop.submit { () -> Int in
            log.write(.close(icid: 1))
            return MailLogTests.lines(path).count
        }.wait()
        #expect(quiet == 1)
        // A burst: the first lines of the window go at once, the rest wait for its end.
        let burst = 100
        let seenAtOnce = try loop.submit { () -> Int in
            for icid in 2...(burst + 1) { log.write(.close(icid: icid)) }
            return MailLogTests.lines(path).count
        }.wait()
        #expect(seenAtOnce < burst + 1)
        try loop.scheduleTask(in: MailLogBatcher.window * 3) {}.futureResult.wait()
        let lines = MailLogTests.lines(path)
        #expect(lines.count == burst + 1)
        #expect(lines.map { $0.split(separator: " ").dropLast().last.map(String.init) } == (1...(burst + 1)).map { "\($0)" })
    }

    /// Lines held back when the loops stop are written by `flush()`, as the engine calls it.
    @Test func heldLinesAreWrittenAtTheEnd() throws {
        let path = NSTemporaryDirectory() + "postern-maillog-\(UUID()).log"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let log = try MailLog(path: path)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        try group.next().submit { for icid in 1...50 { log.write(.close(icid: icid)) } }.wait()
        try group.syncShutdownGracefully()
        log.flush()
        #expect(MailLogTests.lines(path).count == 50)
    }
}
