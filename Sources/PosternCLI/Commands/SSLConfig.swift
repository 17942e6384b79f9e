import PosternConfig
import PosternTLS

/// `sslconfig` (asyncos-cli.md §4): methods and ciphers of GUI, INBOUND and OUTBOUND, and
/// VERIFY, which lists what a cipher string expands to, by the same OpenSSL calls the engine
/// makes for its listeners.
struct SSLConfigCommand: CLICommand {
    let name = "sslconfig"
    let summary = "Configure SSL/TLS methods and ciphers."
    let usage = """
        sslconfig
            Shows the settings; GUI, INBOUND, OUTBOUND edit them, VERIFY lists a cipher string's ciphers.
        sslconfig gui <methods> <cipher-string> [<tls1.3-suites>]
            What the web interface (posternweb) serves HTTPS with.
        sslconfig inbound <methods> <cipher-string> [<tls1.3-suites>]
        sslconfig outbound <methods> <cipher-string> [<tls1.3-suites>]
            <methods> is a /-separated list: tlsv1.2/tlsv1.3, tlsv1/tlsv1.1/tlsv1.2, ...
        sslconfig gui|inbound|outbound --resumption=yes|no [--ticket_lifetime=SECONDS]
            TLS session resumption (session tickets and cache; OUTBOUND: reuse per destination)
            and how long a session may be resumed (60 to 604800 seconds; default 3600).
        sslconfig print
        sslconfig verify <cipher-string>
        """

    func run(_ context: CommandContext) throws(DialogAbort) -> CommandStatus {
        let dialog = context.dialog
        while true {
            dialog.show(settings(context.configuration.ssl))
            guard let operation = try dialog.menu([
                MenuItem("GUI", "Edit GUI HTTPS ssl settings."),
                MenuItem("INBOUND", "Edit Inbound SMTP ssl settings."),
                MenuItem("OUTBOUND", "Edit Outbound SMTP ssl settings."),
                MenuItem("VERIFY", "Verify and show ssl cipher list."),
                MenuItem("PRINT", "Display the ssl settings."),
            ]) else { return .ok }
            switch operation {
            case "GUI": context.configuration.ssl.gui = try edit(context.configuration.ssl.gui, "GUI HTTPS", dialog)
            case "INBOUND":
                context.configuration.ssl.inbound = try edit(context.configuration.ssl.inbound, "inbound SMTP", dialog)
            case "OUTBOUND":
                context.configuration.ssl.outbound = try edit(context.configuration.ssl.outbound, "outbound SMTP", dialog)
            case "PRINT":
                // Shown even in a batch form, where the settings block is otherwise quiet.
                dialog.say(settings(context.configuration.ssl))
            default:
                if try !verify(dialog) && dialog.mode == .batch { return .failed }
            }
        }
    }

    /// The settings block (seed thread and S10 layout; methods in the `/` form).
    func settings(_ ssl: SSLConfiguration) -> String {
        var lines = ["", "sslconfig settings:"]
        for (label, service) in [("GUI HTTPS", ssl.gui), ("Inbound SMTP", ssl.inbound), ("Outbound SMTP", ssl.outbound)] {
            lines.append("   \(label) method:  \(service.methods)")
            lines.append("   \(label) ciphers: \(service.ciphers)")
            if service.methods.versions.contains(.tlsv1_3) {
                lines.append("   \(label) TLS 1.3 suites: \(service.tls13Suites)")
            }
            lines.append("   \(label) session resumption: \(service.resumption.label)")
        }
        return lines.joined(separator: "\n")
    }

    /// The method choices: SSL v2 and v3 (listed, refused), each TLS version, and every
    /// contiguous range of TLS versions.
    static let methodChoices: [TLSMethods] = {
        let tls: [TLSProtocolVersion] = [.tlsv1_0, .tlsv1_1, .tlsv1_2, .tlsv1_3]
        var choices = [TLSMethods([.sslv2]), TLSMethods([.sslv3])]
        for length in 1...tls.count {
            for start in 0...(tls.count - length) { choices.append(TLSMethods(tls[start..<(start + length)])) }
        }
        return choices
    }()

    private func edit(_ service: SSLServiceSettings, _ label: String, _ dialog: Dialog) throws(DialogAbort)
        -> SSLServiceSettings
    {
        var result = service
        var choices = SSLConfigCommand.methodChoices
        if !choices.contains(service.methods) { choices.append(service.methods) }
        let listing = (["Enter the \(label) ssl method you want to use."]
            + choices.enumerated().map { "\($0.offset + 1). \($0.element.label)" }).joined(separator: "\n")
        result.methods = try dialog.ask(listing, default: String(choices.firstIndex(of: service.methods)! + 1),
                                        key: "method", choices: choices.map(\.description)) { answer in
            let methods: TLSMethods
            if let typed = TLSMethods(text: answer) {
                methods = typed
            } else {
                switch Dialog.pick(answer, from: choices.map(\.label)) {
                case .success(let i): methods = choices[i]
                case .failure(let e): return .failure(e)
                }
            }
            if let reason = methods.versions.compactMap(\.unavailableReason).first { return .failure(DialogError(reason)) }
            return .success(methods)
        }
        if result.methods.versions.contains(where: { $0 < .tlsv1_2 }) {
            dialog.show("Note: this system's OpenSSL negotiates TLS v1.0 and v1.1 only at security level 0; add "
                + "@SECLEVEL=0 to the cipher string for them.")
        }
        let methods = result.methods
        let hasLegacy = methods.versions.contains { $0 < .tlsv1_3 }
        if hasLegacy {
            result.ciphers = try dialog.ask("Enter the \(label) ssl cipher you want to use.", default: service.ciphers,
                                            key: "ciphers") { answer in
                SSLConfigCommand.checkCipherString(answer, suites: service.tls13Suites, methods: methods, dialog: dialog)
            }
        }
        if methods.versions.contains(.tlsv1_3) {
            let ciphers = result.ciphers
            result.tls13Suites = try dialog.ask("Enter the \(label) TLS 1.3 cipher suites you want to use.",
                                                default: service.tls13Suites, key: "suites") { answer in
                do throws(TLSError) {
                    _ = try TLSContext(role: .server, settings: SSLServiceSettings(methods: methods, ciphers: ciphers,
                                                                                   tls13Suites: answer), identity: nil)
                    return .success(answer)
                } catch {
                    return .failure(DialogError("The TLS 1.3 suites \"\(answer)\" cannot be used: "
                        + error.reasons.joined(separator: "; ") + "."))
                }
            }
        }
        result.resumption = try editResumption(service.resumption, outbound: label == "outbound SMTP", dialog)
        return result
    }

    /// Resumption on or off and the ticket lifetime (`--resumption`, `--ticket_lifetime`).
    private func editResumption(_ current: SessionResumption, outbound: Bool, _ dialog: Dialog) throws(DialogAbort)
        -> SessionResumption
    {
        var result = current
        let question = outbound ? "Do you want to reuse TLS sessions with each destination?"
            : "Do you want to allow TLS session resumption (session tickets and cache)?"
        result.enabled = try dialog.yesNo(question, default: current.enabled, key: "resumption")
        guard result.enabled else { return result }
        let what = outbound ? "Enter how long a TLS session may be reused, in seconds."
            : "Enter the TLS session ticket lifetime, in seconds."
        result.ticketLifetime = try dialog.ask(what, default: String(current.ticketLifetime),
                                               key: "ticket_lifetime") { answer in
            guard let seconds = Int(answer) else {
                return .failure(DialogError("The ticket lifetime must be a whole number of seconds."))
            }
            if let problem = SessionResumption.lifetimeProblem(seconds) { return .failure(DialogError(problem)) }
            return .success(seconds)
        }
        return result
    }

    /// Accepts a cipher string only when the engine could serve with it; names that do not
    /// exist in this OpenSSL (RC4 on Debian 12) are said plainly.
    static func checkCipherString(_ text: String, suites: String, methods: TLSMethods, dialog: Dialog)
        -> Result<String, DialogError>
    {
        let dead = CipherList.deadElements(of: text)
        let deadText = dead.isEmpty ? "" : " " + describeDead(dead)
        do throws(TLSError) {
            _ = try TLSContext(role: .server, settings: SSLServiceSettings(methods: methods, ciphers: text,
                                                                           tls13Suites: suites), identity: nil)
        } catch {
            return .failure(DialogError("The cipher string \"\(text)\" cannot be used: "
                + error.reasons.joined(separator: "; ") + "." + deadText))
        }
        if !dead.isEmpty { dialog.error("Warning:\(deadText) OpenSSL skips them; the rest of the string is used.") }
        return .success(text)
    }

    static func describeDead(_ names: [String]) -> String {
        let list = names.count == 1 ? names[0]
            : names.dropLast().joined(separator: ", ") + " and " + names.last!
        let rc4 = names.allSatisfy { $0.uppercased().contains("RC4") } ? " (RC4 was removed from it)" : ""
        return "\(list) \(names.count == 1 ? "does" : "do") not exist in this system's OpenSSL\(rc4)."
    }

    /// VERIFY (§4.5): `openssl ciphers -v` lines for a string; false when it matches nothing.
    private func verify(_ dialog: Dialog) throws(DialogAbort) -> Bool {
        let text = try dialog.text("Enter the ssl cipher you want to verify.", key: "cipher", required: true)
        do throws(TLSError) {
            let ciphers = try CipherList.expand(text)
            dialog.say("")
            for cipher in ciphers { dialog.say(cipher.line) }
            let dead = CipherList.deadElements(of: text)
            if !dead.isEmpty { dialog.error("Note: " + SSLConfigCommand.describeDead(dead)) }
            return true
        } catch {
            let dead = CipherList.deadElements(of: text)
            dialog.error("The cipher string \"\(text)\" matches no cipher: " + error.reasons.joined(separator: "; ")
                + "." + (dead.isEmpty ? "" : " " + SSLConfigCommand.describeDead(dead)))
            return false
        }
    }
}
