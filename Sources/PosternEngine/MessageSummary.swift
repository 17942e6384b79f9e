import NIOCore

/// What the mail log and the header-line limit need from a message's header section.
struct MessageSummary: Equatable {
    var headerLines = 0
    /// `Received:` headers: each hop adds one, so many of them is a loop.
    var receivedHeaders = 0
    var messageID: String?
    var subject: String?

    /// Reads the header section (up to the first empty line) of `message`.
    init(_ message: ByteBuffer) {
        let view = message.readableBytesView
        var current: (name: String, value: String)?
        var start = view.startIndex
        func finish(_ header: (name: String, value: String)?, into summary: inout MessageSummary) {
            guard let header else { return }
            let value = header.value.trimmingCharacters(in: " \t")
            switch header.name.lowercased() {
            case "message-id" where summary.messageID == nil: summary.messageID = String(value.prefix(256))
            case "subject" where summary.subject == nil: summary.subject = String(value.prefix(256))
            case "received": summary.receivedHeaders += 1
            default: break
            }
        }
        while start < view.endIndex {
            let end = view[start...].firstIndex(of: UInt8(ascii: "\n")) ?? view.endIndex
            var lineEnd = end
            if lineEnd > start && view[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
            let line = view[start..<lineEnd]
            if line.isEmpty { break }  // end of the header section
            headerLines += 1
            let text = String(decoding: line, as: UTF8.self)
            if let first = line.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
                current?.value += " " + text.trimmingCharacters(in: " \t")
            } else {
                finish(current, into: &self)
                if let colon = text.firstIndex(of: ":") {
                    current = (String(text[..<colon]), String(text[text.index(after: colon)...]))
                } else {
                    current = nil
                }
            }
            start = end < view.endIndex ? end + 1 : end
        }
        finish(current, into: &self)
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let c = s.first, set.contains(c) { s = s.dropFirst() }
        while let c = s.last, set.contains(c) { s = s.dropLast() }
        return String(s)
    }
}
