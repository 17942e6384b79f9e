/// The HAT text format of `hostaccess` PRINT, EXPORT and IMPORT (asyncos-cli.md §2.7):
/// policies first (`$NAME`, an indented behaviour, an optional `{ key = value }` block of
/// overrides), then sender groups (`NAME:`, hosts indented four spaces, the action indented
/// eight with its comment in parentheses and the group's own block of parameters), then `ALL` and its action. `#` starts a comment.
/// Rendering then parsing gives the same table; the Default Policy Parameters are not part
/// of it (HOSTACCESS > DEFAULT edits them).
public enum HATText {
    public static func render(_ table: HostAccessTable) -> String {
        var lines: [String] = []
        for policy in table.policies {
            lines.append("$" + policy.name)
            lines += block(policy.behavior.rawValue, policy.overrides, indent: "    ")
        }
        for group in table.senderGroups {
            lines.append(group.name + ":")
            for entry in group.entries { lines.append("    " + entry.text) }
            let comment = group.comment.isEmpty ? "" : " (\(group.comment))"
            lines += block("\(group.action)\(comment)", group.overrides ?? PolicyOverrides(), indent: "        ")
        }
        lines.append("ALL")
        lines.append("    \(table.all)")
        return lines.joined(separator: "\n") + "\n"
    }

    /// An action line, with its `{ key = value }` block when there are parameters.
    private static func block(_ head: String, _ overrides: PolicyOverrides, indent: String) -> [String] {
        let pairs = keyValues(overrides)
        guard !pairs.isEmpty else { return [indent + head] }
        return [indent + head + " {"] + pairs.map { "\(indent)    \($0.0) = \($0.1)" } + [indent + "}"]
    }

    /// Reads a table; the Default Policy Parameters come from `defaults`. Errors name the line.
    public static func parse(_ text: String, defaults: PolicyParameters) throws(HATTextError) -> HostAccessTable {
        var policies: [MailFlowPolicy] = []
        var groups: [SenderGroup] = []
        var all: SenderGroupAction?
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
        var i = 0
        func fail(_ message: String) -> HATTextError { HATTextError(line: i + 1, message: message) }
        func isBlank(_ line: String) -> Bool {
            let t = line.trimmingWhitespace()
            return t.isEmpty || t.hasPrefix("#")
        }
        while i < lines.count {
            let line = lines[i]
            if isBlank(line) { i += 1; continue }
            guard !line.hasPrefix(" ") && !line.hasPrefix("\t") else { throw fail("An indented line must follow a policy, a group or ALL.") }
            let head = line.trimmingWhitespace()
            if head.hasPrefix("$") {
                let name = String(head.dropFirst())
                i += 1
                while i < lines.count && isBlank(lines[i]) { i += 1 }
                guard i < lines.count else { throw fail("The policy $\(name) has no behaviour.") }
                var body = lines[i].trimmingWhitespace()
                var overrides = PolicyOverrides()
                let opensBlock = body.hasSuffix("{")
                if opensBlock { body = String(body.dropLast()).trimmingWhitespace() }
                guard let behavior = Behavior(keyword: body), behavior.rawValue == body.uppercased() else {
                    throw fail("\"\(body)\" is not a behaviour (ACCEPT, RELAY, REJECT, TCPREFUSE).")
                }
                i += 1
                if opensBlock { overrides = try block(lines, &i, owner: "$" + name) }
                policies.append(MailFlowPolicy(name: name, behavior: behavior, overrides: overrides))
                continue
            }
            if head.uppercased() == "ALL" {
                i += 1
                while i < lines.count && isBlank(lines[i]) { i += 1 }
                guard i < lines.count else { throw fail("ALL has no action.") }
                let (action, _) = try parseAction(lines[i].trimmingWhitespace(), line: i + 1)
                all = action
                i += 1
                continue
            }
            // A named group (`NAME:`) or an anonymous entry (`host` then its action).
            let named = head.hasSuffix(":") && !head.contains(" ")
            let name = named ? String(head.dropLast()) : head
            var entries: [SenderEntry] = []
            if !named {
                do { entries.append(try SenderEntry(parsing: head)) } catch { throw fail(error.message) }
            }
            i += 1
            var action: (SenderGroupAction, String)?
            var groupOverrides: PolicyOverrides?
            while i < lines.count && action == nil {
                let raw = lines[i]
                if isBlank(raw) { i += 1; continue }
                guard raw.hasPrefix(" ") || raw.hasPrefix("\t") else { break }
                var text = raw.trimmingWhitespace()
                let indent = raw.prefix { $0 == " " || $0 == "\t" }.reduce(0) { $0 + ($1 == "\t" ? 8 : 1) }
                if indent >= 8 || !named {
                    let opensBlock = text.hasSuffix("{")
                    if opensBlock { text = String(text.dropLast()).trimmingWhitespace() }
                    action = try parseAction(text, line: i + 1)
                    i += 1
                    if opensBlock { groupOverrides = try block(lines, &i, owner: "the sender group " + name) }
                    continue
                } else {
                    do { entries.append(try SenderEntry(parsing: text)) } catch { throw fail(error.message) }
                }
                i += 1
            }
            guard let (groupAction, comment) = action else {
                throw HATTextError(line: i, message: "The sender group \(name) has no policy or behaviour.")
            }
            groups.append(SenderGroup(name: name, entries: entries, action: groupAction, comment: comment,
                                      overrides: groupOverrides))
        }
        guard let all else { throw HATTextError(line: lines.count, message: "The table must end with ALL and its action.") }
        return HostAccessTable(defaultParameters: defaults, policies: policies, senderGroups: groups, all: all)
    }

    /// A `{ key = value … }` block of parameters, from the line after its `{` to its `}`.
    private static func block(_ lines: [String], _ i: inout Int, owner: String) throws(HATTextError) -> PolicyOverrides {
        var overrides = PolicyOverrides()
        while true {
            guard i < lines.count else { throw HATTextError(line: i, message: "The block of \(owner) is not closed with }.") }
            let entry = lines[i].trimmingWhitespace()
            i += 1
            if entry == "}" { return overrides }
            if entry.isEmpty || entry.hasPrefix("#") { continue }
            guard let equals = entry.firstIndex(of: "=") else {
                throw HATTextError(line: i, message: "Expected key = value in the block of \(owner).")
            }
            let key = String(entry[..<equals]).trimmingWhitespace()
            var value = String(entry[entry.index(after: equals)...]).trimmingWhitespace()
            if value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2 {
                value = String(value.dropFirst().dropLast())
            }
            do throws(HATTextError) {
                try set(key, value, in: &overrides)
            } catch {
                throw HATTextError(line: i, message: error.message)
            }
        }
    }

    private static func parseAction(_ text: String, line: Int) throws(HATTextError) -> (SenderGroupAction, String) {
        var body = Substring(text)
        var comment = ""
        if let open = body.firstIndex(of: "("), body.hasSuffix(")") {
            comment = String(body[body.index(after: open)..<body.index(before: body.endIndex)])
            body = body[..<open]
        }
        let word = String(body).trimmingWhitespace()
        guard let action = SenderGroupAction(text: word) else {
            throw HATTextError(line: line, message: "\"\(word)\" is neither $POLICY nor a behaviour.")
        }
        return (action, comment)
    }

    /// The keys of the CLI Reference sample, in its order, with the [I] additions.
    public static func keyValues(_ o: PolicyOverrides) -> [(String, String)] {
        var out: [(String, String)] = []
        func onOff(_ v: Bool) -> String { v ? "\"on\"" : "\"off\"" }
        if let v = o.spamCheck { out.append(("spam_check", onOff(v))) }
        if let v = o.maxMessagesPerSession { out.append(("max_msgs_per_session", String(v))) }
        if let v = o.maxConcurrency { out.append(("max_concurrency", String(v))) }
        if let v = o.maxRecipientsPerMessage { out.append(("max_rcpts_per_msg", String(v))) }
        if let v = o.maxRecipientsPerHour { out.append(("max_rcpts_per_hour", String(v))) }
        if let v = o.rateLimitResponse {
            out.append(("max_rcpts_per_hour_code", String(v.code)))
            out.append(("max_rcpts_per_hour_text", quote(v.text)))
        }
        if let v = o.virusCheck { out.append(("virus_check", onOff(v))) }
        if let v = o.maxMessageSize { out.append(("max_message_size", String(v))) }
        if let v = o.useSenderBase { out.append(("use_sb", onOff(v))) }
        if let v = o.bannerHostname { out.append(("smtp_banner_host", quote(v))) }
        if let v = o.acceptResponse {
            out.append(("smtp_banner_code", String(v.code)))
            out.append(("smtp_banner_text", quote(v.text)))
        }
        if let v = o.rejectResponse {
            out.append(("smtp_reject_code", String(v.code)))
            out.append(("smtp_reject_text", quote(v.text)))
        }
        if let v = o.tls { out.append(("tls", "\"\(tlsKeyword(v))\"")) }
        if let v = o.smtpAuth { out.append(("smtp_auth", "\"\(authKeyword(v))\"")) }
        if let v = o.requireTLSForAuth { out.append(("smtp_tls_auth", onOff(v))) }
        if let v = o.tlsAddressList { out.append(("tls_address_list", quote(v))) }
        return out
    }

    /// `tls = "off"|"on"|"required"` as the sample writes it; the Verify levels add `_verify`.
    static func tlsKeyword(_ level: TLSLevel) -> String {
        switch level {
        case .no: return "off"
        case .preferred: return "on"
        case .required: return "required"
        case .preferredVerify: return "on_verify"
        case .requiredVerify: return "required_verify"
        }
    }

    static func authKeyword(_ level: AuthLevel) -> String {
        switch level {
        case .no: return "off"
        case .preferred: return "on"
        case .required: return "required"
        }
    }

    private static func quote(_ text: String) -> String {
        "\"" + text.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"").replacing("\n", with: "\\n") + "\""
    }

    private static func unquote(_ text: String) -> String {
        var out = ""
        var escaped = false
        for c in text {
            if escaped {
                out.append(c == "n" ? "\n" : c)
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else {
                out.append(c)
            }
        }
        return out
    }

    private static func set(_ key: String, _ value: String, in o: inout PolicyOverrides) throws(HATTextError) {
        func int() throws(HATTextError) -> Int {
            guard let v = Int(value) else { throw HATTextError(line: 0, message: "\(key) must be a number, not \"\(value)\".") }
            return v
        }
        func onOff() throws(HATTextError) -> Bool {
            switch value.lowercased() {
            case "on": return true
            case "off": return false
            default: throw HATTextError(line: 0, message: "\(key) must be \"on\" or \"off\", not \"\(value)\".")
            }
        }
        switch key {
        case "spam_check": o.spamCheck = try onOff()
        case "virus_check": o.virusCheck = try onOff()
        case "use_sb": o.useSenderBase = try onOff()
        case "max_msgs_per_session": o.maxMessagesPerSession = try int()
        case "max_concurrency": o.maxConcurrency = try int()
        case "max_rcpts_per_msg": o.maxRecipientsPerMessage = try int()
        case "max_rcpts_per_hour": o.maxRecipientsPerHour = try int()
        case "max_rcpts_per_hour_code": o.rateLimitResponse = SMTPResponse(code: try int(), text: o.rateLimitResponse?.text ?? "")
        case "max_rcpts_per_hour_text": o.rateLimitResponse = SMTPResponse(code: o.rateLimitResponse?.code ?? 452, text: unquote(value))
        case "max_message_size": o.maxMessageSize = try int()
        case "smtp_banner_host": o.bannerHostname = unquote(value)
        case "smtp_banner_code": o.acceptResponse = SMTPResponse(code: try int(), text: o.acceptResponse?.text ?? "")
        case "smtp_banner_text": o.acceptResponse = SMTPResponse(code: o.acceptResponse?.code ?? 220, text: unquote(value))
        case "smtp_reject_code": o.rejectResponse = SMTPResponse(code: try int(), text: o.rejectResponse?.text ?? "")
        case "smtp_reject_text": o.rejectResponse = SMTPResponse(code: o.rejectResponse?.code ?? 554, text: unquote(value))
        case "tls":
            guard let level = TLSLevel.allCases.first(where: { tlsKeyword($0) == value.lowercased() }) else {
                throw HATTextError(line: 0, message: "tls must be off, on, required, on_verify or required_verify.")
            }
            o.tls = level
        case "smtp_auth":
            guard let level = AuthLevel.allCases.first(where: { authKeyword($0) == value.lowercased() }) else {
                throw HATTextError(line: 0, message: "smtp_auth must be off, on or required.")
            }
            o.smtpAuth = level
        case "smtp_tls_auth": o.requireTLSForAuth = try onOff()
        case "tls_address_list": o.tlsAddressList = unquote(value)
        default:
            throw HATTextError(line: 0, message: "\"\(key)\" is not a policy setting Postern knows.")
        }
    }
}

/// A HAT text that cannot be read: the line and why.
public struct HATTextError: Error, Equatable, Sendable, CustomStringConvertible {
    public let line: Int
    public let message: String

    public var description: String { "Line \(line): \(message)" }
}
