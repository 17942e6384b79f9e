import NIOCore
import Testing
@testable import PosternSMTPCore

/// Issue 12 §4: SMTP syntax as strict as Postfix.
@Suite struct StrictSyntaxTests {
    @Test(arguments: [
        ("EHLO mail.example.com", true), ("HELO mail.example.com", true), ("EHLO [192.0.2.1]", true),
        ("EHLO [IPv6:2001:db8::1]", true), ("EHLO [ipv6:::1]", true), ("EHLO bücher.example", true),
        ("EHLO evil.example\rX-Injected:\tyes", false), ("EHLO a\u{0}b", false), ("EHLO a\u{1b}[31m", false),
        ("EHLO [999.1.1.1]", false), ("EHLO [foo]", false), ("EHLO [IPv6:1.2.3.4]", false), ("EHLO [1.2.3]", false),
        ("EHLO -bad-.example", false), ("EHLO a..b", false), ("HELO <mail.example.com>", false),
    ])
    func helloArgument(line: String, valid: Bool) {
        let parsed = SMTPCommandParser.parse(line)
        if valid {
            #expect((try? parsed.get()) != nil, "\(line.debugDescription) refused")
        } else {
            #expect(parsed == .failure(.syntax(Replies.badHelloName)), "\(line.debugDescription) accepted")
        }
    }

    @Test(arguments: [
        ("<a@[192.0.2.1]>", true), ("<a@[IPv6:2001:db8::1]>", true), ("<a@[300.1.1.1]>", false),
        ("<a@[tag:content]>", false), ("<a@[]>", false), ("<a@[192.0.2.1>", false),
        ("<\"a b\"@example.com>", true), ("<\"a\u{1}b\"@example.com>", false), ("<\"a\tb\"@example.com>", false),
    ])
    func addressLiterals(text: String, valid: Bool) {
        let parsed = MailPath.parse(Substring(text), allowNull: false)
        if case .success = parsed { #expect(valid, "\(text.debugDescription) accepted") } else {
            #expect(!valid, "\(text.debugDescription) refused")
        }
    }

    @Test(arguments: ["<postmaster>", "<Postmaster>", "<POSTMASTER>"])
    func postmasterWithoutADomainIsAccepted(path: String) {
        var d = Driver()
        d.send("EHLO c.example")
        d.send("MAIL FROM:<a@b.example>")
        // The factory RAT does not list mx.test: the RAT is not asked (RFC 5321 §4.5.1).
        #expect(d.send("RCPT TO:\(path)") == [250])
        #expect(d.logs.last == "MID 101 ICID 7 RID 0 To: <postmaster@mx.test>")
        #expect(d.send("RCPT TO:<someone>") == [501])
    }

    static func framed(_ pieces: [String]) -> SMTPInputFramer {
        var framer = SMTPInputFramer()
        framer.beginData()
        for piece in pieces {
            var bytes = ByteBuffer(string: piece)
            framer.append(&bytes)
            while let event = framer.next(), event != .endOfData {}
        }
        return framer
    }

    @Test(arguments: [
        (["line\r\n", ".\r\n"], false), (["a\r", "\nb\r\n.\r\n"], false), (["a\r\n\r\n", "..\r\n.\r\n"], false),
        (["a\nb\r\n.\r\n"], true), (["a\rb\r\n.\r\n"], true), (["a\r", "b\r\n.\r\n"], true), (["\n.\r\n"], true),
        (["a\r\r\n.\r\n"], true), (["a\n.\n", "\r\n.\r\n"], true),
    ])
    func bareCRAndLFAreNoticed(pieces: [String], bare: Bool) {
        #expect(StrictSyntaxTests.framed(pieces).sawBareLineEnding == bare, "\(pieces)")
    }

    @Test func aMessageWithABareLineEndingIsRefused() {
        var d = Driver()
        d.send("HELO x")
        d.send("MAIL FROM:<a@b.example>")
        d.send("RCPT TO:<a@example.com>")
        d.send("DATA")
        d.apply(d.session.dataComplete(size: 10, oversize: false, bareLineEnding: true, headerLines: 1, messageID: nil,
                                       subject: nil))
        #expect(d.last == Replies.bareLineEnding)
        #expect(d.stored == nil)
        #expect(d.logs.last == "ICID 7 Receiving Failed: bare <CR> or <LF> received")
        #expect(d.send("NOOP") == [250])
    }

    @Test(arguments: [(50, true), (51, false)])
    func receivedHeadersPastTheLimitAreALoop(count: Int, accepted: Bool) {
        var d = Driver()
        d.send("HELO x")
        d.send("MAIL FROM:<a@b.example>")
        d.send("RCPT TO:<a@example.com>")
        d.send("DATA")
        d.apply(d.session.dataComplete(size: 10, oversize: false, headerLines: count, receivedHeaders: count,
                                       messageID: nil, subject: nil))
        if accepted {
            #expect(d.stored != nil)
        } else {
            #expect(d.last == SMTPReply(554, "5.4.6 Too many hops"))
            #expect(d.stored == nil)
        }
    }
}
