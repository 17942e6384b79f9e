import PosternConfig

/// The Mail Flow Policy edit form: AsyncOS's sections in AsyncOS's order, built from a
/// policy's parameters and read back from the submitted fields. No I/O: the pages render
/// what this returns, and tests drive it directly.
struct PolicyForm {
    /// One number or yes/no setting; on a named policy it may "Use Default".
    struct Field: Sendable {
        enum Kind { case number, flag }
        let key: String
        let label: String
        let kind: Kind
        let get: @Sendable (PolicyParameters) -> Int
        let set: @Sendable (inout PolicyOverrides, Int?) -> Void
        /// The accepted range of a number; its sentence when out of it.
        var range: ClosedRange<Int> = 0...Int.max
    }

    struct Section: Sendable {
        let title: String
        let fields: [Field]
    }

    /// AsyncOS's sections, in order, with the settings Postern has; Encryption and
    /// Authentication is drawn apart because its fields are not one-value-each.
    static let sections: [Section] = [
        Section(title: "Connections", fields: [
            Field(key: "max_msgs_per_conn", label: "Max. Messages Per Connection:", kind: .number,
                  get: { $0.maxMessagesPerSession }, set: { $0.maxMessagesPerSession = $1 }, range: 1...1_000_000),
            Field(key: "max_rcpts_per_msg", label: "Max. Recipients Per Message:", kind: .number,
                  get: { $0.maxRecipientsPerMessage }, set: { $0.maxRecipientsPerMessage = $1 }, range: 1...1_000_000),
            Field(key: "max_message_size", label: "Max. Message Size (bytes):", kind: .number,
                  get: { $0.maxMessageSize }, set: { $0.maxMessageSize = $1 }, range: 1...1_073_741_824),
            Field(key: "max_concurrency", label: "Max. Concurrent Connections From a Single IP:", kind: .number,
                  get: { $0.maxConcurrency }, set: { $0.maxConcurrency = $1 }, range: 1...1000),
            Field(key: "smtp_banner_code", label: "SMTP Banner Code:", kind: .number,
                  get: { $0.acceptResponse.code },
                  set: { overrides, code in overrides.acceptResponse = code.map { SMTPResponse(code: $0) } },
                  range: 200...299),
            Field(key: "reject_banner_code", label: "Rejected Banner Code:", kind: .number,
                  get: { $0.rejectResponse.code },
                  set: { overrides, code in overrides.rejectResponse = code.map { SMTPResponse(code: $0) } },
                  range: 400...599),
        ]),
        Section(title: "Rate Limit for Hosts", fields: [
            Field(key: "max_rcpts_per_hour", label: "Max. Recipients Per Hour (-1: Unlimited):", kind: .number,
                  get: { $0.maxRecipientsPerHour }, set: { $0.maxRecipientsPerHour = $1 }, range: -1...1_000_000_000),
            Field(key: "max_rcpts_per_hour_code", label: "Max. Recipients Per Hour Code:", kind: .number,
                  get: { $0.rateLimitResponse.code },
                  set: { overrides, code in overrides.rateLimitResponse = code.map { SMTPResponse(code: $0) } },
                  range: 400...499),
        ]),
        Section(title: "Flow Control", fields: [
            Field(key: "use_sb", label: "Use SenderBase for Flow Control:", kind: .flag,
                  get: { $0.useSenderBase ? 1 : 0 }, set: { $0.useSenderBase = $1.map { $0 != 0 } }),
        ]),
        Section(title: "Spam Detection", fields: [
            Field(key: "spam_check", label: "Anti-Spam Scanning:", kind: .flag,
                  get: { $0.spamCheck ? 1 : 0 }, set: { $0.spamCheck = $1.map { $0 != 0 } }),
        ]),
        Section(title: "Virus Protection", fields: [
            Field(key: "virus_check", label: "Anti-Virus Scanning:", kind: .flag,
                  get: { $0.virusCheck ? 1 : 0 }, set: { $0.virusCheck = $1.map { $0 != 0 } }),
        ]),
    ]

    /// "Use TLS:" as the GUI offers it: three answers, and a checkbox for the -Verify levels.
    enum TLSChoice: String, CaseIterable {
        case off, preferred, required

        init(_ level: TLSLevel) {
            switch level {
            case .no: self = .off
            case .preferred, .preferredVerify: self = .preferred
            case .required, .requiredVerify: self = .required
            }
        }

        func level(verify: Bool) -> TLSLevel {
            switch self {
            case .off: return .no
            case .preferred: return verify ? .preferredVerify : .preferred
            case .required: return verify ? .requiredVerify : .required
            }
        }
    }

    /// Reads a submitted form into the policy: on the Default Policy Parameters into
    /// `parameters`, on a named policy into its overrides. Returns the problems, each a
    /// sentence naming the field; nothing is changed when there are any.
    static func apply(_ form: [String: String], isDefault: Bool, parameters: inout PolicyParameters,
                      overrides: inout PolicyOverrides) -> [String]
    {
        var problems: [String] = []
        var newParameters = parameters
        var newOverrides = overrides
        for section in sections {
            for field in section.fields {
                let useDefault = !isDefault && form[field.key + "_mode"] == "default"
                if useDefault {
                    field.set(&newOverrides, nil)
                    continue
                }
                let raw = (form[field.key] ?? "").trimmingCharacters(in: .whitespaces)
                let value: Int?
                switch field.kind {
                case .flag:
                    value = raw == "yes" ? 1 : raw == "no" ? 0 : nil
                case .number:
                    value = Int(raw).flatMap { field.range.contains($0) ? $0 : nil }
                }
                guard let value else {
                    let label = field.label.dropLast()
                    problems.append(field.kind == .flag ? "\(label): choose Yes or No."
                        : "\(label): enter a whole number from \(field.range.lowerBound) to \(field.range.upperBound).")
                    continue
                }
                if isDefault {
                    var all = PolicyOverrides()
                    field.set(&all, value)
                    newParameters = newParameters.resolved(with: all)
                } else {
                    field.set(&newOverrides, value)
                }
            }
        }
        problems += applyEncryption(form, isDefault: isDefault, parameters: &newParameters, overrides: &newOverrides)
        guard problems.isEmpty else { return problems }
        parameters = newParameters
        overrides = newOverrides
        return []
    }

    /// "Encryption and Authentication": Use TLS, Verify Client Certificate, SMTP
    /// Authentication, Require TLS To Offer SMTP Authentication.
    private static func applyEncryption(_ form: [String: String], isDefault: Bool, parameters: inout PolicyParameters,
                                        overrides: inout PolicyOverrides) -> [String]
    {
        var problems: [String] = []
        let verify = form["tls_verify"] == "on"
        switch form["tls"] {
        case "default" where !isDefault:
            overrides.tls = nil
        case let word?:
            if let choice = TLSChoice(rawValue: word) {
                if isDefault { parameters.tls = choice.level(verify: verify) } else { overrides.tls = choice.level(verify: verify) }
            } else {
                problems.append("Use TLS: choose Off, Preferred or Required.")
            }
        case nil:
            problems.append("Use TLS: choose Off, Preferred or Required.")
        }
        // TLS is Mandatory for Address List: "" is None; a name the configuration lacks is
        // reported by the whole-configuration validation the page runs next.
        switch form["tls_address_list"] {
        case nil: break
        case "default" where !isDefault: overrides.tlsAddressList = nil
        case let name?:
            if isDefault { parameters.tlsAddressList = name.isEmpty ? nil : name } else { overrides.tlsAddressList = name }
        }
                let authDefault = !isDefault && form["auth"] == "default"
        if authDefault {
            overrides.smtpAuth = nil
        } else if let level = form["auth"].flatMap({ AuthLevel(keyword: $0 == "off" ? "no" : $0) }) {
            if isDefault { parameters.smtpAuth = level } else { overrides.smtpAuth = level }
        } else {
            problems.append("SMTP Authentication: choose Off, Preferred or Required.")
        }
        let requireTLS = form["auth_requires_tls"] == "on"
        if isDefault {
            parameters.requireTLSForAuth = requireTLS
        } else if requireTLS != (overrides.requireTLSForAuth ?? parameters.requireTLSForAuth) {
            // Only a change from what the policy has now becomes an override of its own.
            overrides.requireTLSForAuth = requireTLS
        }
        return problems
    }
}
