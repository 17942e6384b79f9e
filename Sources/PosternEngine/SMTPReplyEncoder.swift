import NIOCore
import PosternSMTPCore

/// Writes replies in their wire form (`250-…` continuation lines, CRLF).
struct SMTPReplyEncoder: MessageToByteEncoder {
    typealias OutboundIn = SMTPReply

    func encode(data: SMTPReply, out: inout ByteBuffer) {
        out.writeString(data.wire)
    }
}
