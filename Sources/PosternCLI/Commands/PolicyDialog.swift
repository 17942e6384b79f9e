import PosternConfig

/// The mail flow policy parameter dialog (asyncos-cli.md §2.5), used by HOSTACCESS >
/// DEFAULT (every value concrete) and by NEW/EDIT policy (any value may be `default`,
/// inherited from the Default Policy Parameters).
struct PolicyDialog {
    let dialog: Dialog
    /// For a policy: the Default Policy Parameters it inherits from. Nil for the defaults.
    let inherited: PolicyParameters?
    /// Whether the listener still serves the demo certificate (TLS gets a warning).
    let usesDemoCertificate: Bool
    /// The address lists of addresslistconfig, for `Choose address list to enforce TLS`.
    var addressLists: [String] = []

    private var inherits: Bool { inherited != nil }

    /// Asks every question in the §2.5 order; returns the answers as overrides (for the
    /// defaults, every field is set).
    func run(_ current: PolicyOverrides, base: PolicyParameters) throws(DialogAbort) -> PolicyOverrides {
        var o = current
        o.maxMessageSize = try field(
            "Enter the default maximum message size. Add a trailing k for kilobytes, M for megabytes, or no letter for bytes.",
            current.maxMessageSize, base.maxMessageSize, key: "max_size", format: MessageSize.format) { answer in
                MessageSize.parse(answer).map(Result.success)
                    ?? .failure(DialogError("The value must be a number of bytes, optionally followed by k or M."))
            }
        o.maxConcurrency = try numberField(
            "Enter the maximum number of concurrent connections allowed from a single IP address.",
            current.maxConcurrency, base.maxConcurrency, range: 1...100_000, key: "max_conn")
        o.maxMessagesPerSession = try numberField(
            "Enter the maximum number of messages per connection.", current.maxMessagesPerSession,
            base.maxMessagesPerSession, range: 1...1_000_000, key: "max_msgs")
        o.maxRecipientsPerMessage = try numberField(
            "Enter the maximum number of recipients per message.", current.maxRecipientsPerMessage,
            base.maxRecipientsPerMessage, range: 1...100_000, key: "max_rcpt")
        o.bannerHostname = try bannerHostname(current.bannerHostname, base.bannerHostname)
        o.acceptResponse = try response(
            "Would you like to specify a custom SMTP acceptance response?", standard: 220, codes: 200...299,
            current: current.acceptResponse, base: base.acceptResponse, keys: ("cust_acc", "acc_code", "acc_text"))
        o.rejectResponse = try response(
            "Would you like to specify a custom SMTP rejection response?", standard: 554, codes: 400...599,
            current: current.rejectResponse, base: base.rejectResponse, keys: ("cust_rej", "rej_code", "rej_text"))
        o.maxRecipientsPerHour = try rateLimit(current.maxRecipientsPerHour, base.maxRecipientsPerHour)
        if (o.maxRecipientsPerHour ?? base.maxRecipientsPerHour) >= 0 {
            o.rateLimitResponse = try response(
                "Would you like to specify a custom SMTP limit exceeded response?", standard: 452, codes: 400...599,
                current: current.rateLimitResponse, base: base.rateLimitResponse,
                keys: ("cust_lim", "lim_code", "lim_text"))
        }
        o.tls = try tls(current.tls, base.tls)
        let tlsNow = o.tls ?? base.tls
        if tlsNow.offersTLS && !tlsNow.requiresTLS && (!addressLists.isEmpty || dialog.optionsGiven.contains("tls_address_list")) {
            o.tlsAddressList = try tlsAddressList(current.tlsAddressList, base.tlsAddressList)
        }
        o.smtpAuth = try choiceField(
            "Do you want to allow SMTP authentication?", items: AuthLevel.allCases.map(\.label),
            values: AuthLevel.allCases, current: current.smtpAuth, base: base.smtpAuth, key: "smtp_auth")
        let authNow = o.smtpAuth ?? base.smtpAuth
        if authNow != .no {
            dialog.show("SMTP authentication is offered only on a listener with an SMTP authentication profile "
                + "(smtpauthconfig, then listenerconfig > EDIT > SMTPAUTH); commit refuses the policy on a listener "
                + "without one.")
        }
        if tlsNow != .no && authNow != .no {
            o.requireTLSForAuth = try yesNoField("Require TLS to offer SMTP authentication?",
                                                 current.requireTLSForAuth, base.requireTLSForAuth, key: "tls_auth")
        }
        return o
    }

    // MARK: Fields

    /// One question whose answer may be `default` (inherit) when editing a policy.
    private func field<T>(
        _ question: String, _ current: T?, _ base: T, key: String, format: (T) -> String,
        parse: (String) -> Result<T, DialogError>
    ) throws(DialogAbort) -> T? {
        let shown = current.map(format) ?? (inherits ? "default" : format(base))
        let answer: T?? = try dialog.ask(question, default: shown, key: key) { text in
            if inherits && text.lowercased() == "default" { return .success(.some(nil)) }
            return parse(text).map { .some($0) }
        }
        return inherits ? answer! : (answer! ?? base)
    }

    private func numberField(_ question: String, _ current: Int?, _ base: Int, range: ClosedRange<Int>, key: String)
        throws(DialogAbort) -> Int?
    {
        try field(question, current, base, key: key, format: String.init) { text in
            guard let n = Int(text), range.contains(n) else {
                return .failure(DialogError("Value must be between \(range.lowerBound) and \(range.upperBound)."))
            }
            return .success(n)
        }
    }

    private func yesNoField(_ question: String, _ current: Bool?, _ base: Bool, key: String) throws(DialogAbort) -> Bool? {
        let shown = current.map { $0 ? "Y" : "N" } ?? (inherits ? "default" : (base ? "Y" : "N"))
        // A yes/no prompt shows [Y] or [N] (asyncos-cli.md l.1047): for an inherited value the
        // one in force, and Enter keeps inheriting it.
        let mark = (current ?? base) ? "Y" : "N"
        let answer: Bool?? = try dialog.ask("", prompt: "\(question) [\(mark)]> ", default: shown, key: key,
                                            choices: ["yes", "no"]) { text in
            switch text.lowercased() {
            case "y", "yes": return .success(.some(true))
            case "n", "no": return .success(.some(false))
            case "default" where inherits: return .success(.some(nil))
            default: return .failure(DialogError("Please answer yes or no."))
            }
        }
        return inherits ? answer! : (answer! ?? base)
    }

    private func choiceField<T: Equatable>(
        _ question: String, items: [String], values: [T], current: T?, base: T, key: String
    ) throws(DialogAbort) -> T? {
        let listing = ([question] + items.enumerated().map { "\($0.offset + 1). \($0.element)" }).joined(separator: "\n")
        let shown = current.flatMap { c in values.firstIndex(of: c).map { String($0 + 1) } }
            ?? (inherits ? "default" : String(values.firstIndex(of: base)! + 1))
        let answer: T?? = try dialog.ask(listing, default: shown, key: key, choices: items) { text in
            if inherits && text.lowercased() == "default" { return .success(.some(nil)) }
            return Dialog.pick(text, from: items).map { .some(values[$0]) }
        }
        return inherits ? answer! : (answer! ?? base)
    }

    private func bannerHostname(_ current: String?, _ base: String) throws(DialogAbort) -> String? {
        let overriding = !(current ?? base).isEmpty
        guard let wants = try yesNoField("Do you want to override the hostname in the SMTP banner?",
                                         current.map { !$0.isEmpty }, overriding, key: "override") else { return nil }
        guard wants else { return "" }
        return try dialog.text("Enter the hostname to use in the SMTP banner:", default: current ?? base,
                               key: "hostname", required: true) { answer in
            Hostname.isValid(answer) ? nil : DialogError("A hostname must be like mail.example.com.")
        }
    }

    /// Recipients per hour from one remote host; -1 is no limit.
    private func rateLimit(_ current: Int?, _ base: Int) throws(DialogAbort) -> Int? {
        guard let wants = try yesNoField("Do you want to enable rate limiting per host?", current.map { $0 >= 0 },
                                         base >= 0, key: "rate_lim") else { return nil }
        guard wants else { return -1 }
        let known = [current, base].compactMap { $0 }.first { $0 >= 0 }
        return try dialog.number("Enter the maximum number of recipients per hour from a remote host.",
                                 default: known, range: 0...Int(Int32.max), key: "max_rcpts_per_hour")
    }

    private func response(
        _ question: String, standard: Int, codes: ClosedRange<Int>, current: SMTPResponse?, base: SMTPResponse,
        keys: (String, String, String)
    ) throws(DialogAbort) -> SMTPResponse? {
        let custom = (current ?? base) != SMTPResponse(code: standard)
        guard let wants = try yesNoField(question, current.map { $0 != SMTPResponse(code: standard) }, custom,
                                         key: keys.0) else { return nil }
        guard wants else { return SMTPResponse(code: standard) }
        let code = try dialog.number("Enter the SMTP code to use in the response. \(standard) is the standard code.",
                                     default: (current ?? base).code, range: codes, key: keys.1)
        let text = try dialog.responseText("Enter your custom SMTP response.  Press Enter on a blank line to finish.",
                                           key: keys.2)
        return SMTPResponse(code: code, text: text)
    }

    /// `Choose address list to enforce TLS` (asyncos-cli.md §2.5, after Preferred): `None`, then
    /// the address lists. A sender on the list must use TLS. "" is None (over an inherited list).
    private func tlsAddressList(_ current: String?, _ base: String?) throws(DialogAbort) -> String? {
        let items = ["None"] + addressLists
        let listing = (["Choose address list to enforce TLS"]
            + items.enumerated().map { "\($0.offset + 1). \($0.element)" }).joined(separator: "\n")
        func number(_ name: String?) -> String {
            guard let name, !name.isEmpty else { return "1" }
            return addressLists.firstIndex { $0.lowercased() == name.lowercased() }.map { String($0 + 2) } ?? "1"
        }
        let shown = current.map(number) ?? (inherits ? "default" : number(base))
        let answer: String?? = try dialog.ask(listing, default: shown, key: "tls_address_list", choices: items) { text in
            if inherits && text.lowercased() == "default" { return .success(.some(nil)) }
            if addressLists.isEmpty && text.lowercased() != "none" {
                return .failure(DialogError("There are no address lists; create one with addresslistconfig."))
            }
            return Dialog.pick(text, from: items).map { .some($0 == 0 ? "" : addressLists[$0 - 1]) }
        }
        return inherits ? answer! : (answer! ?? base ?? "")
    }

    /// `Do you want to allow encrypted TLS connections?` with the seed's three answers, then,
    /// after Preferred or Required, whether to verify client certificates (our wording; AsyncOS
    /// has it as a separate setting). `--tls` also takes `preferred-verify|required-verify`,
    /// and a `--tls` value is the whole answer: no verify question follows it.
    private func tls(_ current: TLSLevel?, _ base: TLSLevel) throws(DialogAbort) -> TLSLevel? {
        while true {
            let items = TLSLevel.answers.map(\.label)
            let listing = (["Do you want to allow encrypted TLS connections?"]
                + items.enumerated().map { "\($0.offset + 1). \($0.element)" }).joined(separator: "\n")
            let shown = current.flatMap { c in TLSLevel.answers.firstIndex(of: c.answer).map { String($0 + 1) } }
                ?? (inherits ? "default" : String(TLSLevel.answers.firstIndex(of: base.answer)! + 1))
            let fromOption = dialog.optionsGiven.contains("tls")
            let picked: TLSLevel?? = try dialog.ask(listing, default: shown, key: "tls", choices: items) { text in
                if inherits && text.lowercased() == "default" { return .success(.some(nil)) }
                if let level = TLSLevel(keyword: text), level.verifiesClient { return .success(.some(level)) }
                return Dialog.pick(text, from: items).map { .some(TLSLevel.answers[$0]) }
            }
            var level: TLSLevel? = inherits ? picked! : (picked! ?? base)
            if let chosen = level, chosen != .no, !chosen.verifiesClient, !fromOption {
                let verifying = (current ?? base).verifiesClient
                let verify = try dialog.yesNo("Do you want to verify client certificates?", default: verifying,
                                              key: "verify_client")
                level = chosen.verifying(verify)
            }
            guard let inForce = level ?? inherited?.tls, inForce != .no, usesDemoCertificate else { return level }
            dialog.show("\nYou have chosen to enable TLS. Please use the 'certconfig' command to ensure that there is "
                + "a valid certificate configured.")
            if try dialog.confirmation("You may use the demo certificate to test TLS, but this will not be secure. "
                                       + "Do you really wish to use the demo certificate?", default: true, key: "demo",
                                       declined: "TLS was not changed: configure a certificate with certconfig first, "
                                           + "or answer yes to use the demo certificate.") {
                return level
            }
        }
    }
}

/// The Default Policy Parameters block HOSTACCESS prints (asyncos-cli.md §2.1, §2.5 names).
enum PolicySummary {
    static func lines(_ p: PolicyParameters) -> [String] {
        func response(_ r: SMTPResponse, standard: Int) -> String {
            r == SMTPResponse(code: standard) ? "No" : "\(r.code) \(r.text.replacing("\n", with: " / "))"
        }
        return [
            "Default Policy Parameters",
            "==========================",
            "Maximum Message Size: \(MessageSize.format(p.maxMessageSize))",
            "Maximum Number Of Concurrent Connections From A Single IP: \(p.maxConcurrency)",
            "Maximum Number Of Messages Per Connection: \(p.maxMessagesPerSession)",
            "Maximum Number Of Recipients Per Message: \(p.maxRecipientsPerMessage)",
            "SMTP Banner Hostname: \(p.bannerHostname.isEmpty ? "Use the interface hostname" : p.bannerHostname)",
            "Custom SMTP Acceptance Response: \(response(p.acceptResponse, standard: 220))",
            "Custom SMTP Rejection Response: \(response(p.rejectResponse, standard: 554))",
            "Rate Limiting Per Host: \(p.maxRecipientsPerHour < 0 ? "No" : "\(p.maxRecipientsPerHour) recipients per hour")",
            "Custom SMTP Limit Exceeded Response: \(response(p.rateLimitResponse, standard: 452))",
            "Use TLS: \(p.tls.label)",
        ] + (p.tls.offersTLS && !p.tls.requiresTLS ? ["TLS is Mandatory for Address List: \(p.tlsAddressList ?? "None")"] : []) + [
            "Allow SMTP Authentication: \(p.smtpAuth.label)",
            "Require TLS To Offer SMTP authentication: \(p.requireTLSForAuth ? "Yes" : "No")",
        ]
    }
}
