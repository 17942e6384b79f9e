import Foundation

/// A FORWARD profile's check (asyncos-cli.md "smtpauthconfig"): the delivery client's
/// conversation, with `AUTH PLAIN` (RFC 4616) after EHLO, and after STARTTLS when TLS is
/// required, before any job. The answer is the upstream server's: 235 accepted, 5xx
/// rejected, anything else (4xx, no AUTH offered, no TLS) unavailable.
extension SMTPClientSession {
    mutating func authOrStartJob() -> [Action] {
        guard let auth, !authDone else { return startJob() }
        authDone = true
        guard serverAuthMechanisms.contains("PLAIN") else {
            return [.authFinished(.unavailable(reason: "the forwarding server does not offer AUTH PLAIN"))] + quit()
        }
        state = .authenticating
        let token = Data(("\u{0}" + auth.user + "\u{0}" + auth.password).utf8).base64EncodedString()
        return [.send("AUTH PLAIN " + token)]
    }

    mutating func authReply(_ reply: SMTPReply) -> [Action] {
        let outcome: SMTPSession.AuthOutcome
        switch reply.code {
        case 235: outcome = .accepted
        case 500...599: outcome = .rejected
        default: outcome = .unavailable(reason: "the forwarding server answered \(reply.text)")
        }
        return [.authFinished(outcome)] + startJob()
    }
}
