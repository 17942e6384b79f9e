import PosternConfig

/// `addresslistconfig` (AsyncOS Mail Policies > Address Lists): named lists of envelope
/// addresses that a mail flow policy with TLS Preferred can make TLS mandatory for.
struct AddressListConfigCommand: CLICommand {
    let name = "addresslistconfig"
    let summary = "Configure address lists."
    let usage = """
        addresslistconfig
            NEW, EDIT, DELETE, PRINT.
        addresslistconfig new <name> <address,address,...> [--description="..."]
        addresslistconfig edit <name> <address,address,...> [--description="..."]
        addresslistconfig delete <name>
        addresslistconfig print
            Entries: user@example.com, user@, @example.com, @.example.com (its subdomains), @[192.0.2.1].
        """

    func run(_ context: CommandContext) throws(DialogAbort) -> CommandStatus {
        let dialog = context.dialog
        while true {
            let lists = context.configuration.addressListsValue
            dialog.show(lists.isEmpty ? "\nNo address lists configured."
                : lists.count == 1 ? "\nThere is currently 1 address list configured."
                : "\nThere are currently \(lists.count) address lists configured.")
            guard let operation = try dialog.menu([
                MenuItem("NEW", "Create a new address list."),
                MenuItem("EDIT", "Modify an address list."),
                MenuItem("DELETE", "Remove an address list."),
                MenuItem("PRINT", "Display the address lists."),
            ]) else { return .ok }
            switch operation {
            case "NEW":
                let taken = Set(lists.map { $0.name.lowercased() })
                let name = try dialog.text("Enter a name for the address list.", key: "name", required: true) { answer in
                    if taken.contains(answer.lowercased()) {
                        return DialogError("The address list \(answer) already exists; use EDIT.")
                    }
                    return ConfigNames.isValid(answer) ? nil : DialogError(ConfigNames.rule)
                }
                // The addresses before the description: the batch form is `new <name> <addresses>`.
                let entries = try addresses(dialog, current: nil)
                let description = try dialog.text("Enter a description for the address list.", key: "description")
                context.configuration.addressListsValue.append(
                    AddressList(name: name, description: description, entries: entries))
                dialog.say("Address list \(name) created.")
            case "EDIT":
                guard !lists.isEmpty else { dialog.error("There are no address lists to edit."); continue }
                guard let index = try dialog.pickItem("Enter the name or number of the address list you wish to edit.",
                                                      names: lists.map(\.name)) else { continue }
                var list = lists[index]
                list.entries = try addresses(dialog, current: list.entries)
                list.description = try dialog.text("Enter a description for the address list.",
                                                   default: list.description, key: "description")
                context.configuration.addressListsValue[index] = list
                dialog.say("Address list \(list.name) changed.")
            case "DELETE":
                guard !lists.isEmpty else { dialog.error("There are no address lists to delete."); continue }
                guard let index = try dialog.pickItem("Enter the name or number of the address list you wish to delete.",
                                                      names: lists.map(\.name)) else { continue }
                let name = lists[index].name
                let users = context.configuration.addressListUsers(name)
                guard users.isEmpty else {
                    let message = "The address list \(name) is used by \(users.joined(separator: ", ")); "
                        + "choose another list there first."
                    if dialog.mode == .batch || dialog.hadArguments { throw .invalidArgument(message) }
                    dialog.error(message)
                    continue
                }
                context.configuration.addressListsValue.remove(at: index)
                dialog.say("Address list \(name) deleted.")
            default:
                dialog.say(AddressListConfigCommand.render(lists), terminator: "")
            }
        }
    }

    /// The entries, comma-separated; each read by the configuration's own rule.
    private func addresses(_ dialog: Dialog, current: [String]?) throws(DialogAbort) -> [String] {
        try dialog.ask("""
            Enter the addresses for this list, separated by commas. Full addresses such as
            user@example.com, partial addresses such as user@, domains such as @example.com,
            partial domains such as @.example.com and addresses such as @[192.0.2.1] are allowed.
            """, default: current?.joined(separator: ", "), key: "addresses") { answer -> Result<[String], DialogError> in
            var entries: [String] = []
            for part in answer.split(separator: ",") where !part.trimmingWhitespace().isEmpty {
                let text = part.trimmingWhitespace()
                do throws(AddressPatternError) { _ = try AddressPattern(parsing: text) } catch {
                    return .failure(DialogError(error.message))
                }
                if !entries.contains(where: { $0.lowercased() == text.lowercased() }) { entries.append(text) }
            }
            return entries.isEmpty ? .failure(DialogError("Please enter a value.")) : .success(entries)
        }
    }

    /// PRINT: each list, its description and its addresses.
    static func render(_ lists: [AddressList]) -> String {
        guard !lists.isEmpty else { return "No address lists configured.\n" }
        var lines: [String] = []
        for list in lists {
            lines.append("\(list.name):" + (list.description.isEmpty ? "" : " \(list.description)"))
            lines += list.entries.map { "    \($0)" }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
