import NIOCore
import NIOEmbedded
import PosternSMTPCore
import Testing
@testable import PosternEngine

@Suite struct EncoderAndSummaryTests {
    @Test func repliesAreEncodedOnTheWire() throws {
        let channel = EmbeddedChannel(handler: MessageToByteHandler(SMTPReplyEncoder()))
        try channel.writeOutbound(SMTPReply(250, ["mx.test", "8BITMIME", "SIZE 1000"]))
        var out = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(out.readString(length: out.readableBytes) == "250-mx.test\r\n250-8BITMIME\r\n250 SIZE 1000\r\n")
    }

    @Test func headerSummaryUnfoldsAndStopsAtTheBody() {
        let message = ByteBuffer(string: "Subject: a long\r\n\tsubject\r\nMessage-ID:  <x@y>\r\nX-A: 1\r\n\r\nSubject: body\r\n")
        let summary = MessageSummary(message)
        #expect(summary.headerLines == 4)
        #expect(summary.messageID == "<x@y>")
        #expect(summary.subject == "a long subject")
    }
}
