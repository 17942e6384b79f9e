import PosternConfig

/// An operation of a menu (`- NEW - Create a new listener.`).
public struct MenuItem: Sendable, Equatable {
    public let verb: String
    public let description: String

    public init(_ verb: String, _ description: String) {
        self.verb = verb
        self.description = description
    }
}

extension Dialog {
    /// Free text. With `required`, an empty answer is `Please enter a value.`
    public func text(
        _ question: String, default defaultValue: String = "", key: String? = nil, required: Bool = false,
        validate: (String) -> DialogError? = { _ in nil }
    ) throws(DialogAbort) -> String {
        try ask(question, default: required && defaultValue.isEmpty ? nil : defaultValue, key: key) { answer in
            if required && answer.isEmpty { return .failure(DialogError("Please enter a value.")) }
            if let problem = validate(answer) { return .failure(problem) }
            return .success(answer)
        }
    }

    /// A whole number in `range` (`Value must be between 1 and 100.`).
    public func number(
        _ question: String, default defaultValue: Int?, range: ClosedRange<Int>, key: String? = nil
    ) throws(DialogAbort) -> Int {
        try ask(question, default: defaultValue.map(String.init), key: key) { answer in
            guard let value = Int(answer), range.contains(value) else {
                return .failure(DialogError("Value must be between \(range.lowerBound) and \(range.upperBound)."))
            }
            return .success(value)
        }
    }

    /// A size in bytes with an optional `k` or `M` suffix (asyncos-cli.md §2.5: "Add a
    /// trailing k for kilobytes, M for megabytes, or no letter for bytes.").
    public func size(_ question: String, default defaultValue: Int, key: String? = nil) throws(DialogAbort) -> Int {
        try ask(question, default: MessageSize.format(defaultValue), key: key) { answer in
            guard let bytes = MessageSize.parse(answer) else {
                return .failure(DialogError("The value must be a number of bytes, optionally followed by k or M."))
            }
            return .success(bytes)
        }
    }

    /// Yes or no, asked on one line: `Question? [Y]> ` (`Please answer yes or no.`).
    public func yesNo(_ question: String, default defaultValue: Bool, key: String? = nil) throws(DialogAbort) -> Bool {
        let mark = defaultValue ? "Y" : "N"
        return try ask("", prompt: "\(question) [\(mark)]> ", default: mark, key: key,
                       choices: ["yes", "no"]) { answer in
            switch answer.lowercased() {
            case "y", "yes": return .success(true)
            case "n", "no": return .success(false)
            default: return .failure(DialogError("Please answer yes or no."))
            }
        }
    }

    /// A yes/no question whose No drops the change the command was asked to make (the demo
    /// certificate under TLS, the confirmation of a rollback). At a prompt No just goes back.
    /// In a batch form No, given or the default, is an error, so that a script never sees success
    /// when nothing was done (issue 14, section 3). `declined` says what was not done.
    public func confirmation(_ question: String, default defaultValue: Bool, key: String, declined: String)
        throws(DialogAbort) -> Bool
    {
        let yes = try yesNo(question, default: defaultValue, key: key)
        if !yes && (mode == .batch || hadArguments) { throw .invalidArgument(declined) }
        return yes
    }

    /// A numbered list; the answer may be the number, the item's name or a unique prefix of it.
    /// Returns the index chosen. `defaultIndex` is 0-based.
    public func choose(
        _ question: String, items: [String], default defaultIndex: Int? = nil, key: String? = nil,
        names: [String]? = nil
    ) throws(DialogAbort) -> Int {
        let listing = ((question.isEmpty ? [] : [question]) + items.enumerated().map { "\($0.offset + 1). \($0.element)" })
            .joined(separator: "\n")
        let keys = names ?? items
        return try ask(listing, default: defaultIndex.map { String($0 + 1) }, key: key, choices: keys) { answer in
            Dialog.pick(answer, from: keys)
        }
    }

    /// Resolves a list answer: a number, an exact name, or a unique prefix. Case, blanks and
    /// punctuation do not count, so `required_verify` picks `Required - Verify`.
    static func pick(_ answer: String, from names: [String]) -> Result<Int, DialogError> {
        if let number = Int(answer) {
            guard (1...max(1, names.count)).contains(number), !names.isEmpty else {
                return .failure(DialogError("Value must be between 1 and \(names.count)."))
            }
            return .success(number - 1)
        }
        func fold(_ s: String) -> String { s.lowercased().filter { $0.isLetter || $0.isNumber } }
        let folded = fold(answer)
        if let exact = names.firstIndex(where: { $0 == answer }) { return .success(exact) }
        let exactFolded = names.indices.filter { fold(names[$0]) == folded }
        if exactFolded.count == 1 { return .success(exactFolded[0]) }
        let matches = folded.isEmpty ? [] : names.indices.filter { fold(names[$0]).hasPrefix(folded) }
        switch matches.count {
        case 1: return .success(matches[0])
        case 0: return .failure(DialogError("That value is not valid: \"\(answer)\" is not one of the choices."))
        default:
            return .failure(DialogError("That value is not valid: \"\(answer)\" matches "
                + matches.map { names[$0] }.joined(separator: ", ") + "."))
        }
    }

    /// Picks an existing item by number or name, the list printed first (`Enter the name or
    /// number of the listener you wish to edit.`). An empty answer is nil: back to the menu
    /// above, as AsyncOS does at a choice without a default (asyncos-cli.md l.1040). In a
    /// batch the item must be named.
    public func pickItem(_ question: String, names: [String], listing: [String]? = nil, key: String? = nil)
        throws(DialogAbort) -> Int?
    {
        let lines = listing ?? names.enumerated().map { "\($0.offset + 1). \($0.element)" }
        return try ask((lines + [question]).joined(separator: "\n"), prompt: "[]> ", default: mode == .batch ? nil : "",
                       key: key, choices: names) { answer -> Result<Int?, DialogError> in
            answer.isEmpty ? .success(nil) : Dialog.pick(answer, from: names).map { $0 }
        }
    }

    /// An operation menu (`Choose the operation you want to perform:`). Enter on the empty
    /// answer returns nil: up one level. For a command given arguments (a batch form, in any
    /// mode), running out of arguments is Enter.
    public func menu(_ items: [MenuItem], title: String = "Choose the operation you want to perform:")
        throws(DialogAbort) -> String?
    {
        if (mode == .batch || hadArguments) && !hasPendingArguments { return nil }
        let listing = ([title] + items.map { "- \($0.verb) - \($0.description)" }).joined(separator: "\n")
        let verbs = items.map(\.verb)
        let chosen: String? = try ask(listing, default: "", choices: verbs) { answer in
            if answer.isEmpty { return .success(nil) }
            let folded = answer.uppercased()
            if verbs.contains(folded) { return .success(folded) }
            let matches = verbs.filter { $0.hasPrefix(folded) }
            if matches.count == 1 { return .success(matches[0]) }
            return .failure(DialogError("Unknown option \"\(answer)\"."))
        }
        return chosen
    }

    /// Several lines ending at a blank line (`Press Enter on a blank line to finish.`). In
    /// an argument, `\n` separates the lines.
    public func multiline(_ question: String, key: String? = nil) throws(DialogAbort) -> String {
        if hasPendingArguments || (key != nil && hasOptions) || mode == .batch {
            let (value, _) = try rawAnswer(question: question, prompt: "> ", key: key, defaultValue: "")
            return value.replacing("\\n", with: "\n")
        }
        output.write("\n" + question + "\n")
        var lines: [String] = []
        while true {
            let line: String
            do {
                (line, _) = try rawAnswer(question: nil, prompt: "> ", key: nil, defaultValue: "")
            } catch .endOfInput where mode == .interactive {
                // Ctrl-D ends the text, as in AsyncOS (asyncos-cli.md l.1054); the command goes on.
                output.write("\n")
                break
            }
            if line.isEmpty { break }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// The text of a custom SMTP response, held to the configuration's own rule
    /// (`SMTPResponse.textProblem`: ASCII, no control characters), so the dialog refuses what
    /// commit would.
    public func responseText(_ question: String, key: String? = nil) throws(DialogAbort) -> String {
        while true {
            let text = try multiline(question, key: key)
            guard let problem = SMTPResponse(code: 250, text: text).textProblem else { return text }
            // An argument would be read again: a bad one ends the command.
            if mode == .batch || hadArguments { throw .invalidArgument(problem) }
            error(problem)
        }
    }

    /// PEM text pasted line by line, ending at a line holding only `.`. In an argument, the
    /// text with `\n` separating lines.
    public func pem(_ question: String, key: String? = nil) throws(DialogAbort) -> String {
        if hasPendingArguments || (key != nil && hasOptions) || mode == .batch {
            let (value, _) = try rawAnswer(question: question, prompt: "> ", key: key, defaultValue: nil)
            return value.replacing("\\n", with: "\n")
        }
        output.write("\n" + question + "\n")
        var lines: [String] = []
        while true {
            let line: String
            switch reader.readLine(prompt: "") {
            case .line(let text): line = text
            case .interrupted: throw DialogAbort.interrupted
            case .endOfInput: throw DialogAbort.endOfInput
            case .hangup: throw DialogAbort.hangup
            }
            if line.trimmingWhitespace() == "." { break }
            lines.append(line)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension Dialog {
    /// A password: never an argument (the command line goes to cli.log), never echoed. In
    /// batch mode it is the next line of standard input (`echo pw | postern -c '…'`).
    public func secret(_ question: String) throws(DialogAbort) -> String {
        while true {
            let input: LineInput
            if mode == .batch {
                guard let line = batchSecretLine(question) else {
                    throw .missingAnswer("the password on standard input")
                }
                input = .line(line)
            } else {
                output.write("\n" + question + "\n")
                input = reader.readSecret(prompt: "> ")
            }
            switch input {
            case .interrupted: throw .interrupted
            case .endOfInput: throw .endOfInput
            case .hangup: throw .hangup
            case .line(let line):
                let text = line.hasSuffix("\r") ? String(line.dropLast()) : line
                if !text.isEmpty { return text }
                // The one message for an empty answer where a value is mandatory; at a prompt,
                // asked again.
                if mode == .batch { throw .invalidArgument("The password cannot be empty. Please enter a value.") }
                error("Please enter a value.")
            }
        }
    }
}
