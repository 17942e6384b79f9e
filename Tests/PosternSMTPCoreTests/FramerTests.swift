import NIOCore
import Testing
@testable import PosternSMTPCore

/// Feeds `input` in the given pieces and collects every event, data chunks joined.
func frame(_ pieces: [String], dataAfter: Set<String> = ["DATA"]) -> [String] {
    var framer = SMTPInputFramer(lineLimit: 64)
    var events: [String] = []
    var data = ""
    for piece in pieces {
        var buffer = ByteBuffer(string: piece)
        framer.append(&buffer)
        while let event = framer.next() {
            switch event {
            case .line(let line):
                events.append("line:\(line)")
                if dataAfter.contains(line) { framer.beginData() }
            case .lineTooLong:
                events.append("too-long")
            case .data(var chunk):
                data += chunk.readString(length: chunk.readableBytes)!
            case .endOfData:
                events.append("data:\(data)")
                data = ""
            }
        }
    }
    return events
}

/// Every split of the input must give the same events (NIO's ByteToMessageDecoderVerifier idea).
func splits(_ input: String) -> [[String]] {
    let bytes = Array(input)
    var result: [[String]] = [[input], bytes.map(String.init)]
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<20 {
        var pieces: [String] = []
        var i = 0
        while i < bytes.count {
            let n = Int.random(in: 1...7, using: &generator)
            pieces.append(String(bytes[i..<min(bytes.count, i + n)]))
            i += n
        }
        result.append(pieces)
    }
    return result
}

@Suite struct FramerTests {
    @Test func commandsAndAMessageWhateverTheSplit() {
        let input = "EHLO a\r\nMAIL FROM:<x@y>\r\nDATA\r\nSubject: t\r\n\r\n..dotted\r\nbody\r\n.\r\nQUIT\r\n"
        for pieces in splits(input) {
            #expect(frame(pieces) == ["line:EHLO a", "line:MAIL FROM:<x@y>", "line:DATA",
                                      "data:Subject: t\r\n\r\n.dotted\r\nbody\r\n", "line:QUIT"])
        }
    }

    @Test func bareLFEndsACommandButNeverTheMessage() {
        for pieces in splits("NOOP\nDATA\r\nx\n.\nstill\r\n.\r\n") {
            #expect(frame(pieces) == ["line:NOOP", "line:DATA", "data:x\n.\nstill\r\n"])
        }
    }

    @Test func smugglingSequencesDoNotEndTheMessage() {
        // `\n.\r\n` and `\r.\r\n` are not CRLF.CRLF (the SMTP smuggling class).
        for pieces in splits("DATA\r\na\n.\r\nMAIL FROM:<evil@x>\r\nb\r.\r\nc\r\n.\r\n") {
            #expect(frame(pieces) == ["line:DATA", "data:a\n.\r\nMAIL FROM:<evil@x>\r\nb\r.\r\nc\r\n"])
        }
    }

    @Test func anEmptyMessage() {
        #expect(frame(["DATA\r\n.\r\n"]) == ["line:DATA", "data:"])
    }

    @Test func overlongLinesAreReportedOnceAndSkipped() {
        let long = String(repeating: "x", count: 200)
        for pieces in splits("NOOP\r\n\(long)\r\nQUIT\r\n") {
            #expect(frame(pieces) == ["line:NOOP", "too-long", "line:QUIT"])
        }
    }

    @Test func discardDropsEverythingBuffered() {
        var framer = SMTPInputFramer()
        var buffer = ByteBuffer(string: "STARTTLS\r\nMAIL FROM:<evil@x>\r\nRSET\r\nNOO")
        framer.append(&buffer)
        #expect(framer.next() == .line("STARTTLS"))
        #expect(framer.discardBuffered() == 29)
        #expect(framer.next() == nil)
    }
}

@Suite struct CommandParserTests {
    @Test(arguments: [
        ("ehlo client.example", SMTPCommand.ehlo("client.example")),
        ("HELO x", .helo("x")),
        ("RCPT TO:<joe@example.com>", .rcpt(try! MailPath.parse("<joe@example.com>", allowNull: false).get())),
        ("rcpt to: <@relay.example:joe@example.com>", .rcpt(try! MailPath.parse("<joe@example.com>", allowNull: false).get())),
        ("DATA", .data), ("rset", .rset), ("NOOP anything", .noop), ("QUIT", .quit), ("STARTTLS", .starttls),
        ("HELP mail", .help), ("VRFY joe", .vrfy("joe")),
    ])
    func parses(line: String, command: SMTPCommand) throws {
        #expect(try SMTPCommandParser.parse(line).get() == command)
    }

    @Test func mailParameters() throws {
        guard case .mail(let path, let parameters) = try SMTPCommandParser.parse("MAIL FROM:<> SIZE=1000 BODY=8BITMIME").get()
        else { Issue.record("not MAIL"); return }
        #expect(path.isNull)
        #expect(parameters.declaredSize == 1000)
        #expect(parameters.body8Bit)
    }

    @Test func errors() throws {
        #expect(SMTPCommandParser.parse("FROB x") == .failure(.unrecognized))
        #expect(SMTPCommandParser.parse("") == .failure(.unrecognized))
        #expect(SMTPCommandParser.parse("MAIL FROM:joe@example.com") == .failure(.syntax(
            Replies.badSender("the address must be in angle brackets"))))
        #expect(SMTPCommandParser.parse("MAIL FROM:<a@b> XFOO=1") == .failure(.syntax(Replies.unsupportedParameter)))
        #expect(SMTPCommandParser.parse("RCPT TO:<>") == .failure(.syntax(Replies.badRecipient("the address is empty"))))
        #expect(SMTPCommandParser.parse("STARTTLS now") != .success(.starttls))
        // Verbs are matched whole, in any case, and a NUL never vanishes from one.
        #expect(SMTPCommandParser.parse("\u{0}HELO x") == .failure(.unrecognized))
        #expect(SMTPCommandParser.parse("\u{0}\u{0}\u{0}\u{0}QUIT") == .failure(.unrecognized))
        #expect(SMTPCommandParser.parse("STARTTLSX") == .failure(.unrecognized))
        #expect(SMTPCommandParser.parse("STARTTL") == .failure(.unrecognized))
        #expect(SMTPCommandParser.parse("StartTls") == .success(.starttls))
        #expect(SMTPCommandParser.parse("QUITQUIT") == .failure(.unrecognized))
    }

    @Test(arguments: [
        ("mx.example", true), ("a", true), ("a-b.c_d.example", true), ("xn--bcher-kva.example", true),
        ("b\u{FC}cher.example", true), (String(repeating: "a", count: 63) + ".example", true),
        (String(repeating: "a", count: 64) + ".example", false), ("-mx.example", false), ("mx-.example", false),
        ("mx.-example", false), ("mx.example-", false), ("mx..example", false), (".mx.example", false),
        ("mx.example.", false), ("", false), (".", false), ("mx.exa mple", false), ("mx.exa\u{0}mple", false),
        ("[192.0.2.1]", true), ("[192.0.2]", false),
    ])
    func domainSyntax(name: String, valid: Bool) {
        #expect(MailPath.isDomain(Substring(name)) == valid, "\(name)")
    }

    @Test func casesSpacesAndParametersInAnySpelling() throws {
        guard case .mail(let path, let parameters) = try SMTPCommandParser.parse("  mail from: <Joe@Example.COM> size=42 body=8bitmime  ").get()
        else { Issue.record("not MAIL"); return }
        #expect(path.address == "Joe@Example.COM")
        #expect(parameters.declaredSize == 42 && parameters.body8Bit)
        #expect(SMTPCommandParser.parse("MAIL FROM:<a@b> SIZE=-1") == .failure(.syntax(Replies.syntax)))
        #expect(SMTPCommandParser.parse("MAIL FROM:<a@b> BODY=BINARYMIME") == .failure(.syntax(Replies.unsupportedParameter)))
        #expect(SMTPCommandParser.parse("MAILX FROM:<a@b>") == .failure(.unrecognized))
        #expect(SMTPCommandParser.parse("HELO two words") == .failure(.syntax(Replies.syntax)))
        #expect(try SMTPCommandParser.parse("EHLO [192.0.2.1] extra").get() == .ehlo("[192.0.2.1]"))
        #expect(SMTPCommandParser.parse("RCPT TO:<a@b> NOTIFY=NEVER") == .failure(.syntax(Replies.unsupportedParameter)))
    }

    @Test(arguments: [
        ("<a.b+tag@example.com>", true), ("<\"odd local\"@example.com>", true), ("<jörg@example.com>", true),
        ("<a..b@example.com>", false), ("<.a@example.com>", false), ("<a@-example.com>", false),
        ("<a@exa mple.com>", false), ("<a@example..com>", false), ("<a@[192.0.2.1]>", true), ("<a(b)@example.com>", false),
        ("<a@bücher.example>", true), ("<a@under_score.example>", true),
    ])
    func addressSyntax(text: String, valid: Bool) {
        let parsed = MailPath.parse(Substring(text), allowNull: false)
        if case .success = parsed { #expect(valid, "\(text) accepted") } else { #expect(!valid, "\(text) refused") }
    }

    @Test func defaultDomainCompletesABareLocalPart() throws {
        guard case .rcpt(let path) = try SMTPCommandParser.parse("RCPT TO:<postmaster>", defaultDomain: "example.com").get()
        else { Issue.record("not RCPT"); return }
        #expect(path.address == "postmaster@example.com")
    }

    @Test func repliesOnTheWire() {
        #expect(SMTPReply(250, ["a", "b", "c"]).wire == "250-a\r\n250-b\r\n250 c\r\n")
        #expect(Replies.help.wire == "214-The following commands are recognized\r\n214- auth data ehlo helo\r\n"
            + "214- help mail noop quit\r\n214 rcpt rset vrfy\r\n")
        // An empty last line is the bare code; an empty line before it keeps its hyphen.
        #expect(SMTPReply(250, ["a", ""]).wire == "250-a\r\n250\r\n")
        #expect(SMTPReply(421, ["", "b"]).wire == "421-\r\n421 b\r\n")
        #expect(SMTPReply(250, []).wire == "250\r\n")
    }

    @Test func aReplyTextSplitsAtNewlinesOnly() {
        #expect(SMTPReply(554, "one line").lines == ["one line"])
        #expect(SMTPReply(554, "first\nsecond\n").lines == ["first", "second", ""])
        // Bytes, not Characters: a CR LF pair is not one newline, and é stays whole.
        #expect(SMTPReply(220, "caf\u{E9} ok\r\nnext").lines == ["caf\u{E9} ok\r", "next"])
    }

    @Test func theWireFormFitsTheLengthReserved() {
        for reply in [Replies.help, Replies.greeting("mx.example"), SMTPReply(250, ["a", ""]), SMTPReply(250, [])] {
            var buffer = ByteBuffer()
            buffer.writeSMTPReply(reply)
            #expect(buffer.readableBytes <= reply.wireLength)
            #expect(String(buffer: buffer) == reply.wire)
        }
    }
}
