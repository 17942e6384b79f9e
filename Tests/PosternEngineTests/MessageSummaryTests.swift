import NIOCore
import Testing
@testable import PosternEngine

@Suite struct MessageSummaryTests {
    @Test func headerSummaryUnfoldsAndStopsAtTheBody() {
        let message = ByteBuffer(string: "Subject: a long\r\n\tsubject\r\nMessage-ID:  <x@y>\r\nX-A: 1\r\n\r\nSubject: body\r\n")
        let summary = MessageSummary(message)
        #expect(summary.headerLines == 4)
        #expect(summary.messageID == "<x@y>")
        #expect(summary.subject == "a long subject")
    }
}
