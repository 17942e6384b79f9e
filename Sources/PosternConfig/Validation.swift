/// One thing wrong with a configuration: where (`listeners[InboundMail].port`) and why, in a sentence.
public struct ConfigProblem: Error, Hashable, Sendable, CustomStringConvertible {
    public let path: String
    public let message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// Every problem found at once; what `commit` and the engine's reload refuse a configuration with.
public struct ConfigProblems: Error, Sendable, CustomStringConvertible {
    public let problems: [ConfigProblem]

    public init(_ problems: [ConfigProblem]) { self.problems = problems }

    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

extension Configuration {
    /// Checks everything that needs no files and no OpenSSL; `PosternTLS` checks cipher
    /// strings and certificates, `PosternPolicy` compiles the tables.
    public func validate() -> [ConfigProblem] {
        var problems = Validator()
        if schema != Configuration.currentSchema {
            problems.add("schema", "This file has schema \(schema); this Postern reads schema \(Configuration.currentSchema).")
        }
        if !Hostname.isValid(hostname) || !hostname.contains(".") {
            problems.add("hostname", "\"\(hostname)\" is not a fully-qualified hostname.")
        }
        validateInterfaces(&problems)
        validateListeners(&problems)
        problems.add(listenerSettings.validate())
        validateSSL(&problems)
        validateSMTPAuth(&problems)
        validateAddressLists(&problems)
        problems.requireUnique(certificates.map(\.name), path: "certificates", what: "certificate profile")
        problems.range(historyRetention, 0...1_000_000, "historyRetention")
        if let adminAccess {
            problems.range(adminAccess.webTimeoutMinutes, AdminAccessSettings.timeoutRange, "adminAccess.webTimeoutMinutes")
            problems.range(adminAccess.cliTimeoutMinutes, AdminAccessSettings.timeoutRange, "adminAccess.cliTimeoutMinutes")
        }
        delivery.validate(certificates: Set(certificates.map(\.name)), into: &problems)
        if historyRetention == 1 {
            problems.add("historyRetention", "Keep at least 2 generations (or 0 for all), so there is one to roll back to.")
        }
        for profile in certificates where profile.name.isEmpty || profile.certificateFile.isEmpty || profile.keyFile.isEmpty {
            problems.add("certificates[\(profile.name)]", "A certificate profile needs a name, a certificate and a key.")
        }
        return problems.problems
    }

    private func validateInterfaces(_ problems: inout Validator) {
        problems.requireUnique(interfaces.map(\.name), path: "interfaces", what: "interface")
        problems.requireUnique(interfaces.map(\.address.description), path: "interfaces", what: "interface address")
        for interface in interfaces {
            let path = "interfaces[\(interface.name)]"
            if !Validator.isName(interface.name) {
                problems.add(path, ConfigNames.rule)
            }
            if !(0...interface.address.bitWidth).contains(interface.prefixLength) {
                problems.add(path + ".prefixLength", "Value must be between 0 and \(interface.address.bitWidth).")
            }
            if !Hostname.isValid(interface.hostname) {
                problems.add(path + ".hostname", "Invalid hostname format \"\(interface.hostname)\".")
            }
            validateWebPorts(interface, path: path, &problems)
        }
    }

    /// The web interface's ports: in range, apart from each other and from the listeners there.
    private func validateWebPorts(_ interface: IPInterface, path: String, _ problems: inout Validator) {
        for (key, port) in [("httpsPort", interface.httpsPort), ("httpPort", interface.httpPort)] {
            guard let port else { continue }
            if !(1...65535).contains(port) { problems.add("\(path).\(key)", "Value must be between 1 and 65535.") }
            let clash = listeners.first { $0.interface == interface.name && $0.port == port }
            if let clash {
                problems.add("\(path).\(key)", "Port \(port) on \(interface.name) is already used by listener \(clash.name).")
            }
        }
        if interface.httpPort != nil {
            if interface.httpsPort == nil {
                problems.add(path + ".httpPort", "HTTP only redirects to HTTPS; enable HTTPS on this interface first.")
            } else if interface.httpPort == interface.httpsPort {
                problems.add(path + ".httpPort", "HTTP and HTTPS need different ports.")
            }
        }
        if let name = interface.certificate, certificate(named: name) == nil {
            problems.add(path + ".certificate", "The certificate profile \"\(name)\" does not exist.")
        }
    }

    private func validateListeners(_ problems: inout Validator) {
        problems.requireUnique(listeners.map(\.name), path: "listeners", what: "listener")
        var bound: [String: String] = [:]
        for listener in listeners {
            let path = "listeners[\(listener.name)]"
            if !Validator.isName(listener.name) {
                problems.add(path, ConfigNames.rule)
            }
            if let interface = interface(named: listener.interface) {
                let key = "\(interface.address)|\(listener.port)"
                if let other = bound[key] {
                    problems.add(path + ".port", "Port \(listener.port) on \(interface.name) is already used by listener \(other).")
                } else {
                    bound[key] = listener.name
                }
            } else {
                problems.add(path + ".interface", "The interface \"\(listener.interface)\" does not exist.")
            }
            if !(1...65535).contains(listener.port) {
                problems.add(path + ".port", "Value must be between 1 and 65535.")
            }
            if listener.protocol == .qmqp {
                problems.add(path + ".protocol", "QMQP listeners are not supported yet; use SMTP.")
            }
            if !(1...100_000).contains(listener.maxConcurrency) {
                problems.add(path + ".maxConcurrency", "Value must be between 1 and 100000.")
            }
            if !(1...65535).contains(listener.tcpQueue) {
                problems.add(path + ".tcpQueue", "Value must be between 1 and 65535.")
            }
            if !listener.defaultDomain.isEmpty && !Hostname.isValid(listener.defaultDomain) {
                problems.add(path + ".defaultDomain", "Invalid hostname format \"\(listener.defaultDomain)\".")
            }
            if let name = listener.certificate, certificate(named: name) == nil {
                problems.add(path + ".certificate", "The certificate profile \"\(name)\" does not exist.")
            }
            if let name = listener.secondCertificate {
                if certificate(named: name) == nil {
                    problems.add(path + ".secondCertificate", "The certificate profile \"\(name)\" does not exist.")
                } else if name == listener.certificate ?? FactoryDefaults.demoCertificateName {
                    problems.add(path + ".secondCertificate", "The second certificate must be another profile.")
                }
            }
            if listener.type == .public && listener.recipientAccess == nil {
                problems.add(path + ".recipientAccess", "A public listener needs a Recipient Access Table.")
            }
            listener.hostAccess.validate(path: path + ".hostAccess", into: &problems)
            listener.recipientAccess?.validate(path: path + ".recipientAccess", into: &problems)
        }
    }

    private func validateSSL(_ problems: inout Validator) {
        for (name, service) in [("gui", ssl.gui), ("inbound", ssl.inbound), ("outbound", ssl.outbound)] {
            let path = "ssl.\(name)"
            for version in service.methods.versions {
                if let reason = version.unavailableReason { problems.add(path + ".methods", reason) }
            }
            if service.ciphers.trimmingWhitespace().isEmpty {
                problems.add(path + ".ciphers", "The cipher string cannot be empty.")
            }
            if service.methods.versions.contains(.tlsv1_3) && service.tls13Suites.trimmingWhitespace().isEmpty {
                problems.add(path + ".tls13Suites", "TLS v1.3 is enabled but no TLS 1.3 suite is configured.")
            }
            if let message = service.resumption.problem {
                problems.add(path + ".resumption.ticketLifetime", message)
            }
        }
    }
}

extension HostAccessTable {
    func validate(path: String, into problems: inout Validator) {
        problems.requireUnique(policies.map(\.name), path: path + ".policies", what: "policy")
        problems.requireUnique(senderGroups.map(\.name), path: path + ".senderGroups", what: "sender group")
        defaultParameters.validate(path: path + ".defaultParameters", into: &problems)
        for policy in policies {
            let policyPath = "\(path).policies[\(policy.name)]"
            if !Validator.isName(policy.name) {
                problems.add(policyPath, ConfigNames.rule)
            }
            if policy.behavior == .continue {
                problems.add(policyPath, "CONTINUE is a sender-group choice, not a policy behaviour.")
            }
            // Over a valid baseline, only the policy's own overrides can be out of range; the
            // defaults are reported once, above.
            FactoryDefaults.defaultParameters.resolved(with: policy.overrides).validate(path: policyPath, into: &problems)
        }
        for group in senderGroups {
            let groupPath = "\(path).senderGroups[\(group.name)]"
            if !Validator.isName(group.name) || group.name.uppercased() == "ALL" {
                problems.add(groupPath, ConfigNames.rule + " ALL is not a sender group name.")
            }
            if let problem = SenderGroup.commentProblem(group.comment) {
                problems.add(groupPath + ".comment", problem)
            }
            if case .policy(let name) = group.action, policy(named: name) == nil {
                problems.add(groupPath, "It refers to the policy $\(name), which is not defined.")
            }
            if let overrides = group.overrides {
                FactoryDefaults.defaultParameters.resolved(with: overrides).validate(path: groupPath, into: &problems)
            }
        }
        switch all {
        case .policy(let name) where policy(named: name) == nil:
            problems.add(path + ".all", "It refers to the policy $\(name), which is not defined.")
        case .behavior(.continue):
            problems.add(path + ".all", "ALL is the last group; it cannot CONTINUE.")
        case .policy, .behavior:
            break
        }
    }
}

extension SenderGroup {
    public static let maximumCommentLength = 1024

    /// Why `comment` cannot be a sender group's comment, or nil. A comment is one line of text
    /// that the CLI prints to a terminal and the web shows: a control character would redraw
    /// the administrator's screen or forge a line of the listing.
    public static func commentProblem(_ comment: String) -> String? {
        if comment.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "A comment may not contain control characters (line breaks, escapes)."
        }
        if comment.count > maximumCommentLength {
            return "A comment is at most \(maximumCommentLength) characters long."
        }
        return nil
    }
}

extension RecipientAccessTable {
    /// What `validate()` would say of this table alone (IMPORT checks a table before taking it).
    public func problems(path: String = "recipientAccess") -> [ConfigProblem] {
        var problems = Validator()
        validate(path: path, into: &problems)
        return problems.problems
    }

    /// The rules of every way a table comes in (the dialog, its batch flags, IMPORT, a file
    /// read back): `REJECT 250` would answer 250 while the log says rejected, so each action
    /// keeps to its own reply codes.
    func validate(path: String, into problems: inout Validator) {
        problems.requireUnique(entries.map { $0.pattern.text.lowercased() }, path: path + ".entries", what: "entry")
        for entry in entries {
            let entryPath = "\(path).entries[\(entry.pattern.text)]"
            if let response = entry.response {
                let codes = entry.action.responseCodes
                if !codes.contains(response.code) {
                    problems.add(entryPath + ".response.code", "An \(entry.action.label) entry answers with a code "
                        + "between \(codes.lowerBound) and \(codes.upperBound), not \(response.code).")
                }
                if let problem = response.textProblem { problems.add(entryPath + ".response.text", problem) }
            }
            if entry.bypassReceivingControl && entry.action != .accept {
                problems.add(entryPath, "Only an Accept entry can bypass receiving control.")
            }
        }
    }
}

extension RecipientAction {
    /// The reply codes an entry with this action may answer with (the standard: 250, 550).
    public var responseCodes: ClosedRange<Int> { self == .accept ? 200...299 : 400...599 }
}

extension SMTPResponse {
    /// Why this text cannot go on the wire, or nil: SMTP replies are US-ASCII lines (RFC 5321
    /// §4.2); a control character would split or forge a reply, and other text is not ASCII.
    public var textProblem: String? {
        if text.contains(where: { $0 == "\r" || ($0.isASCII && $0.asciiValue! < 32 && $0 != "\n") || $0 == "\u{7F}" }) {
            return "An SMTP response may not contain control characters."
        }
        if !text.allSatisfy(\.isASCII) {
            return "An SMTP response must be plain ASCII text (RFC 5321 §4.2)."
        }
        return nil
    }
}

extension PolicyParameters {
    func validate(path: String, into problems: inout Validator) {
        problems.range(maxMessageSize, 1...Int(Int32.max), path + ".maxMessageSize")
        problems.range(maxConcurrency, 1...100_000, path + ".maxConcurrency")
        problems.range(maxMessagesPerSession, 1...1_000_000, path + ".maxMessagesPerSession")
        problems.range(maxRecipientsPerMessage, 1...100_000, path + ".maxRecipientsPerMessage")
        if maxRecipientsPerHour != -1 { problems.range(maxRecipientsPerHour, 0...Int(Int32.max), path + ".maxRecipientsPerHour") }
        problems.range(acceptResponse.code, 200...299, path + ".acceptResponse.code")
        problems.range(rejectResponse.code, 400...599, path + ".rejectResponse.code")
        problems.range(rateLimitResponse.code, 400...599, path + ".rateLimitResponse.code")
        if !bannerHostname.isEmpty && !Hostname.isValid(bannerHostname) {
            problems.add(path + ".bannerHostname", "Invalid hostname format \"\(bannerHostname)\".")
        }
        for (name, response) in [("acceptResponse", acceptResponse), ("rejectResponse", rejectResponse),
                                 ("rateLimitResponse", rateLimitResponse)]
        {
            if let problem = response.textProblem { problems.add(path + ".\(name).text", problem) }
        }
    }
}

extension ListenerSettings {
    func validate() -> [ConfigProblem] {
        var problems = Validator()
        problems.range(maxConnections, 1...100_000, "listenerSettings.maxConnections")
        problems.range(maxTLSConnections, 1...100_000, "listenerSettings.maxTLSConnections")
        problems.range(maxHeaderLines, 0...100_000, "listenerSettings.maxHeaderLines")
        problems.range(idleTimeout, 1...86_400, "listenerSettings.idleTimeout")
        problems.range(maxConnectionTime, 1...86_400, "listenerSettings.maxConnectionTime")
        problems.range(reverseDNSTimeout, 0...3_600, "listenerSettings.reverseDNSTimeout")
        return problems.problems
    }
}

/// Collects problems; small helpers keep the rules above one line each.
struct Validator {
    var problems: [ConfigProblem] = []

    mutating func add(_ path: String, _ message: String) {
        problems.append(ConfigProblem(path: path, message: message))
    }

    mutating func add(_ more: [ConfigProblem]) { problems += more }

    mutating func range(_ value: Int, _ range: ClosedRange<Int>, _ path: String) {
        if !range.contains(value) {
            add(path, "Value must be between \(range.lowerBound) and \(range.upperBound).")
        }
    }

    /// Names differing only in case are the same name: every picker matches without case.
    mutating func requireUnique(_ names: [String], path: String, what: String) {
        var seen = Set<String>()
        for name in names where !seen.insert(name.lowercased()).inserted {
            add("\(path)[\(name)]", "There is more than one \(what) named \"\(name)\" (names ignore case).")
        }
    }

    static func isName(_ name: String) -> Bool { ConfigNames.isValid(name) }
}

/// The names of listeners, interfaces, policies, sender groups and certificate profiles.
public enum ConfigNames {
    public static let maxLength = 64
    public static let rule = "A name is 1 to \(maxLength) letters, digits, '-', '_' or '.'."

    public static func isValid(_ name: String) -> Bool {
        !name.isEmpty && name.count <= maxLength
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }
    }
}

extension DeliveryConfiguration {
    func validate(certificates: Set<String>, into problems: inout Validator) {
        problems.requireUnique(routes.map(\.domain), path: "delivery.routes", what: "route")
        for route in routes {
            let path = "delivery.routes[\(route.domain)]"
            let name = route.domain.hasPrefix(".") ? String(route.domain.dropFirst()) : route.domain
            if route.domain != "ALL" && !Hostname.isValidDomain(name) {
                problems.add(path, "A route is for a domain (example.com), its subdomains (.example.com) or ALL.")
            }
            if route.destinations.isEmpty { problems.add(path, "A route needs at least one destination.") }
            if route.destinations.contains(.discard) && route.destinations.count > 1 {
                problems.add(path, "/dev/null cannot be combined with other destinations.")
            }
        }
        problems.requireUnique(destinations.entries.map(\.domain), path: "delivery.destinations", what: "destination")
        for control in [destinations.default] + destinations.entries {
            let path = control.domain.isEmpty ? "delivery.destinations.default" : "delivery.destinations[\(control.domain)]"
            let name = control.domain.hasPrefix(".") ? String(control.domain.dropFirst()) : control.domain
            if !control.domain.isEmpty && !Hostname.isValidDomain(name) {
                problems.add(path, "Invalid hostname format \"\(control.domain)\".")
            }
            if let v = control.concurrency { problems.range(v, 1...10_000, path + ".concurrency") }
            if let v = control.recipientsPerConnection { problems.range(v, 1...100_000, path + ".recipientsPerConnection") }
            if let v = control.messagesPerConnection { problems.range(v, 1...100_000, path + ".messagesPerConnection") }
        }
        if let name = destinations.certificate, !certificates.contains(name) {
            problems.add("delivery.destinations.certificate", "The certificate profile \"\(name)\" does not exist.")
        }
        problems.range(bounce.maxQueueLifetime, 1...31_536_000, "delivery.bounce.maxQueueLifetime")
        problems.range(bounce.initialRetryInterval, 1...86_400, "delivery.bounce.initialRetryInterval")
        problems.range(bounce.maxRetryInterval, 1...86_400, "delivery.bounce.maxRetryInterval")
    }
}
