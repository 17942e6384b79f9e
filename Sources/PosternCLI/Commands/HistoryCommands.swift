import Foundation
import PosternConfig
import PosternRuntime
import PosternStore

/// `commitcheck` (and `commit --check`): the engine's own check of the pending configuration.
struct CommitCheckCommand: CLICommand {
    let name = "commitcheck"
    let summary = "Check the pending configuration exactly as the engine would, without committing."
    let usage = """
        commitcheck
            Prints every problem with its path, or `The configuration is valid.`
        commitcheck --probe
            Also serves the pending configuration on loopback and probes it (see commit --dry-run).
        """

    func run(_ context: CommandContext) throws(DialogAbort) -> CommandStatus {
        if context.dialog.takeFlag("probe") { return DryRun.run(context) ? .ok : .failed }
        try context.dialog.finish()
        return CommitCheckCommand.check(context) ? .ok : .failed
    }

    static func check(_ context: CommandContext) -> Bool {
        var problems = CompiledConfiguration.check(context.configuration, home: context.home)
        // In a fleet, one that `commit` would refuse for its size is refused here too.
        if FleetSettings.load(context.home) != nil,
            let problem = FleetLimits.sizeProblem(of: context.configuration, home: context.home)
        {
            problems.append(problem)
        }
        if problems.isEmpty {
            context.dialog.say("The configuration is valid.")
            warnAboutAddresses(context)
            return true
        }
        for problem in problems { context.dialog.error(problem.description) }
        return false
    }

    /// Valid, but not servable here: an interface whose address this host does not have.
    static func warnAboutAddresses(_ context: CommandContext) {
        for interface in LocalAddresses.missing(in: context.configuration) {
            context.dialog.say("Warning: interface \(interface.name) has the address \(interface.address), which is not "
                + "configured on this host; its listeners will not be able to listen there.")
        }
    }
}

/// `confirm`: keeps a `commit confirmed` from being rolled back.
struct ConfirmCommand: CLICommand {
    let name = "confirm"
    let summary = "Confirm a 'commit confirmed' so that it is not rolled back."
    let takesArguments = false
    let usage = "confirm\n    Confirms the commit waiting for confirmation (a plain `commit` with nothing pending does too)."

    func run(_ context: CommandContext) throws(DialogAbort) -> CommandStatus {
        ConfirmCommand.confirm(context) ? .ok : .failed
    }

    static func confirm(_ context: CommandContext) -> Bool {
        do {
            guard let window = try context.session.store.confirm() else {
                context.dialog.say("There is no commit waiting for confirmation.")
                return true
            }
            context.dialog.say("Generation \(window.generation) confirmed; it will not be rolled back.")
            return true
        } catch {
            context.dialog.error(error.description)
            return false
        }
    }
}

/// `rollbackconfig` (asyncos-cli.md §6.4): ROLLBACK stages an earlier generation; SETUP sets
/// how many generations the history keeps.
struct RollbackConfigCommand: CLICommand {
    let name = "rollbackconfig"
    let summary = "Revert to a previously committed configuration."
    let usage = """
        rollbackconfig
            ROLLBACK lists the last 10 committed generations and stages the one chosen; commit applies it.
            SETUP enables or disables rollback, and sets how many generations are kept (0: all).
        rollbackconfig rollback <generation> Y
        rollbackconfig setup [enable|disable] [<count>]
        """

    func run(_ context: CommandContext) throws(DialogAbort) -> CommandStatus {
        let dialog = context.dialog
        while true {
            guard let operation = try dialog.menu([
                MenuItem("ROLLBACK", "Revert to a previously committed configuration."),
                MenuItem("SETUP", "Enable or disable rollback, and set how many configurations are kept."),
            ]) else { return .ok }
            if operation == "SETUP" {
                try setup(context)
                continue
            }
            guard context.configuration.rollbackEnabled != false else {
                dialog.error("Rollback Configuration is disabled; enable it with rollbackconfig SETUP.")
                if dialog.mode == .batch || dialog.hadArguments {
                    throw .invalidArgument("There is nothing to roll back to while rollback is disabled.")
                }
                continue
            }
            let records = Array(context.session.store.history().filter(\.offeredForRollback).suffix(10).reversed())
            guard !records.isEmpty else { dialog.error("There is no committed configuration to revert to."); continue }
            let lines = records.map { RollbackConfigCommand.line($0) }
            // Enter goes back to the menu (a choice without a default, asyncos-cli.md l.1040).
            let chosen = try dialog.ask((lines + ["Enter the number of the config to revert to."])
                .joined(separator: "\n"), prompt: "[]> ", default: dialog.mode == .batch ? nil : "",
                key: "generation") { answer -> Result<Int?, DialogError> in
                if answer.isEmpty { return .success(nil) }
                guard let generation = Int(answer), let i = records.firstIndex(where: { $0.generation == generation })
                else { return .failure(DialogError("That value is not valid: enter one of the generation numbers listed.")) }
                return .success(i)
            }
            guard let index = chosen else { continue }
            let record = records[index]
            guard try dialog.confirmation("Are you sure you want to revert to generation \(record.generation)?",
                                          default: false, key: "confirm",
                                          declined: "Generation \(record.generation) was not staged.") else { continue }
            do {
                context.configuration = try context.session.store.load(generation: record.generation).configuration
            } catch {
                dialog.error(error.description)
                continue
            }
            dialog.say("Generation \(record.generation) is now pending; use 'commit' to apply it, 'showchanges' to review it.")
        }
    }

    /// SETUP: `Rollback Configuration: Enabled|Disabled` (asyncos-cli.md §11), whether to keep it
    /// so, then how many generations the history keeps. Disabled, commit no longer asks to save
    /// for rollback (nothing is offered) and ROLLBACK says rollback is off.
    private func setup(_ context: CommandContext) throws(DialogAbort) {
        let dialog = context.dialog
        let enabled = context.configuration.rollbackEnabled ?? true
        dialog.show("\nRollback Configuration: \(enabled ? "Enabled" : "Disabled")")
        let wanted: Bool
        if let word = dialog.takeArgument(if: { ["enable", "disable"].contains($0.lowercased()) }) {
            wanted = word.lowercased() == "enable"
        } else if dialog.hadArguments && !dialog.optionsGiven.contains("enable") {
            wanted = enabled  // `rollbackconfig setup 5`: the count alone
        } else {
            wanted = try dialog.yesNo("Do you want to enable rollback configuration?", default: enabled, key: "enable")
        }
        context.configuration.rollbackEnabled = wanted ? nil : false
        if wanted != enabled { dialog.say("Rollback Configuration: \(wanted ? "Enabled" : "Disabled")") }
        context.configuration.historyRetention = try dialog.ask(
            "Enter the number of committed configurations to keep (0 keeps all).",
            default: String(context.configuration.historyRetention), key: "count") { answer in
                guard let n = Int(answer), n == 0 || (2...1_000_000).contains(n) else {
                    return .failure(DialogError("Value must be 0, or between 2 and 1000000."))
                }
                return .success(n)
            }
    }

    /// `5  Sun Nov 29 10:00:00 2026 UTC  admin (192.0.2.7)  enabled TLS`.
    static func line(_ record: CommitRecord) -> String {
        "\(record.generation). \(CommitCommand.format(record.time))  \(record.user) (\(record.source))  \(record.comment)"
    }
}

/// `commitdetail [N]`: who, when, from where and why, and what changed against the parent.
struct CommitDetailCommand: CLICommand {
    let name = "commitdetail"
    let summary = "Show the details of a commit (the last one by default)."
    let stagesChanges = false
    let usage = "commitdetail [<generation>] [--unified]\n    Who, when, from where, the comment, and the changes against its parent."

    func run(_ context: CommandContext) throws(DialogAbort) -> CommandStatus {
        let dialog = context.dialog
        let store = context.session.store
        let unified = dialog.takeFlag("unified")
        let latest = (try? store.load())?.commit.generation ?? 0
        let generation = try dialog.number("Enter the generation to show.", default: latest, range: 1...max(1, latest),
                                           key: "generation")
        try dialog.finish()
        let document: ConfigDocument
        do { document = try store.load(generation: generation) } catch {
            dialog.error("Generation \(generation) is not in the history.")
            return .failed
        }
        let c = document.commit
        dialog.say("Generation: \(c.generation)\nParent: \(c.parent)\nCommitted: \(CommitCommand.format(c.time))\n"
            + "User: \(c.user)\nFrom: \(c.source)\nComment: \(c.comment)")
        guard c.parent > 0, let parent = try? store.load(generation: c.parent) else {
            dialog.say("\n(No parent generation in the history to compare with.)")
            return .ok
        }
        dialog.say("\nChanges:")
        dialog.say(Changes.render(from: parent.configuration, to: document.configuration, unified: unified,
                                  names: ("generation \(c.parent)", "generation \(c.generation)")))
        return .ok
    }
}

/// `showchanges [N | M N] [--unified]`: pending against committed; generation N against its
/// parent; or generation M against generation N.
struct ShowChangesCommand: CLICommand {
    let name = "showchanges"
    let summary = "Show changes: pending against committed, or between generations."
    let stagesChanges = false
    let usage = """
        showchanges [--unified]
            What this session changed since its last commit.
        showchanges <N> [--unified]
            What generation N changed against its parent.
        showchanges <M> <N> [--unified]
            From generation M to generation N.
        """

    func run(_ context: CommandContext) throws(DialogAbort) -> CommandStatus {
        let dialog = context.dialog
        let store = context.session.store
        let unified = dialog.takeFlag("unified")
        let numbers = [dialog.takeArgument { Int($0) != nil }, dialog.takeArgument { Int($0) != nil }].compactMap { $0 }
            .compactMap(Int.init)
        try dialog.finish()
        let from: Configuration
        let to: Configuration
        let names: (String, String)
        do {
            switch numbers.count {
            case 0:
                from = context.session.base.configuration
                to = context.configuration
                names = ("generation \(context.session.base.commit.generation)", "pending")
            case 1:
                let document = try store.load(generation: numbers[0])
                from = try store.load(generation: document.commit.parent).configuration
                to = document.configuration
                names = ("generation \(document.commit.parent)", "generation \(numbers[0])")
            default:
                from = try store.load(generation: numbers[0]).configuration
                to = try store.load(generation: numbers[1]).configuration
                names = ("generation \(numbers[0])", "generation \(numbers[1])")
            }
        } catch {
            dialog.error("That generation is not in the history.")
            return .failed
        }
        if numbers.isEmpty && from == to {
            dialog.say("No changes have been made since the last commit.")
            return .ok
        }
        dialog.say(Changes.render(from: from, to: to, unified: unified, names: names))
        return .ok
    }
}

/// The two forms of a configuration diff.
enum Changes {
    static func render(from: Configuration, to: Configuration, unified: Bool, names: (String, String)) -> String {
        if unified {
            let old = (try? CanonicalJSON.encode(from)).map { String(decoding: $0, as: UTF8.self) } ?? ""
            let new = (try? CanonicalJSON.encode(to)).map { String(decoding: $0, as: UTF8.self) } ?? ""
            let diff = UnifiedDiff.render(old: old, new: new, oldName: names.0, newName: names.1)
            return diff.isEmpty ? "No differences." : diff
        }
        let changes = ConfigDiff.changes(from: from, to: to)
        return changes.isEmpty ? "No differences." : ChangeWords.render(changes)
    }
}
