import Foundation
import PosternConfig
import PosternStore

/// `listenerconfig > EDIT > HOSTACCESS` (asyncos-cli.md §2): the Default Policy Parameters,
/// the counts, and NEW, EDIT, DELETE, MOVE, DEFAULT, PRINT, IMPORT, EXPORT, RESET.
struct HostAccessEditor {
    let context: CommandContext
    let listener: Listener

    var dialog: Dialog { context.dialog }
    var usesDemoCertificate: Bool { listener.certificate == nil }

    /// The §2.5 dialog for this listener; `inherited` is nil for the Default Policy Parameters.
    func policyDialog(inherited: PolicyParameters?) -> PolicyDialog {
        var policy = PolicyDialog(dialog: dialog, inherited: inherited, usesDemoCertificate: usesDemoCertificate)
        policy.addressLists = context.configuration.addressListsValue.map(\.name)
        return policy
    }

    func run(_ table: inout HostAccessTable) throws(DialogAbort) {
        while true {
            dialog.show("\n" + PolicySummary.lines(table.defaultParameters).joined(separator: "\n"))
            dialog.show("\nThere are currently \(table.policies.count) policies defined.\n"
                + "There are currently \(table.senderGroups.count) sender groups.")
            guard let operation = try dialog.menu([
                MenuItem("NEW", "Create a new entry."),
                MenuItem("EDIT", "Modify an entry."),
                MenuItem("DELETE", "Remove an entry."),
                MenuItem("MOVE", "Move an entry."),
                MenuItem("DEFAULT", "Set the defaults."),
                MenuItem("PRINT", "Display the table."),
                MenuItem("IMPORT", "Import a table from a file."),
                MenuItem("EXPORT", "Export the table to a file."),
                MenuItem("RESET", "Remove senders and set policies to system default."),
            ]) else { return }
            switch operation {
            case "NEW": try new(&table)
            case "EDIT": try edit(&table)
            case "DELETE": try delete(&table)
            case "MOVE": try move(&table)
            case "DEFAULT":
                let policy = policyDialog(inherited: nil)
                let all = table.defaultParameters.resolved(with: PolicyOverrides())
                table.defaultParameters = all.resolved(with: try policy.run(PolicyOverrides(), base: all))
            case "PRINT": dialog.say(HATText.render(table), terminator: "")
            case "IMPORT": try importTable(&table)
            case "EXPORT": try exportTable(table)
            default: try reset(&table)
            }
        }
    }

    // MARK: NEW (§2.6)

    private func new(_ table: inout HostAccessTable) throws(DialogAbort) {
        let kind = try dialog.choose("", items: ["New Sender Group", "New Policy"], default: 0, key: "kind",
                                     names: ["sendergroup", "policy"])
        if kind == 0 {
            let taken = Set(table.senderGroups.map(\.name))
            let name = try dialog.text("Enter a name for this sender group.", key: "name", required: true) { answer in
                answer.uppercased() == "ALL" ? DialogError("The value cannot be ALL.")
                    : ListenerConfigCommand.nameProblem(answer, taken: taken, what: "sender group")
            }
            let entries = try dialog.ask(Formatting.senderHelp, default: nil, key: "hosts") { Formatting.senders($0) }
            let action = try chooseAction(table, current: nil)
            let overrides = try groupParameters(table, action: action, current: nil)
            let comment = try dialog.text("Enter a comment for this sender group.", key: "comment")
            table.senderGroups.insert(SenderGroup(name: name, entries: entries, action: action, comment: comment,
                                                  overrides: overrides), at: 0)
            dialog.say("Sender group \(name) was added first in the table (\(table.senderGroups.count) sender groups); "
                + "use MOVE to change its place.")
        } else {
            let taken = Set(table.policies.map(\.name))
            let name = try dialog.text("Enter the name for this policy:", key: "name", required: true) { answer in
                ListenerConfigCommand.nameProblem(answer.hasPrefix("$") ? String(answer.dropFirst()) : answer,
                                                  taken: taken, what: "policy")
            }
            let policyName = name.hasPrefix("$") ? String(name.dropFirst()) : name
            let behavior = try chooseBehavior(current: .accept)
            var policy = MailFlowPolicy(name: policyName, behavior: behavior)
            if try dialog.yesNo("Would you like to change the parameters for this policy?", default: dialog.hasOptions,
                                key: "change") {
                policy.overrides = try policyDialog(inherited: table.defaultParameters)
                    .run(PolicyOverrides(), base: table.defaultParameters)
            }
            table.policies.append(policy)
            dialog.say("Policy $\(policyName) created.")
        }
    }

    /// `Select a behavior for this entry.`: the inline behaviours, then every policy.
    func chooseAction(_ table: HostAccessTable, current: SenderGroupAction?) throws(DialogAbort) -> SenderGroupAction {
        let behaviors = Behavior.allCases
        let items = behaviors.map(\.label) + table.policies.map { "Policy: \($0.name)" }
        let actions = behaviors.map { SenderGroupAction.behavior($0) } + table.policies.map { .policy($0.name) }
        let currentIndex = current.flatMap { actions.firstIndex(of: $0) } ?? 0
        let listing = (["Select a behavior for this entry."] + items.enumerated().map { "\($0.offset + 1). \($0.element)" })
            .joined(separator: "\n")
        return try dialog.ask(listing, default: String(currentIndex + 1), key: "behavior",
                              choices: actions.map(\.description)) { answer in
            if let number = Int(answer) {
                guard (1...items.count).contains(number) else {
                    return .failure(DialogError("Value must be between 1 and \(items.count)."))
                }
                return .success(actions[number - 1])
            }
            let bare = answer.hasPrefix("$") ? String(answer.dropFirst()) : answer
            if answer.hasPrefix("$") || !bare.isEmpty && table.policy(named: bare) != nil && Behavior(keyword: bare) == nil {
                guard table.policy(named: bare) != nil else {
                    return .failure(DialogError("That value is not valid: there is no policy $\(bare)."))
                }
                return .success(.policy(bare))
            }
            return Dialog.pick(answer, from: items).map { actions[$0] }
        }
    }

    /// `Would you like to change the policy parameters?` after a sender group's behaviour
    /// (asyncos-cli.md §2.6): Y walks §2.5 with the action's parameters as what is inherited,
    /// and the answers become the group's own. CONTINUE has no parameters to change.
    func groupParameters(_ table: HostAccessTable, action: SenderGroupAction, current: PolicyOverrides?)
        throws(DialogAbort) -> PolicyOverrides?
    {
        guard action != .behavior(.continue), let base = table.resolve(action)?.parameters else { return nil }
        guard try dialog.yesNo("Would you like to change the policy parameters?", default: dialog.hasOptions,
                               key: "change") else { return current }
        let overrides = try policyDialog(inherited: base)
            .run(current ?? PolicyOverrides(), base: base)
        return overrides.isEmpty ? nil : overrides
    }

    func chooseBehavior(current: Behavior) throws(DialogAbort) -> Behavior {
        let behaviors = Behavior.allCases.filter { $0 != .continue }
        let index = try dialog.choose("Select a behavior for this policy.", items: behaviors.map(\.label),
                                      default: behaviors.firstIndex(of: current), key: "behavior",
                                      names: behaviors.map(\.rawValue))
        return behaviors[index]
    }

    // MARK: DELETE, MOVE (§2.6)

    private func delete(_ table: inout HostAccessTable) throws(DialogAbort) {
        let kind = try dialog.choose("", items: ["Sender Group", "Policy"], default: 0, key: "kind",
                                     names: ["sendergroup", "policy"])
        if kind == 0 {
            guard !table.senderGroups.isEmpty else { dialog.error("There are no sender groups to delete."); return }
            guard let index = try dialog.pickItem("Enter the name or number of the sender group you wish to delete.",
                                                  names: table.senderGroups.map(\.name)) else { return }
            let name = table.senderGroups.remove(at: index).name
            dialog.say("Sender group \(name) deleted.")
            return
        }
        guard !table.policies.isEmpty else { dialog.error("There are no policies to delete."); return }
        guard let index = try dialog.pickItem("Enter the name or number of the policy you wish to delete.",
                                              names: table.policies.map(\.name)) else { return }
        let name = table.policies[index].name
        let users = table.senderGroups.filter { $0.action == .policy(name) }.map(\.name)
        let usedByAll = table.all == .policy(name)
        if usedByAll {
            dialog.error("The policy $\(name) is the policy of ALL; give ALL another policy before deleting it.")
            return
        }
        if !users.isEmpty {
            dialog.error("WARNING: the policy $\(name) is used by the sender groups \(users.joined(separator: ", ")); "
                + "deleting it deletes them too.")
            guard try dialog.yesNo("Do you want to continue?", default: false, key: "confirm") else { return }
            table.senderGroups.removeAll { users.contains($0.name) }
        }
        table.policies.remove(at: index)
        dialog.say("Policy $\(name) deleted.")
    }

    private func move(_ table: inout HostAccessTable) throws(DialogAbort) {
        guard table.senderGroups.count > 1 else { dialog.error("There is nothing to move."); return }
        guard let from = try dialog.pickItem("Enter the name or number of the sender group you wish to move.",
                                             names: table.senderGroups.map(\.name)) else { return }
        let group = table.senderGroups.remove(at: from)
        let others = table.senderGroups.map(\.name)
        let listing = others.enumerated().map { "\($0.offset + 1). \($0.element)" } + ["\(others.count + 1). (the end)"]
        let to = try dialog.ask((listing + ["Enter the name or number of the sender group to insert it before."])
                                    .joined(separator: "\n"), default: nil, key: "before") { answer in
            Dialog.pick(answer, from: others + ["end"])
        }
        table.senderGroups.insert(group, at: to)
        dialog.say("Sender group \(group.name) is now group \(to + 1) of \(table.senderGroups.count).")
    }

    // MARK: IMPORT, EXPORT, RESET (§2.7)

    private func file(_ verb: String) throws(DialogAbort) -> URL {
        try dialog.requiredConfigurationFile("Enter the name of the file to \(verb):", home: context.home)
    }

    private func importTable(_ table: inout HostAccessTable) throws(DialogAbort) {
        let url = try file("import")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            dialog.error("The file \"\(url.path)\" does not exist or cannot be read.")
            if dialog.mode == .batch { throw .invalidArgument("The hostaccess \"import\" command could not read \(url.path).") }
            return
        }
        do {
            let imported = try HATText.parse(text, defaults: table.defaultParameters)
            var problems: [ConfigProblem] = []
            var probe = context.configuration
            if let i = probe.listenerIndex(named: listener.name) {
                probe.listeners[i].hostAccess = imported
                problems = probe.validate().filter { $0.path.hasPrefix("listeners[\(listener.name)].hostAccess") }
            }
            guard problems.isEmpty else {
                for problem in problems { dialog.error(problem.description) }
                if dialog.mode == .batch { throw DialogAbort.invalidArgument("The table in \(url.path) was not imported.") }
                return
            }
            table = imported
            dialog.say("The Host Access Table was imported from \(url.path) "
                + "(\(imported.policies.count) policies, \(imported.senderGroups.count) sender groups).")
        } catch let error as HATTextError {
            dialog.error("\(url.path): \(error)")
            if dialog.mode == .batch { throw .invalidArgument("The table in \(url.path) was not imported.") }
        } catch let abort as DialogAbort {
            throw abort
        } catch {
            dialog.error("\(error)")
        }
    }

    private func exportTable(_ table: HostAccessTable) throws(DialogAbort) {
        let url = try file("export")
        do {
            try ("# Host Access Table of listener \(listener.name), exported by Postern\n" + HATText.render(table))
                .write(to: url, atomically: true, encoding: .utf8)
            dialog.say("The Host Access Table was exported to \(url.path).")
        } catch {
            dialog.error("The file \"\(url.path)\" cannot be written: \(error.localizedDescription)")
            if dialog.mode == .batch { throw .invalidArgument("The hostaccess \"export\" command failed.") }
        }
    }

    private func reset(_ table: inout HostAccessTable) throws(DialogAbort) {
        guard try dialog.yesNo("Are you sure you want to remove all senders and set the policies to the system "
                               + "default?", default: false, key: "confirm") else { return }
        let defaults = table.defaultParameters
        table = listener.type == .private ? FactoryDefaults.privateHostAccess(relayFor: []) : FactoryDefaults.publicHostAccess
        table.defaultParameters = defaults
        dialog.say("The Host Access Table was reset.")
    }
}

extension Dialog {
    /// A result printed as it is (tables that end in their own newline).
    func say(_ text: String, terminator: String) {
        output.write(text + terminator)
    }
}
