import PosternConfig

/// `smtproutes`: permanent routes, a domain (or `.partial`, or `ALL`) to hosts with
/// priorities, `USEDNS`, or `/dev/null`.
struct SMTPRoutesCommand: CLICommand {
    let name = "smtproutes"
    let summary = "Set up permanent domain redirections."
    let usage = """
        smtproutes
            NEW, EDIT, DELETE, PRINT, CLEAR.
        smtproutes new <domain> <host[:port][/pri=n],...|USEDNS|/dev/null>
        smtproutes edit <domain> <destinations>
        smtproutes delete <domain>
        smtproutes print
        """

    func run(_ context: CommandContext) throws(DialogAbort) -> CommandStatus {
        let dialog = context.dialog
        while true {
            let routes = context.configuration.delivery.routes
            dialog.show(routes.isEmpty ? "\nThere are no routes configured." : "\nThere are currently \(routes.count) routes configured.")
            guard let operation = try dialog.menu([
                MenuItem("NEW", "Create a new route."),
                MenuItem("EDIT", "Edit destinations of an existing route."),
                MenuItem("DELETE", "Remove a route."),
                MenuItem("PRINT", "Display all routes."),
                MenuItem("CLEAR", "Remove all routes."),
            ]) else { return .ok }
            switch operation {
            case "NEW":
                let taken = Set(routes.map(\.domain))
                let domain = try dialog.text("""
                    Enter the domain for which you want to set up a permanent route.
                    Partial hostnames such as ".example.com" are allowed.
                    Use "ALL" for the default route.
                    """, key: "domain", required: true) { answer in
                    if answer.uppercased() == "ALL" { return taken.contains("ALL") ? DialogError("The route ALL already exists.") : nil }
                    if taken.contains(answer.lowercased()) { return DialogError("The route \(answer) already exists; use EDIT.") }
                    return DestConfigCommand.domainProblem(answer)
                }
                let key = domain.uppercased() == "ALL" ? "ALL" : domain.lowercased()
                context.configuration.delivery.routes.append(SMTPRoute(domain: key, destinations: try destinations(dialog, key)))
                dialog.say("Route for \(key) created.")
            case "EDIT", "DELETE":
                guard !routes.isEmpty else { dialog.error("There are no routes."); continue }
                guard let index = try dialog.pickItem(
                    "Enter the domain of the route you wish to \(operation.lowercased()).",
                    names: routes.map(\.domain)) else { continue }
                if operation == "EDIT" {
                    context.configuration.delivery.routes[index].destinations = try destinations(dialog, routes[index].domain)
                } else {
                    context.configuration.delivery.routes.remove(at: index)
                    dialog.say("Route for \(routes[index].domain) deleted.")
                }
            case "PRINT":
                dialog.say(routes.isEmpty ? "There are no routes configured."
                    : routes.map { "\($0.domain) \($0.destinations.map(\.description).joined(separator: ", "))" }
                        .joined(separator: "\n"))
            default:
                if try dialog.yesNo("Are you sure you want to remove all routes?", default: false, key: "confirm") {
                    context.configuration.delivery.routes = []
                }
            }
        }
    }

    private func destinations(_ dialog: Dialog, _ domain: String) throws(DialogAbort) -> [RouteDestination] {
        try dialog.ask("""
            Enter the destination hosts, separated by commas, which you want mail for \(domain) to be delivered.
            Add a port with host:port and a priority with host/pri=10 (lower is tried first).
            Enter USEDNS by itself to use normal DNS resolution for this route.
            Enter /dev/null by itself if you wish to discard the mail.
            """, default: nil, key: "destinations") { answer -> Result<[RouteDestination], DialogError> in
            var out: [RouteDestination] = []
            for part in answer.split(separator: ",") where !part.trimmingWhitespace().isEmpty {
                switch RouteDestination.parse(String(part)) {
                case .success(let d): out.append(d)
                case .failure(let e): return .failure(DialogError(e.message))
                }
            }
            if out.isEmpty { return .failure(DialogError("Please enter a value.")) }
            if out.contains(.discard) && out.count > 1 { return .failure(DialogError("/dev/null must be used by itself.")) }
            return .success(out)
        }
    }
}

/// `bounceconfig`: the default bounce profile (queue lifetime, retry intervals, bounces on or off).
struct BounceConfigCommand: CLICommand {
    let name = "bounceconfig"
    let summary = "Configure how long mail is retried and whether bounces are sent."
    let usage = """
        bounceconfig
            Edits the default bounce profile.
        bounceconfig --max_time=<seconds> --initial_retry=<seconds> --max_retry=<seconds> --send_bounces=yes|no
        """

    func run(_ context: CommandContext) throws(DialogAbort) -> CommandStatus {
        let dialog = context.dialog
        var b = context.configuration.delivery.bounce
        dialog.show("\nDefault bounce profile:\n  Maximum time in queue: \(b.maxQueueLifetime) seconds\n"
            + "  Initial retry interval: \(b.initialRetryInterval) seconds\n"
            + "  Maximum retry interval: \(b.maxRetryInterval) seconds\n"
            + "  Send bounce messages: \(b.sendBounces ? "Yes" : "No")")
        b.maxQueueLifetime = try dialog.number("Enter the maximum number of seconds a message may stay in the queue.",
                                               default: b.maxQueueLifetime, range: 1...31_536_000, key: "max_time")
        b.initialRetryInterval = try dialog.number("Enter the number of seconds to wait before the first retry.",
                                                   default: b.initialRetryInterval, range: 1...86_400,
                                                   key: "initial_retry")
        b.maxRetryInterval = try dialog.number("Enter the maximum number of seconds to wait between retries.",
                                               default: max(b.maxRetryInterval, b.initialRetryInterval),
                                               range: b.initialRetryInterval...86_400, key: "max_retry")
        b.sendBounces = try dialog.yesNo("Do you want to send bounce messages?", default: b.sendBounces,
                                         key: "send_bounces")
        context.configuration.delivery.bounce = b
        return .ok
    }
}
