import Foundation
import PosternConfig
import PosternStore
import PosternTLS

/// smtpauthconfig > TEST of a FORWARD profile: the engine's check, done step by step with
/// tlsverify's blocking client: connect, EHLO, STARTTLS (required by the profile, or when
/// offered), EHLO again, `AUTH PLAIN`, and the server's answer.
struct ForwardAuthProbe {
    let settings: ForwardAuthSettings
    let tls: TLSContext
    let helo: String
    let say: (String) -> Void

    enum Outcome: Equatable {
        case accepted
        case rejected(String)
        case unavailable(String)
    }

    func run(user: String, password: String) -> Outcome {
        do {
            let socket = try BlockingSocket.connect(host: settings.host, port: settings.port, say: say)
            defer { socket.close() }
            var reply = try socket.readReply()
            say("Greeting: \(reply)")
            guard reply.hasPrefix("220") else { return .unavailable("the server greeted with \(reply)") }
            try socket.write("EHLO \(helo)\r\n")
            reply = try socket.readReply()
            if reply.uppercased().contains("STARTTLS") {
                try socket.write("STARTTLS\r\n")
                reply = try socket.readReply()
                guard reply.hasPrefix("220") else { return .unavailable("STARTTLS was answered \(reply)") }
                let connection = try socket.startTLS(context: tls, serverName: settings.host)
                say("TLS connection established: protocol \(connection.protocolVersion), cipher \(connection.cipherName).")
                try socket.write("EHLO \(helo)\r\n")
                reply = try socket.readReply()
            } else if settings.requireTLS {
                return .unavailable("TLS is required but the server does not offer STARTTLS; no credentials were sent")
            } else {
                say("The server does not offer STARTTLS; continuing in the clear.")
            }
            let offers = reply.uppercased().split(separator: "\n").contains { line in
                let words = line.dropFirst(4).split(separator: " ")
                return words.first == "AUTH" && words.contains("PLAIN")
            }
            guard offers else { return .unavailable("the server does not offer AUTH PLAIN") }
            say("Sending AUTH PLAIN for \(user).")
            let token = Data(("\u{0}" + user + "\u{0}" + password).utf8).base64EncodedString()
            try socket.write("AUTH PLAIN \(token)\r\n")
            reply = try socket.readReply()
            say("The server answered: \(reply)")
            try? socket.write("QUIT\r\n")
            if reply.hasPrefix("235") { return .accepted }
            if reply.hasPrefix("5") { return .rejected("the server refused them") }
            return .unavailable("the server answered \(reply)")
        } catch {
            say("Failed: \(error.message)")
            return .unavailable(error.message)
        }
    }
}
