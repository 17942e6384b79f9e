import PosternCertificates
import PosternConfig
import PosternStore

/// `smtpauthconfig` (asyncos-cli.md "smtpauthconfig"): SMTP authentication profiles, LDAP
/// or FORWARD, that a listener's SMTPAUTH step chooses; TEST tries one step by step.
struct SMTPAuthConfigCommand: CLICommand {
    let name = "smtpauthconfig"
    let summary = "Configure SMTP authentication profiles."
    let usage = """
        smtpauthconfig
            NEW, EDIT, DELETE, PRINT, TEST, CLEAR, SETUP.
        smtpauthconfig new <name> ldap --url=ldap://HOST[:PORT] --base=<DN> [--query='(uid={u})'] [--starttls=yes|no]
            [--bind_dn=<DN>] [--bind_as_user=yes|no] [--timeout=10] [--max_connections=4] [--cache=60]
            (with --bind_dn, the bind password is the first line of standard input)
        smtpauthconfig new <name> forward --server=HOST:PORT [--require_tls=yes|no] [--timeout=10]
        smtpauthconfig edit <name> [options as for new]
        smtpauthconfig delete <name>
        smtpauthconfig print
        smtpauthconfig clear Y
        smtpauthconfig test <name> <user>   (the password is the first line of standard input)
        smtpauthconfig setup [--max_failures=5] [--failure_delay=1000] [--max_failure_delay=8000] [--failure_window=900]
        """

    func run(_ context: CommandContext) throws(DialogAbort) -> CommandStatus {
        let dialog = context.dialog
        while true {
            dialog.show(list(context.configuration.smtpAuthSettings))
            guard let operation = try dialog.menu([
                MenuItem("NEW", "Create a new SMTP authentication profile."),
                MenuItem("EDIT", "Modify an SMTP authentication profile."),
                MenuItem("DELETE", "Delete an SMTP authentication profile."),
                MenuItem("PRINT", "Display SMTP authentication profiles."),
                MenuItem("TEST", "Test an SMTP authentication profile with a user name and password."),
                MenuItem("CLEAR", "Delete all SMTP authentication profiles."),
                MenuItem("SETUP", "Change the limits on failed authentication attempts."),
            ]) else { return .ok }
            var auth = context.configuration.smtpAuthSettings
            switch operation {
            case "NEW":
                let profile = try new(context, taken: Set(auth.profiles.map(\.name)))
                auth.profiles.append(profile)
                dialog.say("SMTP authentication profile \"\(profile.name)\" created. Choose it for a listener with "
                    + "listenerconfig > EDIT > SMTPAUTH.")
            case "EDIT", "DELETE", "TEST":
                guard !auth.profiles.isEmpty else {
                    dialog.error("There are no SMTP authentication profiles.")
                    if dialog.mode == .batch { throw .invalidArgument("There are no SMTP authentication profiles.") }
                    continue
                }
                // An empty answer goes back to the menu (asyncos-cli.md, "a way back").
                guard let index = try dialog.pickItem(
                    "Enter the name or number of the profile you wish to \(operation.lowercased()).",
                    names: auth.profiles.map(\.name), key: "name")
                else { continue }
                if operation == "EDIT" {
                    auth.profiles[index] = try edit(context, auth.profiles[index])
                    dialog.say("SMTP authentication profile \"\(auth.profiles[index].name)\" changed.")
                } else if operation == "TEST" {
                    try SMTPAuthTester(context: context).run(auth.profiles[index])
                } else {
                    try delete(context, &auth, index: index)
                }
            case "PRINT":
                dialog.say(print(auth))
            case "CLEAR":
                try clear(context, &auth)
            default:
                try setup(dialog, &auth)
            }
            context.configuration.smtpAuthSettings = auth
        }
    }

    // MARK: Listing

    private func list(_ auth: SMTPAuthConfiguration) -> String {
        guard !auth.profiles.isEmpty else { return "\nNo SMTP authentication profiles are configured." }
        return "\nSMTP Authentication Profiles:\n"
            + auth.profiles.enumerated().map { "\($0.offset + 1). \($0.element.name) (\($0.element.method.label))" }
                .joined(separator: "\n")
    }

    func print(_ auth: SMTPAuthConfiguration) -> String {
        var lines = ["", "SMTP Authentication Profiles"]
        if auth.profiles.isEmpty { lines.append("(none)") }
        for profile in auth.profiles {
            lines += ["", "Name: \(profile.name)", "Type: \(profile.method.label)"]
            switch profile.method {
            case .ldap(let l):
                lines += ["Server URL: \(l.url)", "StartTLS: \(l.startTLS ? "Yes" : "No")",
                          "Bind: " + (l.bindDN.map { "\($0) (password stored)" } ?? "anonymous"),
                          "Base DN: \(l.baseDN)", "Query: \(l.query)",
                          "Authenticate by: " + (l.bindAsUser ? "binding as the user" : "comparing userPassword"),
                          "Timeout: \(l.timeoutSeconds) seconds", "Maximum connections: \(l.maxConnections)",
                          "Cache successful authentications: \(l.cacheSeconds) seconds"]
            case .forward(let f):
                lines += ["Server: \(HostPortText.format(f.host, f.port))", "Require TLS: \(f.requireTLS ? "Yes" : "No")",
                          "Timeout: \(f.timeoutSeconds) seconds"]
            }
        }
        lines += ["", "Failed attempts before 421: \(auth.maxFailures) per address within \(auth.failureWindowSeconds) "
                    + "seconds; delay before 535: \(auth.failureDelayMilliseconds) ms, doubling up to "
                    + "\(auth.maxFailureDelayMilliseconds) ms"]
        return lines.joined(separator: "\n")
    }

    // MARK: NEW / EDIT

    private func new(_ context: CommandContext, taken: Set<String>) throws(DialogAbort) -> SMTPAuthProfile {
        let dialog = context.dialog
        let name: String = try dialog.ask("Enter a name for this SMTP authentication profile:", prompt: "> ",
                                          default: nil, key: "name") { answer in
            if let problem = ListenerConfigCommand.nameProblem(answer, taken: taken, what: "SMTP authentication profile") {
                return .failure(problem)
            }
            return .success(answer)
        }
        let type = try dialog.choose("Choose the type of profile:", items: ["FORWARD", "LDAP"], default: 1, key: "type")
        if type == 0 { return SMTPAuthProfile(name: name, method: .forward(try forward(dialog, nil))) }
        return SMTPAuthProfile(name: name, method: .ldap(try ldap(context, name: name, nil)))
    }

    private func edit(_ context: CommandContext, _ profile: SMTPAuthProfile) throws(DialogAbort) -> SMTPAuthProfile {
        var changed = profile
        switch profile.method {
        case .ldap(let settings): changed.method = .ldap(try ldap(context, name: profile.name, settings))
        case .forward(let settings): changed.method = .forward(try forward(context.dialog, settings))
        }
        return changed
    }

    private func ldap(_ context: CommandContext, name: String, _ current: LDAPAuthSettings?)
        throws(DialogAbort) -> LDAPAuthSettings
    {
        let dialog = context.dialog
        let url = try dialog.text("Enter the URL of the LDAP server (ldap://HOST:PORT or ldaps://HOST:PORT):",
                                  default: current?.url ?? "", key: "url", required: true) { answer in
            LDAPAuthSettings(url: answer, baseDN: "x").endpoint == nil
                ? DialogError("The server URL must be ldap://HOST[:PORT] or ldaps://HOST[:PORT].") : nil
        }
        var settings = current ?? LDAPAuthSettings(url: url, baseDN: "")
        settings.url = url
        let secure = settings.endpoint?.secure ?? false
        settings.startTLS = secure ? false : try dialog.yesNo("Use StartTLS to encrypt the connection to the server?",
                                                              default: settings.startTLS, key: "starttls")
        let bindDN = try dialog.text("Enter the DN to bind as to search for users, or press Enter to bind anonymously:",
                                     default: settings.bindDN ?? "", key: "bind_dn")
        // Written to its file only once every question is answered: a dialog cut short (Ctrl-C,
        // a bad batch answer) records nothing, and must leave no password behind either.
        var newPassword: String?
        if bindDN.isEmpty {
            settings.bindDN = nil
            settings.bindPasswordFile = nil
        } else {
            var keep = settings.bindPasswordFile != nil && bindDN == settings.bindDN
            if keep {
                keep = !(try dialog.yesNo("Do you want to change the bind password?", default: false,
                                          key: "change_password"))
            }
            if !keep { newPassword = try dialog.secret("Enter the password for \(bindDN):") }
            settings.bindDN = bindDN
        }
        settings.baseDN = try dialog.text("Enter the base DN under which users are searched:", default: settings.baseDN,
                                          key: "base", required: true)
        settings.query = try dialog.text("Enter the query that finds a user; {u} stands for the user name:",
                                         default: settings.query, key: "query") { answer in
            answer.contains("{u}") && LDAPFilter.isOneFilter(answer)
                ? nil : DialogError("The query must be an LDAP filter in parentheses containing {u}, e.g. (uid={u}).")
        }
        settings.bindAsUser = try dialog.yesNo("Authenticate by binding as the user found? (No compares the "
                                               + "userPassword attribute.)", default: settings.bindAsUser,
                                               key: "bind_as_user")
        settings.timeoutSeconds = try dialog.number("Enter the timeout, in seconds, for each answer of the server:",
                                                    default: settings.timeoutSeconds, range: 1...300, key: "timeout")
        settings.maxConnections = try dialog.number("Enter the maximum number of simultaneous connections to the server:",
                                                    default: settings.maxConnections, range: 1...64,
                                                    key: "max_connections")
        settings.cacheSeconds = try dialog.number(
            "Enter how long, in seconds, a successful authentication is remembered (0 asks the server every time):",
            default: settings.cacheSeconds, range: 0...86_400, key: "cache")
        if let newPassword {
            do {
                settings.bindPasswordFile = try AuthSecrets.store(password: newPassword, profile: name, home: context.home)
            } catch {
                throw .invalidArgument("The password file cannot be written: \(error)")
            }
        }
        return settings
    }

    private func forward(_ dialog: Dialog, _ current: ForwardAuthSettings?) throws(DialogAbort) -> ForwardAuthSettings {
        let server = try dialog.ask("Enter the hostname or IP address and port of the forwarding server (HOST:PORT):",
                                    default: current.map { HostPortText.format($0.host, $0.port) },
                                    key: "server") { answer -> Result<(String, Int), DialogError> in
            let (host, port) = HostPort.split(answer, defaultPort: 25)
            guard let host, let port, Hostname.isValid(host) || IPAddress(host) != nil else {
                return .failure(DialogError("Enter a hostname or IP address, and a port from 1 to 65535: HOST:PORT."))
            }
            return .success((host, port))
        }
        var settings = current ?? ForwardAuthSettings(host: server.0)
        settings.host = server.0
        settings.port = server.1
        settings.requireTLS = try dialog.yesNo("Require TLS?", default: settings.requireTLS, key: "require_tls")
        settings.timeoutSeconds = try dialog.number("Enter the timeout, in seconds, for each answer of the server:",
                                                    default: settings.timeoutSeconds, range: 1...300, key: "timeout")
        return settings
    }

    // MARK: DELETE / SETUP

    private func delete(_ context: CommandContext, _ auth: inout SMTPAuthConfiguration, index: Int) throws(DialogAbort) {
        let dialog = context.dialog
        let name = auth.profiles[index].name
        let users = context.configuration.listeners.filter { $0.smtpAuthProfile == name }.map(\.name)
        guard users.isEmpty else {
            let message = "The SMTP authentication profile \"\(name)\" is used by the listener "
                + "\(users.joined(separator: ", ")); choose another for it first (listenerconfig > EDIT > SMTPAUTH)."
            dialog.error(message)
            if dialog.mode == .batch { throw .invalidArgument("The SMTP authentication profile \"\(name)\" is in use.") }
            return
        }
        guard try dialog.yesNo("Are you sure you want to delete the SMTP authentication profile \"\(name)\"?",
                               default: false, key: "confirm") else { return }
        auth.profiles.remove(at: index)
        dialog.say("SMTP authentication profile \"\(name)\" deleted.")
    }

    private func clear(_ context: CommandContext, _ auth: inout SMTPAuthConfiguration) throws(DialogAbort) {
        let dialog = context.dialog
        let users = context.configuration.listeners.filter { $0.smtpAuthProfile != nil }.map(\.name)
        guard users.isEmpty else {
            dialog.error("The listener \(users.joined(separator: ", ")) uses an SMTP authentication profile; choose "
                + "none for it first (listenerconfig > EDIT > SMTPAUTH).")
            if dialog.mode == .batch { throw .invalidArgument("SMTP authentication profiles are in use.") }
            return
        }
        guard try dialog.yesNo("Are you sure you want to delete all SMTP authentication profiles?", default: false,
                               key: "confirm") else { return }
        auth.profiles = []
        dialog.say("All SMTP authentication profiles deleted.")
    }

    private func setup(_ dialog: Dialog, _ auth: inout SMTPAuthConfiguration) throws(DialogAbort) {
        auth.maxFailures = try dialog.number("Enter the number of failed attempts from one address before it is "
                                             + "disconnected:", default: auth.maxFailures, range: 1...1000,
                                             key: "max_failures")
        auth.failureDelayMilliseconds = try dialog.number(
            "Enter the delay, in milliseconds, before the first failure is answered (it doubles with each failure):",
            default: auth.failureDelayMilliseconds, range: 0...60_000, key: "failure_delay")
        auth.maxFailureDelayMilliseconds = try dialog.number(
            "Enter the longest delay, in milliseconds:", default: auth.maxFailureDelayMilliseconds, range: 0...300_000,
            key: "max_failure_delay")
        auth.failureWindowSeconds = try dialog.number(
            "Enter the time, in seconds, after which an address's failures are forgotten:",
            default: auth.failureWindowSeconds, range: 1...86_400, key: "failure_window")
    }
}

/// `HOST:PORT`, with brackets around an IPv6 address.
enum HostPortText {
    static func format(_ host: String, _ port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
