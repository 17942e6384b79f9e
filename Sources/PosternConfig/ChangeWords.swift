/// The words for a change: a configuration difference said as the CLI names it, one line a
/// setting (`Listener InboundMail > HAT > Default policy > Use TLS: No -> Required`). What
/// `showchanges` and `commitdetail` print, and what the web interface shows, so it lives
/// here and not in one front end.
public enum ChangeWords {
    /// Every change, one line a setting; an added item is one line per setting it has, a
    /// deleted one a single line.
    public static func lines(_ changes: [ConfigChange]) -> [String] {
        changes.flatMap(lines(for:))
    }

    public static func render(_ changes: [ConfigChange]) -> String {
        lines(changes).joined(separator: "\n")
    }

    static func lines(for change: ConfigChange) -> [String] {
        let field = change.path.last ?? ""
        if field == ConfigDiff.orderKey {
            let where_ = describe(Array(change.path.dropLast()))
            guard case .changed(let from, let to) = change.kind else { return [] }
            return ["\(where_): order \(value(from, field: "")) -> \(value(to, field: ""))"]
        }
        let place = describe(change.path)
        if field == "passwordHash" {
            // A password is never shown, nor its hash: only that it changed.
            switch change.kind {
            case .changed: return ["\(place): changed"]
            case .added: return ["\(place): set"]
            case .removed: return ["\(place): removed"]
            }
        }
        switch change.kind {
        case .changed(let from, let to):
            return ["\(place): \(value(from, field: field)) -> \(value(to, field: field))"]
        case .removed(let old):
            if isScalar(old) { return ["\(place): removed \(value(old, field: field))"] }
            return ["\(place): deleted"]
        case .added(let new):
            if isScalar(new) { return ["\(place): added \(value(new, field: field))"] }
            let leaves = flatten(new, path: change.path)
            return leaves.isEmpty ? ["\(place): added"] : leaves.map { "\(describe($0.path)): \($0.value) (added)" }
        }
    }

    /// `["listeners", "InboundMail", "hostAccess", "defaultParameters", "tls"]` →
    /// `Listener InboundMail > HAT > Default policy > Use TLS`.
    static func describe(_ path: [String]) -> String {
        var parts: [String] = []
        var i = 0
        var parent = ""
        var inPolicy = false
        while i < path.count {
            let key = path[i]
            if let item = itemLabel(key, parent: parent), i + 1 < path.count {
                parts.append("\(item) \(path[i + 1])")
                parent = key
                inPolicy = key == "policies"
                i += 2
                continue
            }
            if key == "defaultParameters" || key == "overrides" { inPolicy = true }
            parts.append(label(key, parent: parent, inPolicy: inPolicy))
            parent = key
            i += 1
        }
        return parts.isEmpty ? "Configuration" : parts.joined(separator: " > ")
    }

    /// Arrays whose items carry a name, and what one item is called.
    private static func itemLabel(_ key: String, parent: String) -> String? {
        switch key {
        case "listeners": return "Listener"
        case "interfaces": return "Interface"
        case "certificates": return "Certificate profile"
        case "policies": return "Policy"
        case "senderGroups": return "Sender group"
        case "routes": return "SMTP route"
        case "addressLists": return "Address list"
        case "users": return "User"
        case "entries" where parent == "recipientAccess": return "Entry"
        case "entries" where parent == "destinations": return "Destination"
        default: return nil
        }
    }

    private static let policyLabels: [String: String] = [
        "maxMessageSize": "Maximum Message Size",
        "maxConcurrency": "Maximum Number Of Concurrent Connections From A Single IP",
        "maxMessagesPerSession": "Maximum Number Of Messages Per Connection",
        "maxRecipientsPerMessage": "Maximum Number Of Recipients Per Message",
        "maxRecipientsPerHour": "Rate Limiting Per Host",
        "rateLimitResponse": "Custom SMTP Limit Exceeded Response",
        "bannerHostname": "SMTP Banner Hostname",
        "acceptResponse": "Custom SMTP Acceptance Response",
        "rejectResponse": "Custom SMTP Rejection Response",
        "useSenderBase": "Use SenderBase",
        "spamCheck": "Spam Detection",
        "virusCheck": "Virus Protection",
        "tls": "Use TLS",
        "smtpAuth": "Allow SMTP Authentication",
        "requireTLSForAuth": "Require TLS To Offer SMTP authentication",
        "tlsAddressList": "TLS is Mandatory for Address List",
    ]

    private static let labels: [String: String] = [
        "hostAccess": "HAT", "recipientAccess": "RAT", "defaultParameters": "Default policy",
        "overrides": "Parameters", "behavior": "Behavior", "action": "Action", "comment": "Comment", "all": "ALL",
        "type": "Type", "interface": "Interface", "port": "Port", "protocol": "Protocol",
        "defaultDomain": "Default Domain", "maxConcurrency": "Max Concurrency", "tcpQueue": "TCP Queue",
        "certificate": "Certificate", "addReceivedHeader": "Received Header", "ssl": "sslconfig",
        "gui": "GUI HTTPS", "inbound": "Inbound SMTP", "outbound": "Outbound SMTP", "methods": "Method",
        "ciphers": "Ciphers", "tls13Suites": "TLS 1.3 suites",
        "resumption": "Session resumption", "enabled": "Enabled", "ticketLifetime": "Ticket lifetime (seconds)",
        "address": "IP address",
        "prefixLength": "Prefix length", "hostname": "Hostname", "listenerSettings": "Listener settings",
        "maxConnections": "Maximum concurrent connections", "maxTLSConnections": "Maximum concurrent TLS connections",
        "maxHeaderLines": "Maximum header lines", "idleTimeout": "Idle timeout (seconds)",
        "maxConnectionTime": "Maximum connection time (seconds)", "delivery": "Delivery",
        "destinations": "destconfig", "default": "Default", "concurrency": "Concurrency",
        "recipientsPerConnection": "Recipients per connection", "messagesPerConnection": "Messages per connection",
        "alertOnRequiredTLSFailure": "Alert on required TLS failure", "bounce": "bounceconfig",
        "maxQueueLifetime": "Maximum time in queue (seconds)", "initialRetryInterval": "Initial retry (seconds)",
        "maxRetryInterval": "Maximum retry (seconds)", "sendBounces": "Send bounces", "suspended": "Suspended",
        "certificateFile": "Certificate file", "keyFile": "Key file", "chainFile": "Intermediate certificates file",
        "certificateAuthorities": "Certificate authorities", "useCustom": "Use custom authorities",
        "useSystem": "Use system authorities", "customFile": "Custom authorities file",
        "historyRetention": "Generations kept", "schema": "Schema", "pattern": "Address",
        "bypassReceivingControl": "Bypass receiving control", "response": "Custom SMTP response", "code": "Code",
        "text": "Text", "tls": "TLS", "name": "Name", "rollbackEnabled": "Rollback Configuration",
        "description": "Description", "adminAccess": "adminaccessconfig",
        "fullName": "Full name", "role": "Role", "passwordHash": "Password",
        "webTimeoutMinutes": "Web UI inactivity timeout (minutes)", "cliTimeoutMinutes": "CLI inactivity timeout (minutes)",
    ]

    private static func label(_ key: String, parent: String, inPolicy: Bool) -> String {
        if key == "entries" && parent == "addressLists" { return "Addresses" }
        if key == "entries" && parent != "recipientAccess" && parent != "destinations" { return "Hosts" }
        if inPolicy, let policy = policyLabels[key] { return policy }
        if let known = labels[key] { return known }
        // Not named above: the model's name, split into words.
        var words = ""
        for c in key {
            if c.isUppercase && !words.isEmpty { words.append(" ") }
            words.append(words.isEmpty ? Character(c.uppercased()) : Character(c.lowercased()))
        }
        return words
    }

    /// A value as the dialogs show it: Yes/No, TLS labels, `250 text` for a response.
    static func value(_ v: JSONValue, field: String) -> String {
        if field == "passwordHash" { return v == .null ? "not set" : "set" }
        switch v {
        case .null: return "default"
        case .bool(let b) where field == "rollbackEnabled": return b ? "Enabled" : "Disabled"
        case .bool(let b): return b ? "Yes" : "No"
        case .int(let n):
            if field == "maxRecipientsPerHour" && n < 0 { return "No" }
            return field == "maxMessageSize" ? MessageSize.format(n) : String(n)
        case .double(let d): return String(d)
        case .string(let s):
            if field == "tls", let level = TLSLevel(rawValue: s) { return level.label }
            if field == "smtpAuth", let level = AuthLevel(rawValue: s) { return level.label }
            if field == "role", let role = UserRole(rawValue: s) { return role.label }
            return s.isEmpty ? "(none)" : s
        case .array(let items): return items.map { value($0, field: field) }.joined(separator: ", ")
        case .object(let members):
            if case .int(let code)? = members["code"], case .string(let text)? = members["text"] {
                return text.isEmpty ? String(code) : "\(code) \(text.replacing("\n", with: " / "))"
            }
            return v.compact
        }
    }

    /// The settings of an added item, one per scalar (responses kept whole).
    private static func flatten(_ v: JSONValue, path: [String]) -> [(path: [String], value: String)] {
        switch v {
        case .object(let members):
            if members["code"] != nil, members["text"] != nil {
                return [(path, value(v, field: path.last ?? ""))]
            }
            return members.keys.sorted().flatMap { key in
                key == "name" ? [] : flatten(members[key]!, path: path + [key])
            }
        case .array(let items) where items.allSatisfy(isScalar):
            return [(path, value(v, field: path.last ?? ""))]
        case .array(let items):
            return items.enumerated().flatMap { offset, item in
                flatten(item, path: path + [ConfigDiff.key(of: item) ?? String(offset + 1)])
            }
        default:
            return [(path, value(v, field: path.last ?? ""))]
        }
    }

    private static func isScalar(_ v: JSONValue) -> Bool {
        switch v {
        case .array, .object: return false
        case .null, .bool, .int, .double, .string: return true
        }
    }
}
