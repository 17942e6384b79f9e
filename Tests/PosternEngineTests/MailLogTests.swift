import Foundation
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
}
