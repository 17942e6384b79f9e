import Foundation
import PosternControl
import PosternStore

/// `status`: what the engine serves, read from `run/status.json`.
struct StatusCommand: CLICommand {
    let name = "status"
    let summary = "Show the engine's state: the generation it serves, its listeners and counters."
    let takesArguments = false
    let usage = "status\n    Prints the engine's status; the data come from the engine's status file."

    func run(_ context: CommandContext) throws(DialogAbort) -> CommandStatus {
        let dialog = context.dialog
        let session = context.session
        dialog.say("Committed configuration: generation \(session.base.commit.generation)"
            + (session.hasChanges ? " (this session has uncommitted changes)" : ""))
        if let window = session.store.pendingConfirmation() {
            dialog.say("Generation \(window.generation) must be confirmed by \(CommitCommand.format(window.deadline)), "
                + "or generation \(window.previous) will be restored.")
        }
        guard session.engine.runningEnginePID() != nil, let status = EngineStatus.read(session.home) else {
            dialog.say("Engine: not running")
            return .ok
        }
        dialog.say("Engine: running (pid \(status.pid)), serving generation \(status.generation) since "
            + CommitCommand.format(status.appliedAt))
        if let reload = status.lastReload, reload.outcome == .rejected {
            dialog.say("Last reload: generation \(reload.generation) rejected at \(CommitCommand.format(reload.at)):")
            for problem in reload.problems { dialog.say("  \(problem)") }
        }
        dialog.say("Listeners:")
        for listener in status.listeners {
            let state = listener.state == .listening ? "listening" : "FAILED: \(listener.error ?? "unknown error")"
            dialog.say("  \(listener.name) \(listener.address) port \(listener.port): \(state)")
        }
        let c = status.counters
        dialog.say("Connections: \(c.connectionsOpen) open, \(c.connectionsAccepted) accepted, "
            + "\(c.connectionsRefused) refused")
        if c.connectionsRefusedForDescriptors > 0 {
            dialog.say("  \(c.connectionsRefusedForDescriptors) of them for lack of file descriptors (raise the engine's limit: "
                + "LimitNOFILE= in its service unit, or ulimit -n)")
        }
        dialog.say("TLS: \(Formatting.count(c.tlsSessions, "session")), "
            + "\(Formatting.count(c.tlsFailures, "failed handshake")), "
            + "\(Formatting.count(c.tlsErrors, "error")) after the handshake, "
            + "\(c.tlsUncleanCloses) closed without close_notify")
        let day = TLSReport.read(session.home).lastDay(now: Date())
        let total = TLSReport.sum(day)
        dialog.say("TLS in the last 24 hours: \(total.succeeded) succeeded, \(total.failed) failed")
        dialog.say("  Incoming: " + TLSReport.summary(total, .incoming))
        dialog.say("  Outgoing: " + TLSReport.summary(total, .outgoing))
        dialog.say("SMTP AUTH: \(c.authSuccesses) succeeded, \(c.authFailures) failed")
        dialog.say("Messages: \(c.messagesAccepted) accepted, \(Formatting.count(c.recipientsAccepted, "recipient")), "
            + "\(Formatting.count(c.recipientsRejected, "recipient")) refused (RAT or rate limit)")
        if let recovery = status.spoolRecovery, recovery.quarantinedBytes > 0 {
            dialog.say("Queue: damage found at start; \(recovery.quarantinedBytes) bytes after it were quarantined in "
                + recovery.quarantineFiles.map { "queue/quarantine/" + $0 }.joined(separator: ", ")
                + " (they may hold accepted mail; see Docs/reliability.md)")
        }
        if let rollback = status.automaticRollback {
            dialog.say("Automatic rollback at \(CommitCommand.format(rollback.at)): generation \(rollback.unconfirmed) was "
                + "not confirmed; generation \(rollback.restored) restored as generation \(rollback.generation).")
        }
        // One heading, then a line per older generation: sessions still on it, or when its
        // last one ended ("none" above a list of generations read as a contradiction).
        let older = status.sessionsByGeneration.filter { Int($0.key) != status.generation && $0.value > 0 }
        let drained = status.drainedAt.filter { older[$0.key] == nil }
        dialog.say("Sessions on older generations: " + (older.isEmpty ? "none" : "\(older.values.reduce(0, +))"))
        let byGeneration = { (a: (key: String, value: Int), b: (key: String, value: Int)) in
            (Int(a.key) ?? 0) < (Int(b.key) ?? 0)
        }
        for (generation, count) in older.sorted(by: byGeneration) {
            dialog.say("  generation \(generation): \(Formatting.count(count, "session")) still open")
        }
        for (generation, date) in drained.sorted(by: { (Int($0.key) ?? 0) < (Int($1.key) ?? 0) }) {
            dialog.say("  generation \(generation): its last session ended \(CommitCommand.format(date))")
        }
        return .ok
    }
}

/// `who`: the admins logged in now.
struct WhoCommand: CLICommand {
    let name = "who"
    let summary = "List the administrators logged in now."
    let takesArguments = false
    let usage = "who\n    One line per running CLI session: user, where from, since when, and how (terminal, pipe, batch)."

    func run(_ context: CommandContext) throws(DialogAbort) -> CommandStatus {
        let sessions = AdminSessions.list(context.home)
        context.dialog.say("Username".padding(toLength: 16, withPad: " ", startingAt: 0)
            + "From".padding(toLength: 18, withPad: " ", startingAt: 0) + "Since".padding(toLength: 30, withPad: " ",
                                                                                             startingAt: 0) + "Session")
        for s in sessions {
            let mine = s.pid == getpid() ? " (this one)" : ""
            context.dialog.say(s.user.padding(toLength: 16, withPad: " ", startingAt: 0)
                + s.source.padding(toLength: 18, withPad: " ", startingAt: 0)
                + CommitCommand.format(s.since).padding(toLength: 30, withPad: " ", startingAt: 0) + s.kind + mine)
        }
        return .ok
    }
}
