import Foundation
import PosternConfig

/// `listenerconfig > EDIT > RCPTACCESS` (asyncos-cli.md §2.8): the Recipient Access Table.
/// Text form (PRINT, EXPORT, IMPORT): one `<address> <ACCEPT|REJECT> [<code> "<text>"]` per
/// line, `ALL <action>` last, `#` comments.
struct RecipientAccessEditor {
    let context: CommandContext

    private var dialog: Dialog { context.dialog }

    func run(_ table: inout RecipientAccessTable) throws(DialogAbort) {
        while true {
            dialog.show("\nThere are currently \(table.entries.count) entries in the Recipient Access Table "
                + "(and ALL: \(table.all.rawValue)).")
            guard let operation = try dialog.menu([
                MenuItem("NEW", "Create a new entry."),
                MenuItem("EDIT", "Modify an entry."),
                MenuItem("DELETE", "Remove an entry."),
                MenuItem("MOVE", "Move an entry."),
                MenuItem("PRINT", "Display a table."),
                MenuItem("IMPORT", "Import a table from a file."),
                MenuItem("EXPORT", "Export a table to a file."),
                MenuItem("CLEAR", "Remove all entries."),
            ]) else { return }
            switch operation {
            case "NEW":
                let pattern = try askPattern(existing: table.entries.map(\.pattern.text))
                let entry = try askEntry(pattern, current: nil)
                // First match wins: behind a broader entry the new one would never match.
                let at = table.insertionIndex(for: pattern)
                table.entries.insert(entry, at: at)
                if at < table.entries.count - 1 {
                    dialog.say("\(pattern.text) was placed before the broader entry \(table.entries[at + 1].pattern.text) "
                        + "(entry \(at + 1) of \(table.entries.count)); use MOVE to change that.")
                }
            case "MOVE":
                guard table.entries.count > 1 else { dialog.error("There is nothing to move."); continue }
                guard let from = try pick(table, "move") else { continue }
                let entry = table.entries.remove(at: from)
                let to = try dialog.number("Enter the position to move it to.", default: from + 1,
                                           range: 1...(table.entries.count + 1), key: "position")
                table.entries.insert(entry, at: to - 1)
                if let broader = table.entries[..<(to - 1)].first(where: { $0.pattern.covers(entry.pattern) }) {
                    dialog.error("Warning: \(entry.pattern.text) is now behind the broader entry "
                        + "\(broader.pattern.text), so it will never match.")
                }
            case "EDIT":
                guard let i = try pick(table, "edit") else { continue }
                table.entries[i] = try askEntry(table.entries[i].pattern, current: table.entries[i])
            case "DELETE":
                guard let i = try pick(table, "delete") else { continue }
                table.entries.remove(at: i)
            case "PRINT":
                dialog.say("Recipient Access Table\n" + RecipientAccessText.render(table), terminator: "")
            case "IMPORT":
                let url = try dialog.requiredConfigurationFile("Enter the name of the file to import:",
                                                               home: context.home)
                guard let text = try? String(contentsOf: url, encoding: .utf8) else {
                    dialog.error("The file \"\(url.path)\" does not exist or cannot be read.")
                    if dialog.mode == .batch { throw .invalidArgument("The rcptaccess import failed.") }
                    continue
                }
                switch RecipientAccessText.parse(text) {
                case .success(let imported):
                    // The same rules as commit and the engine: `REJECT 250` must not come in.
                    let problems = imported.problems()
                    guard problems.isEmpty else {
                        for problem in problems { dialog.error("\(url.lastPathComponent): \(problem)") }
                        if dialog.mode == .batch { throw .invalidArgument("The rcptaccess import failed.") }
                        continue
                    }
                    table = imported
                    dialog.say("The Recipient Access Table was imported from \(url.path) (\(imported.entries.count) entries).")
                case .failure(let error):
                    dialog.error("\(url.path): \(error.text)")
                    if dialog.mode == .batch { throw .invalidArgument("The rcptaccess import failed.") }
                }
            case "EXPORT":
                let url = try dialog.requiredConfigurationFile("Enter the name of the file to export:",
                                                               home: context.home)
                do {
                    try RecipientAccessText.render(table).write(to: url, atomically: true, encoding: .utf8)
                    dialog.say("The Recipient Access Table was exported to \(url.path).")
                } catch {
                    dialog.error("The file \"\(url.path)\" cannot be written.")
                    if dialog.mode == .batch { throw .invalidArgument("The rcptaccess export failed.") }
                }
            default:
                let action = try dialog.choose("Select the default action for the remaining ALL entry.",
                                               items: ["Accept", "Reject"], default: 1, key: "action")
                table = RecipientAccessTable(entries: [], all: action == 0 ? .accept : .reject)
            }
        }
    }

    private func pick(_ table: RecipientAccessTable, _ verb: String) throws(DialogAbort) -> Int? {
        guard !table.entries.isEmpty else {
            dialog.error("There are no entries to \(verb).")
            return nil
        }
        return try dialog.pickItem("Enter the number or address of the entry you wish to \(verb).",
                                   names: table.entries.map(\.pattern.text))
    }

    private func askPattern(existing: [String]) throws(DialogAbort) -> RecipientPattern {
        try dialog.ask("""
            Enter the recipient address for this entry.
            Hostnames such as "example.com" are allowed.
            Partial hostnames such as ".example.com" are allowed.
            Usernames such as "postmaster@" are allowed.
            Full email addresses such as "joe@example.com" or "joe@[1.2.3.4]" are allowed.
            """, default: nil, key: "address") { answer in
            if existing.contains(where: { $0.lowercased() == answer.lowercased() }) {
                return .failure(DialogError("The value is already in the table; use EDIT to change it."))
            }
            do throws(SenderEntryError) { return .success(try RecipientPattern(parsing: answer)) } catch {
                return .failure(DialogError(error.message))
            }
        }
    }

    private func askEntry(_ pattern: RecipientPattern, current: RecipientAccessEntry?) throws(DialogAbort)
        -> RecipientAccessEntry
    {
        let action = try dialog.choose("Select the action to apply to this address.", items: ["Accept", "Reject"],
                                       default: current?.action == .reject ? 1 : 0, key: "action")
        var entry = RecipientAccessEntry(pattern: pattern, action: action == 0 ? .accept : .reject)
        if try dialog.yesNo("Would you like to specify a custom SMTP response?", default: current?.response != nil,
                            key: "custom") {
            let standard = entry.action == .accept ? 250 : 550
            let code = try dialog.number("Enter the SMTP code to use in the response. \(standard) is the standard code.",
                                         default: current?.response?.code ?? standard,
                                         range: entry.action.responseCodes, key: "code")
            let text = try dialog.responseText("Enter your custom SMTP response.  Press Enter on a blank line to finish.",
                                               key: "text")
            entry.response = SMTPResponse(code: code, text: text)
        }
        if entry.action == .accept {
            entry.bypassReceivingControl = try dialog.yesNo(
                "Would you like to bypass receiving control for this entry?",
                default: current?.bypassReceivingControl ?? false, key: "bypass_rc")
        }
        return entry
    }
}

enum RecipientAccessText {
    static func render(_ table: RecipientAccessTable) -> String {
        var lines = table.entries.map { entry -> String in
            var line = "\(entry.pattern.text) \(entry.action.rawValue)"
            if let r = entry.response {
                line += " \(r.code) \"\(r.text.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"").replacing("\n", with: "\\n"))\""
            }
            if entry.bypassReceivingControl { line += " \(bypassToken)" }
            return line
        }
        lines.append("ALL \(table.all.rawValue)")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Ends an entry that bypasses receiving control (the recipients-per-hour limits) [I].
    static let bypassToken = "BYPASS_RC"

    static func parse(_ text: String) -> Result<RecipientAccessTable, DialogError> {
        var entries: [RecipientAccessEntry] = []
        var all = RecipientAction.reject
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = raw.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            // A quoted response ends with a quote, so a last bare word is the flag.
            var bypass = false
            if line.uppercased().hasSuffix(" " + bypassToken) {
                bypass = true
                line = String(line.dropLast(bypassToken.count)).trimmingWhitespace()
            }
            let parts = line.split(separator: " ", maxSplits: 3).map(String.init)
            guard parts.count >= 2, let action = RecipientAction(rawValue: parts[1].uppercased()) else {
                return .failure(DialogError("Line \(number + 1): expected \"<address> ACCEPT|REJECT\"."))
            }
            if parts[0].uppercased() == "ALL" {
                all = action
                continue
            }
            var entry: RecipientAccessEntry
            do throws(SenderEntryError) {
                entry = RecipientAccessEntry(pattern: try RecipientPattern(parsing: parts[0]), action: action)
            } catch {
                return .failure(DialogError("Line \(number + 1): \(error.message)"))
            }
            if parts.count >= 4, let code = Int(parts[2]), parts[3].hasPrefix("\""), parts[3].hasSuffix("\"") {
                let quoted = parts[3].dropFirst().dropLast()
                var text = ""
                var escaped = false
                for c in quoted {
                    if escaped { text.append(c == "n" ? "\n" : c); escaped = false } else if c == "\\" { escaped = true } else { text.append(c) }
                }
                entry.response = SMTPResponse(code: code, text: text)
            } else if parts.count > 2 {
                return .failure(DialogError("Line \(number + 1): a custom response is written 550 \"text\"."))
            }
            if bypass && action != .accept {
                return .failure(DialogError("Line \(number + 1): only an ACCEPT entry can bypass receiving control."))
            }
            entry.bypassReceivingControl = bypass
            entries.append(entry)
        }
        return .success(RecipientAccessTable(entries: entries, all: all))
    }
}
