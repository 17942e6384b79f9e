import PosternConfig

/// HOSTACCESS > EDIT (asyncos-cli.md §2.6): a sender group's submenu, or a policy's
/// behaviour and parameters.
extension HostAccessEditor {
    func edit(_ table: inout HostAccessTable) throws(DialogAbort) {
        let kind = try dialog.choose("", items: ["Sender Group", "Policy"], default: 0, key: "kind",
                                     names: ["sendergroup", "policy"])
        if kind == 0 {
            guard !table.senderGroups.isEmpty else { dialog.error("No sender groups to edit."); return }
            guard let index = try dialog.pickItem("Enter the sender group number or name you wish to edit.",
                                                  names: table.senderGroups.map(\.name)) else { return }
            try editGroup(&table, index)
        } else {
            guard !table.policies.isEmpty else { dialog.error("No policies to edit."); return }
            guard let index = try dialog.pickItem("Enter the policy number or name you wish to edit.",
                                                  names: table.policies.map(\.name)) else { return }
            try editPolicy(&table, index)
        }
    }

    private func editPolicy(_ table: inout HostAccessTable, _ index: Int) throws(DialogAbort) {
        var policy = table.policies[index]
        dialog.show("\n" + HATText.render(HostAccessTable(defaultParameters: table.defaultParameters,
                                                            policies: [policy], senderGroups: [], all: .behavior(.accept)))
            .split(separator: "\n").dropLast(2).joined(separator: "\n"))
        policy.behavior = try chooseBehavior(current: policy.behavior)
        if try dialog.yesNo("Would you like to change the parameters for this policy?", default: dialog.hasOptions,
                            key: "change") {
            policy.overrides = try policyDialog(inherited: table.defaultParameters)
                .run(policy.overrides, base: table.defaultParameters)
        }
        table.policies[index] = policy
    }

    private func editGroup(_ table: inout HostAccessTable, _ index: Int) throws(DialogAbort) {
        while true {
            let group = table.senderGroups[index]
            dialog.show("\n" + render(group))
            guard let operation = try dialog.menu([
                MenuItem("NEW", "Add a new host."),
                MenuItem("DELETE", "Remove a host."),
                MenuItem("MOVE", "Reorder the hosts."),
                MenuItem("POLICY", "Change the policy settings and options."),
                MenuItem("PRINT", "Display the current definition."),
                MenuItem("RENAME", "Rename this sender group."),
            ]) else { return }
            switch operation {
            case "NEW":
                let entries = try dialog.ask(Formatting.senderHelp, default: nil, key: "hosts") { Formatting.senders($0) }
                for entry in entries {
                    if table.senderGroups[index].entries.contains(where: { $0.text.lowercased() == entry.text.lowercased() }) {
                        guard try dialog.yesNo("\(entry.text) is already in this sender group. Add anyway?",
                                               default: false, key: "duplicate") else { continue }
                    }
                    table.senderGroups[index].entries.append(entry)
                }
            case "DELETE":
                guard !group.entries.isEmpty else { dialog.error("This sender group has no hosts."); continue }
                guard let host = try dialog.pickItem("Enter the number or name of the host you wish to delete.",
                                                     names: group.entries.map(\.text)) else { continue }
                table.senderGroups[index].entries.remove(at: host)
            case "MOVE":
                guard group.entries.count > 1 else { dialog.error("There is nothing to move."); continue }
                guard let from = try dialog.pickItem("Enter the number or name of the host you wish to move.",
                                                     names: group.entries.map(\.text)) else { continue }
                let entry = table.senderGroups[index].entries.remove(at: from)
                let to = try dialog.number("Enter the position to move it to.", default: nil,
                                           range: 1...(table.senderGroups[index].entries.count + 1), key: "position")
                table.senderGroups[index].entries.insert(entry, at: to - 1)
            case "POLICY":
                table.senderGroups[index].action = try chooseAction(table, current: group.action)
                table.senderGroups[index].overrides = try groupParameters(
                    table, action: table.senderGroups[index].action, current: group.overrides)
                table.senderGroups[index].comment = try dialog.text("Enter a comment for this sender group.",
                                                                    default: group.comment, key: "comment")
            case "PRINT":
                dialog.say(render(table.senderGroups[index]))
            default:
                let taken = Set(table.senderGroups.map(\.name)).subtracting([group.name])
                table.senderGroups[index].name = try dialog.text("Enter the new name for this sender group.",
                                                                 key: "name", required: true) { answer in
                    ListenerConfigCommand.nameProblem(answer, taken: taken, what: "sender group")
                }
            }
        }
    }

    private func render(_ group: SenderGroup) -> String {
        var lines = ["\(group.name):"]
        lines += group.entries.map { "    \($0.text)" }
        lines.append("        \(group.action)" + (group.comment.isEmpty ? "" : " (\(group.comment))"))
        lines += HATText.keyValues(group.overrides ?? PolicyOverrides()).map { "            \($0.0) = \($0.1)" }
        return lines.joined(separator: "\n")
    }
}
