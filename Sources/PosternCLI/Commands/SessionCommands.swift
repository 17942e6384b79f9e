import Foundation
import PosternConfig
import PosternControl
import PosternRuntime
import PosternStore

/// `commit` (asyncos-cli.md §6.2): validate exactly as the engine will, write the new
/// generation atomically, signal the engine and wait to hear it applied.
struct CommitCommand: CLICommand {
    let name = "commit"
    let summary = "Commit pending configuration changes."
    let stagesChanges = false
    let usage = """
        commit
            Asks for a comment and commits the pending changes.
        commit "<comment>" Y
            Batch form: the comment, and Y to the rollback question.
        commit confirmed <minutes> ["<comment>" Y]
            Applies at once; unless 'commit' or 'confirm' follows within <minutes>, the engine
            restores the previous generation by itself.
        commit --check
            The same as commitcheck.
        commit --dry-run
            Serves the pending configuration on loopback (never on the live ports), probes
            every listener and sender group, and prints what senders will meet and what
            changes for whom; commits nothing. Exit status 1 when there is a warning.
        """

    func run(_ context: CommandContext) throws(DialogAbort) -> CommandStatus {
        let session = context.session
        let dialog = context.dialog
        if dialog.takeFlag("check") { return CommitCheckCommand.check(context) ? .ok : .failed }
        if dialog.takeFlag("dry-run") { return DryRun.run(context) ? .ok : .failed }
        var confirmWithin: Int?
        if dialog.takeArgument(if: { $0.lowercased() == "confirmed" }) != nil {
            confirmWithin = try dialog.number("Enter the number of minutes within which the commit must be confirmed.",
                                              default: 10, range: 1...1440, key: "minutes")
        }
        guard session.hasChanges else {
            dialog.discardArguments()
            if session.store.pendingConfirmation() != nil && confirmWithin == nil {
                return ConfirmCommand.confirm(context) ? .ok : .failed
            }
            dialog.say("There is no data to commit.")
            return .ok
        }
        let comment = try dialog.text("Please enter some comments describing your changes:", key: "comment")
        // No: the generation is still written to the history (every commit is), but
        // rollbackconfig does not offer it.
        // With rollback disabled (rollbackconfig SETUP) the question is not asked and nothing is
        // offered; a batch `Y` for it is still taken, so scripts keep working.
        let forRollback: Bool
        if session.pending.rollbackEnabled == false {
            _ = dialog.takeArgument { ["y", "yes", "n", "no"].contains($0.lowercased()) }
            _ = dialog.takeFlag("rollback")
            forRollback = false
        } else {
            forRollback = try dialog.yesNo("Do you want to save the current configuration for rollback?",
                                           default: true, key: "rollback")
        }
        // Words left over are an error found before anything is written (`commit "a" Y extra`).
        try dialog.finish()
        let home = session.home
        let record: CommitRecord
        do {
            if let fleet = session.fleetMember {
                guard confirmWithin == nil else {
                    dialog.error("commit confirmed is not available in a fleet: each member applies the commit by itself.")
                    return .failed
                }
                record = try fleet.commit(
                    home: home, configuration: session.pending, base: session.base.commit.generation, user: session.user,
                    source: session.source, comment: comment, check: { CompiledConfiguration.check($0, home: home) })
            } else {
                record = try session.store.commit(
                    session.pending, base: session.base.commit.generation, user: session.user, source: session.source,
                    comment: comment, confirmWithin: confirmWithin, forRollback: forRollback,
                    check: { CompiledConfiguration.check($0, home: home) })
            }
        } catch {
            dialog.error(error.description)
            if case .locked = error { return .failed }
            if case .conflict = error, try CommitCommand.offerRebase(context) { return .failed }
            if try dialog.yesNo("Are you ready to discard all of your changes?", default: false, key: "discard") {
                session.discardChanges()
                context.configuration = session.pending
                dialog.say("Your changes have been discarded.")
            } else if case .conflict = error {
                // The session stays on its old base: the next commit meets the same conflict and
                // offers the re-apply again.
                dialog.say("Your changes are still pending. Review them with 'showchanges'; 'commit' again offers "
                    + "to re-apply them on top of the new generation, and 'clear' drops them.")
            }
            return .failed
        }
        session.committed(ConfigDocument(commit: record, configuration: session.pending))
        context.configuration = session.pending
        dialog.say("\nChanges committed: \(CommitCommand.format(record.time))")
        if let minutes = confirmWithin {
            let deadline = record.time.addingTimeInterval(TimeInterval(minutes * 60))
            dialog.say("Confirm this commit within \(minutes) minute\(minutes == 1 ? "" : "s") (by "
                + "\(CommitCommand.format(deadline))) with 'commit' or 'confirm', or generation \(record.parent) "
                + "will be restored.")
        }
        if let fleet = session.fleetMember {
            // Bounded: a member that is down must not hold the admin's prompt.
            let progress = fleet.awaitMembers(home: home, generation: record.generation, timeout: .seconds(10)) { member in
                dialog.say("\(member.machine) has applied generation \(record.generation).")
            }
            dialog.say("\(progress.applied) of \(progress.members) members have applied generation \(record.generation).")
        }
        switch session.engine.reload(expecting: record.generation) {
        case .applied:
            // Applied, but a listener it asks for could not listen: the commit is not served as asked.
            let failed = EngineStatus.read(home)?.listeners.filter { $0.state == .failed } ?? []
            guard failed.isEmpty else {
                dialog.error("The engine applied generation \(record.generation), but not every listener is serving:")
                for listener in failed { dialog.error("  \(listener.name): \(listener.error ?? "unknown error")") }
                return .failed
            }
            return .ok
        case .notRunning:
            dialog.say("The engine is not running; it will serve generation \(record.generation) when it starts.")
            return .ok
        case .noAnswer:
            dialog.error("The engine has not reported generation \(record.generation) yet; see 'status'.")
            return .failed
        case .rejected(let problems):
            dialog.error("The engine did not apply generation \(record.generation) and keeps serving the previous one:")
            for problem in problems { dialog.error("  \(problem)") }
            return .failed
        }
    }

    /// After a conflict (DESIGN.md commit protocol step 3): offers to re-apply this session's
    /// edits on top of the newest generation, so the session leaves its stale base. True when
    /// they were re-applied (the admin reviews and commits again).
    static func offerRebase(_ context: CommandContext) throws(DialogAbort) -> Bool {
        let session = context.session
        let dialog = context.dialog
        guard let latest = try? session.store.load() else { return false }
        guard try dialog.yesNo("Do you want to re-apply your changes on top of generation "
                               + "\(latest.commit.generation)?", default: true, key: "reapply")
        else { return false }
        let merged: Configuration
        do {
            merged = try ConfigRebase.rebase(base: session.base.configuration, mine: session.pending,
                                             onto: latest.configuration)
        } catch {
            dialog.error("Your changes cannot be re-applied: \(error)")
            return false
        }
        session.rebase(onto: latest, pending: merged)
        context.configuration = merged
        dialog.say("Your changes were re-applied on top of generation \(latest.commit.generation). "
            + "Review them, then commit again.")
        return true
    }

    /// `Tue Sep 22 09:05:00 2026 CEST` (asyncos-cli.md §6.2, S14).
    static func format(_ date: Date) -> String {
        LocalTime.format(date, "%a %b %d %H:%M:%S %Y %Z")
    }
}

/// `clear` (asyncos-cli.md §6.3).
struct ClearCommand: CLICommand {
    var name = "clear"
    let summary = "Abandon all pending configuration changes."
    let usage = """
        clear
            Asks for confirmation, then discards every change made since the last commit.
        clear Y
            Batch form.
        """

    func run(_ context: CommandContext) throws(DialogAbort) -> CommandStatus {
        guard context.session.hasChanges else {
            context.dialog.discardArguments()
            context.dialog.say("No changes have been made since the last commit.")
            return .ok
        }
        if try context.dialog.yesNo("Are you sure you want to clear all changes since the last commit?",
                                    default: true, key: "confirm") {
            context.session.discardChanges()
            context.configuration = context.session.pending
            context.dialog.say("Changes cleared.")
        }
        return .ok
    }
}

/// `quit` and `exit` (asyncos-cli.md §6.5): never commit; ask when changes are pending.
struct ExitCommand: CLICommand {
    let name: String
    let summary = "Leave the command line, discarding uncommitted changes."
    var usage: String { "\(name)\n    Asks for confirmation when changes are pending; they are never committed." }

    func run(_ context: CommandContext) throws(DialogAbort) -> CommandStatus {
        if context.session.hasChanges && context.dialog.mode != .batch {
            let leave = try context.dialog.yesNo(
                "You have uncommitted changes. Are you sure you want to exit?", default: false, key: "confirm")
            if !leave { return .ok }
            context.session.discardChanges()
            context.configuration = context.session.pending
        }
        return .quit
    }
}

/// `help` and `help <command>` (asyncos-cli.md §8.4).
struct HelpCommand: CLICommand {
    let name = "help"
    let summary = "List the commands, or show how to use one."
    let stagesChanges = false
    let usage = "help\n    Lists the commands.\nhelp <command>\n    Shows the command's use and batch forms."

    func run(_ context: CommandContext) throws(DialogAbort) -> CommandStatus {
        let dialog = context.dialog
        if dialog.hasPendingArguments {
            let word = try dialog.text("Which command?", key: nil)
            guard case .found(let command) = CommandTable.lookup(word) else {
                dialog.error("Unknown command: \(word). Type 'help' for a list of commands.")
                return .failed
            }
            dialog.say("\(command.name) - \(command.summary)\n\n\(command.usage)")
            return .ok
        }
        let width = CommandTable.all.map(\.name.count).max() ?? 0
        for command in CommandTable.all.sorted(by: { $0.name < $1.name }) {
            dialog.say(command.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + command.summary)
        }
        return .ok
    }
}

