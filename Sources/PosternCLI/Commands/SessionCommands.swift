import Foundation
import PosternConfig
import PosternStore

/// `commit` (asyncos-cli.md §6.2): validate exactly as the engine will, write the new
/// generation atomically, signal the engine and wait to hear it applied.
struct CommitCommand: CLICommand {
    let name = "commit"
    let summary = "Commit pending configuration changes."
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
        """

    func run(_ context: CommandContext) throws(DialogAbort) -> CommandStatus {
        let session = context.session
        let dialog = context.dialog
        if dialog.takeFlag("check") { return CommitCheckCommand.check(context) ? .ok : .failed }
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
        // Every generation is kept (config/history), so the answer changes nothing; the
        // question stays because scripts answer it (`commit "…" Y`).
        _ = try dialog.yesNo("Do you want to save the current configuration for rollback?", default: true,
                             key: "rollback")
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
                    comment: comment, confirmWithin: confirmWithin, check: { CompiledConfiguration.check($0, home: home) })
            }
        } catch {
            dialog.error(error.description)
            if case .locked = error { return .failed }
            if try dialog.yesNo("Are you ready to discard all of your changes?", default: false, key: "discard") {
                session.discardChanges()
                context.configuration = session.pending
                dialog.say("Your changes have been discarded.")
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
        for command in CommandTable.all {
            dialog.say(command.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + command.summary)
        }
        return .ok
    }
}

