extension Configuration {
    /// Profiles well formed, listeners naming profiles that exist, and no policy asking for
    /// AUTH on a listener that has no profile to check it with.
    func validateSMTPAuth(_ problems: inout Validator) {
        let auth = smtpAuthSettings
        problems.requireUnique(auth.profiles.map(\.name), path: "smtpAuth.profiles", what: "SMTP authentication profile")
        for profile in auth.profiles {
            let path = "smtpAuth.profiles[\(profile.name)]"
            if !Validator.isName(profile.name) {
                problems.add(path, "A profile name must be letters, digits, '-', '_' or '.'.")
            }
            switch profile.method {
            case .ldap(let ldap): ldap.validate(path: path + ".ldap", into: &problems)
            case .forward(let forward): forward.validate(path: path + ".forward", into: &problems)
            }
        }
        problems.range(auth.maxFailures, 1...1000, "smtpAuth.maxFailures")
        problems.range(auth.failureDelayMilliseconds, 0...60_000, "smtpAuth.failureDelayMilliseconds")
        problems.range(auth.maxFailureDelayMilliseconds, 0...300_000, "smtpAuth.maxFailureDelayMilliseconds")
        problems.range(auth.failureWindowSeconds, 1...86_400, "smtpAuth.failureWindowSeconds")
        for listener in listeners {
            let path = "listeners[\(listener.name)]"
            if let name = listener.smtpAuthProfile {
                if auth.profile(named: name) == nil {
                    problems.add(path + ".smtpAuthProfile", "The SMTP authentication profile \"\(name)\" does not exist.")
                }
                continue
            }
            // Said once for the defaults, and once for each policy whose own answer asks for AUTH.
            let table = listener.hostAccess
            var asking = table.defaultParameters.smtpAuth != .no ? ["defaultParameters"] : []
            asking += table.policies.filter { ($0.overrides.smtpAuth ?? .no) != .no }.map { "policies[\($0.name)]" }
            for where_ in asking {
                problems.add("\(path).hostAccess.\(where_).smtpAuth",
                             "The policy allows SMTP authentication but the listener has no SMTP authentication "
                                + "profile; choose one with listenerconfig > EDIT > SMTPAUTH.")
            }
        }
    }
}

extension LDAPAuthSettings {
    /// The scheme, host and port of `url`, or nil when it is not `ldap://` or `ldaps://`.
    public var endpoint: (secure: Bool, host: String, port: Int)? {
        let secure: Bool
        let rest: Substring
        if url.lowercased().hasPrefix("ldaps://") {
            secure = true
            rest = url.dropFirst(8)
        } else if url.lowercased().hasPrefix("ldap://") {
            secure = false
            rest = url.dropFirst(7)
        } else {
            return nil
        }
        let authority = rest.hasSuffix("/") ? rest.dropLast() : rest
        guard !authority.isEmpty, !authority.contains("/"), !authority.contains("?") else { return nil }
        let (host, port) = HostPort.split(String(authority), defaultPort: secure ? 636 : 389)
        guard let host, let port, Hostname.isValid(host) || IPAddress(host) != nil else { return nil }
        return (secure, host, port)
    }

    func validate(path: String, into problems: inout Validator) {
        if let endpoint {
            if endpoint.secure && startTLS {
                problems.add(path + ".startTLS", "StartTLS is for ldap:// URLs; ldaps:// is TLS from the start.")
            }
        } else {
            problems.add(path + ".url", "The server URL must be ldap://HOST[:PORT] or ldaps://HOST[:PORT].")
        }
        if baseDN.trimmingWhitespace().isEmpty { problems.add(path + ".baseDN", "The base DN cannot be empty.") }
        if !query.contains("{u}") {
            problems.add(path + ".query", "The query must contain {u}, where the user name goes, e.g. (uid={u}).")
        } else if !LDAPFilter.isOneFilter(query) {
            problems.add(path + ".query", "The query must be an LDAP filter in parentheses, e.g. (uid={u}).")
        }
        if (bindDN == nil) != (bindPasswordFile == nil) {
            problems.add(path + ".bindDN", "A bind DN needs its password, and a password its bind DN.")
        }
        if let file = bindPasswordFile, file.hasPrefix("/") || file.contains("/") {
            problems.add(path + ".bindPasswordFile", "\"\(file)\" must be a file name inside certs/.")
        }
        problems.range(timeoutSeconds, 1...300, path + ".timeoutSeconds")
        problems.range(maxConnections, 1...64, path + ".maxConnections")
        problems.range(cacheSeconds, 0...86_400, path + ".cacheSeconds")
    }
}

extension ForwardAuthSettings {
    func validate(path: String, into problems: inout Validator) {
        if !(Hostname.isValid(host) || IPAddress(host) != nil) {
            problems.add(path + ".host", "Invalid hostname format \"\(host)\".")
        }
        problems.range(port, 1...65535, path + ".port")
        problems.range(timeoutSeconds, 1...300, path + ".timeoutSeconds")
    }
}

extension LDAPFilter {
    /// Whether the text is one filter in parentheses (RFC 4515 §3: `filter = "(" filtercomp ")"`)
    /// whose parentheses pair up (escaped ones are `\28`/`\29`, never bare): the first one
    /// closes at the very end, so `(uid={u})(cn=*)`, two filters side by side, is refused.
    public static func isOneFilter(_ filter: String) -> Bool {
        guard filter.hasPrefix("(") else { return false }
        var depth = 0
        for (index, c) in zip(filter.indices, filter) {
            if c == "(" { depth += 1 }
            if c == ")" {
                depth -= 1
                if depth < 0 { return false }
                if depth == 0 { return filter.index(after: index) == filter.endIndex }
            }
        }
        return false
    }
}

/// `HOST:PORT`, `[v6]:PORT` or `HOST` alone.
public enum HostPort {
    public static func split(_ text: String, defaultPort: Int) -> (host: String?, port: Int?) {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return (nil, nil) }
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.isEmpty { return (host, defaultPort) }
            guard rest.hasPrefix(":"), let port = Int(rest.dropFirst()), (1...65535).contains(port) else { return (host, nil) }
            return (host, port)
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        switch parts.count {
        case 1: return (text, defaultPort)
        case 2:
            guard let port = Int(parts[1]), (1...65535).contains(port) else { return (String(parts[0]), nil) }
            return (String(parts[0]), port)
        default:
            return (IPAddress(text) != nil ? text : nil, IPAddress(text) != nil ? defaultPort : nil)
        }
    }
}
