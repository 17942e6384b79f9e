import Foundation
import PosternConfig
import PosternRuntime
import PosternStore
import PosternTLS

/// `tlsverify` (asyncos-cli.md §5.4): connects to a receiving MTA, starts TLS with the
/// OUTBOUND settings, and reports the protocol, cipher and certificate verification. Makes
/// no configuration change.
struct TLSVerifyCommand: CLICommand {
    let name = "tlsverify"
    let summary = "Test and verify a TLS connection to a remote MTA."
    let stagesChanges = false
    let usage = "tlsverify\ntlsverify <domain> [<host[:port]>]"

    func run(_ context: CommandContext) throws(DialogAbort) -> CommandStatus {
        let dialog = context.dialog
        let domain = try dialog.text("Enter the TLS domain to verify against:", key: "domain", required: true) {
            Hostname.isValid($0) ? nil : DialogError("A hostname must be like example.com.")
        }
        let target = try dialog.ask("Enter the destination host to connect to. Append the port (example.com:26) if you "
                                    + "are not connecting on port 25:", default: domain, key: "host") { answer in
            switch RouteDestination.parse(answer) {
            case .success(.host(let name, let port, _)): return .success((name, port))
            case .success: return .failure(DialogError("Enter a host, with an optional port."))
            case .failure(let e): return .failure(DialogError(e.message))
            }
        }
        let tls: TLSContext
        do {
            tls = try CompiledConfiguration(context.configuration, home: context.home).outboundTLS
        } catch {
            dialog.error("The configuration cannot be used: \(error.problems.first?.description ?? "\(error)")")
            return .failed
        }
        do {
            // A session that connects but cannot verify the certificate is a failure: a
            // script's exit status must not say the peer was verified when it was not.
            let verified = try probe(domain: domain, host: target.0, port: target.1, tls: tls,
                                     helo: context.configuration.hostname, say: dialog.say)
            return verified ? .ok : .failed
        } catch {
            dialog.say(error.message)
            dialog.say("TLS verification completed.")
            return .failed
        }
    }

    struct Failure: Error { let message: String }

    /// Connects, STARTTLS, handshakes; whether the certificate was verified and names the host.
    private func probe(domain: String, host: String, port: Int, tls: TLSContext, helo: String,
                       say: (String) -> Void) throws(Failure) -> Bool {
        let socket = try BlockingSocket.connect(host: host, port: port, say: say)
        defer { socket.close() }
        say("Checking TLS connection.")
        var reply = try socket.readReply()
        guard reply.hasPrefix("220") else { throw Failure(message: "The server greeted with: \(reply)") }
        try socket.write("EHLO \(helo)\r\n")
        reply = try socket.readReply()
        guard reply.uppercased().contains("STARTTLS") else {
            throw Failure(message: "TLS is not supported by \(host): STARTTLS was not offered.")
        }
        try socket.write("STARTTLS\r\n")
        reply = try socket.readReply()
        guard reply.hasPrefix("220") else { throw Failure(message: "STARTTLS was answered: \(reply)") }
        // SNI is the host name connected to, never an IP literal (as delivery sends it).
        let connection = try socket.startTLS(context: tls, serverName: ServerNameIndication.name(forHost: host))
        say("TLS connection established: protocol \(connection.protocolVersion), cipher \(connection.cipherName).")
        say("Verifying peer certificate.")
        let names = Array(Set([domain, host])).sorted()
        var verified = false
        if let certificate = connection.peerCertificate {
            say("Verifying certificate common name \(certificate.commonName ?? "(none)").")
            if let match = names.first(where: certificate.matchesHost) {
                say("TLS certificate match \(match)")
            } else {
                say("TLS certificate does not match \(names.joined(separator: " or ")).")
            }
            say(connection.peerVerified ? "TLS certificate verified."
                : "TLS certificate verification failed: \(connection.peerVerificationText).")
            verified = connection.peerVerified && names.contains(where: certificate.matchesHost)
        } else {
            say("The server presented no certificate.")
        }
        try? Array("QUIT\r\n".utf8).withUnsafeBytes { try connection.write($0) }
        try? socket.write(bytes: connection.takeOutput())
        say("TLS connection to \(socket.remote) succeeded.")
        say("TLS successfully connected to \(host).")
        say("TLS verification completed.")
        return verified
    }
}

/// A plain blocking TCP socket with a timeout on every read, for tlsverify and
/// smtpauthconfig TEST; after `startTLS` its lines go over TLS.
final class BlockingSocket {
    private let fd: Int32
    let remote: String
    private var pending = [UInt8]()
    private var tls: TLSConnection?

    private init(fd: Int32, remote: String) {
        self.fd = fd
        self.remote = remote
    }

    static func connect(host: String, port: Int, say: (String) -> Void) throws(TLSVerifyCommand.Failure) -> BlockingSocket {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let first = result else {
            throw .init(message: "The host \(host) cannot be resolved.")
        }
        defer { freeaddrinfo(result) }
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            cursor = info.pointee.ai_next
            let address = numeric(info.pointee.ai_addr, info.pointee.ai_addrlen)
            say("Connecting to \(address) on port \(port).")
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            guard fd >= 0 else { continue }
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 {
                var local = sockaddr_storage()
                var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
                let localText = withUnsafeMutablePointer(to: &local) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p -> String in
                        getsockname(fd, p, &length)
                        return numeric(p, length)
                    }
                }
                say("Connected to \(address) from interface \(localText).")
                return BlockingSocket(fd: fd, remote: address)
            }
            say("Connection to \(address) failed: \(String(cString: strerror(errno))).")
            Glibc.close(fd)
        }
        throw .init(message: "TLS verification failed: no address of \(host) answered.")
    }

    private static func numeric(_ address: UnsafePointer<sockaddr>?, _ length: socklen_t) -> String {
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        guard let address, getnameinfo(address, length, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 else {
            return "?"
        }
        return host.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    func write(_ text: String) throws(TLSVerifyCommand.Failure) {
        guard let tls else { return try write(bytes: Array(text.utf8)) }
        let failure: TLSError? = Array(text.utf8).withUnsafeBytes { plaintext in
            do throws(TLSError) { try tls.write(plaintext) } catch { return error }
            return nil
        }
        if let failure { throw .init(message: "TLS failed: \(failure.reason)") }
        try write(bytes: tls.takeOutput())
    }

    func write(bytes: [UInt8]) throws(TLSVerifyCommand.Failure) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            guard n > 0 else { throw .init(message: "The connection to \(remote) was lost while writing.") }
            offset += n
        }
    }

    /// Whatever bytes arrive next (at least one).
    func read() throws(TLSVerifyCommand.Failure) -> [UInt8] {
        if !pending.isEmpty {
            defer { pending = [] }
            return pending
        }
        var buffer = [UInt8](repeating: 0, count: 16_384)
        let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { throw .init(message: "The connection to \(remote) was lost or timed out.") }
        return Array(buffer.prefix(n))
    }

    /// One whole SMTP reply (all its lines), as text.
    func readReply() throws(TLSVerifyCommand.Failure) -> String {
        var text = ""
        while true {
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<newline], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                pending.removeFirst(newline + 1)
                text += (text.isEmpty ? "" : "\n") + line
                if line.count < 4 || line[line.index(line.startIndex, offsetBy: 3)] == " " { return text }
            }
            try fill()
        }
    }

    /// Adds at least one byte of the server's text to `pending`, decrypting it under TLS.
    private func fill() throws(TLSVerifyCommand.Failure) {
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while let tls {
            let read: Result<TLSConnection.ReadResult, TLSError> = buffer.withUnsafeMutableBytes { out in
                do throws(TLSError) { return .success(try tls.read(into: out)) } catch { return .failure(error) }
            }
            let result: TLSConnection.ReadResult
            switch read {
            case .success(let r): result = r
            case .failure(let error): throw .init(message: "TLS failed: \(error.reason)")
            }
            switch result {
            case .bytes(let n):
                pending += buffer.prefix(n)
                return
            case .closed:
                throw .init(message: "The connection to \(remote) was closed.")
            case .wantsMoreData:
                let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                guard n > 0 else { throw .init(message: "The connection to \(remote) was lost or timed out.") }
                buffer.withUnsafeBytes { tls.feed(UnsafeRawBufferPointer(rebasing: $0.prefix(n))) }
            }
        }
        let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { throw .init(message: "The connection to \(remote) was lost or timed out.") }
        pending += buffer.prefix(n)
    }

    func close() { Glibc.close(fd) }

    /// The TLS handshake (after the server's 220 to STARTTLS) as a client.
    func startTLS(context: TLSContext, serverName: String?) throws(TLSVerifyCommand.Failure) -> TLSConnection {
        let connection: TLSConnection
        do { connection = try TLSConnection(context: context, verification: .none, serverName: serverName) } catch {
            throw .init(message: "TLS failed: \(error.reason)")
        }
        do {
            while try connection.handshake() == .wantsMoreData {
                try write(bytes: connection.takeOutput())
                let input = try read()
                input.withUnsafeBytes { connection.feed($0) }
            }
            try write(bytes: connection.takeOutput())
            tls = connection
        } catch let error as TLSError {
            throw .init(message: "TLS failed: \(error.reasons.joined(separator: "; ")).")
        } catch let error as TLSVerifyCommand.Failure {
            throw error
        } catch {
            throw .init(message: "TLS failed: \(error).")
        }
        return connection
    }
}
