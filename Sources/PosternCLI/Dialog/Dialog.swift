/// Why a command's dialog stopped before the command finished. Its edits are dropped.
public enum DialogAbort: Error, Equatable, Sendable {
    /// Ctrl-C.
    case interrupted
    /// The input ended in the middle of a command.
    case endOfInput
    /// The connection dropped (SIGHUP): the session ends.
    case hangup
    /// Batch: a question the command line does not answer and that has no default.
    case missingAnswer(String)
    /// Batch: an answer on the command line that is not valid; the message says why.
    case invalidArgument(String)
}

/// How the CLI is being driven.
public enum DialogMode: Sendable, Equatable {
    /// A person at a terminal (libedit).
    case interactive
    /// Lines from a pipe or file, answered in order (`printf '…' | postern`).
    case piped
    /// `postern -c '…'`: only the command line answers; nothing waits for input.
    case batch
}

/// The dialog toolkit (asyncos-cli.md §8): questions with bracketed defaults, numbered
/// choices, yes/no, operation menus, multi-line and PEM text. Every answer is validated;
/// a bad one prints an error and asks again. Commands are written as flows of these calls.
///
/// Answers come first from the command's own arguments (`listenerconfig edit InboundMail
/// hostaccess default --tls=required`): positional words answer the questions in order,
/// `--key=value` options answer the question with that key, and once options are given the
/// keyed questions they leave out keep their defaults. Then, unless in batch mode, from the
/// reader.
public final class Dialog {
    public let reader: LineReader
    public let output: Output
    public let mode: DialogMode
    private var tokens: [String] = []
    private var options: [String: String] = [:]
    private var usedOptions: Set<String> = []
    /// A command given arguments (a batch form, in any mode) prints only its results, not
    /// the menus and summaries its questions would show; `postern -c 'sslconfig'` without
    /// arguments is a request to see the state, so it prints it.
    private var quiet = false
    /// Whether the command was given arguments: then it is a batch form in every mode, and
    /// its menus end when the arguments do instead of waiting for more.
    public private(set) var hadArguments = false
    /// Answers read from the terminal or pipe since the command began: a command stopped
    /// after one has dropped what was answered.
    public private(set) var answersRead = 0

    public init(reader: LineReader, output: Output, mode: DialogMode) {
        self.reader = reader
        self.output = output
        self.mode = mode
    }

    /// Starts a command with its arguments (the words after the command name).
    public func begin(arguments: [String]) {
        tokens = []
        options = [:]
        usedOptions = []
        quiet = !arguments.isEmpty
        hadArguments = !arguments.isEmpty
        answersRead = 0
        for argument in arguments {
            if argument.hasPrefix("--"), argument.count > 2 {
                let body = argument.dropFirst(2)
                if let equals = body.firstIndex(of: "=") {
                    options[body[..<equals].lowercased()] = String(body[body.index(after: equals)...])
                } else {
                    options[body.lowercased()] = "yes"
                }
            } else {
                tokens.append(argument)
            }
        }
    }

    /// Ends a command: arguments it did not use are an error (a typo must not pass silently).
    public func finish() throws(DialogAbort) {
        let unusedOptions = options.keys.filter { !usedOptions.contains($0) }.sorted().map { "--\($0)" }
        let unused = tokens + unusedOptions
        tokens = []
        options = [:]
        if !unused.isEmpty {
            throw .invalidArgument("Invalid arguments when processing: \(unused.joined(separator: " "))")
        }
    }

    /// Drops the remaining arguments: for a command that has nothing to ask after all
    /// (`commit "x" Y` with nothing pending).
    public func discardArguments() {
        tokens = []
        usedOptions.formUnion(options.keys)
    }

    /// Takes the next positional argument when `matches` accepts it (optional words such as
    /// `commit confirmed 5`).
    public func takeArgument(if matches: (String) -> Bool) -> String? {
        guard let first = tokens.first, matches(first) else { return nil }
        return tokens.removeFirst()
    }

    /// Takes a `--flag` option given without a value; whether it was there.
    public func takeFlag(_ key: String) -> Bool {
        guard options[key] != nil else { return false }
        usedOptions.insert(key)
        return true
    }

    /// Whether arguments remain to answer questions (menus use it to know a batch is done).
    public var hasPendingArguments: Bool { !tokens.isEmpty }

    /// Whether `--options` were given: keyed questions they leave out keep their defaults.
    public var hasOptions: Bool { !options.isEmpty || !usedOptions.isEmpty }

    /// The option names given on the command line (used or not).
    var optionsGiven: Set<String> { Set(options.keys) }

    // MARK: Output

    /// Context for a question (menus, summaries, lists): not printed in batch mode.
    public func show(_ text: String) {
        guard !quiet else { return }
        output.write(text + "\n")
    }

    /// A result the command exists to print: always printed.
    public func say(_ text: String) {
        output.write(text + "\n")
    }

    /// An error or warning: on stderr for a batch or a pipe (where a script reads stdout), in
    /// line at a terminal.
    public func error(_ text: String) {
        if mode == .interactive { output.write(text + "\n") } else { output.writeError(text + "\n") }
    }

    // MARK: Answers

    /// Where an answer came from; a bad one from the reader is asked again, a bad argument
    /// in batch mode ends the command.
    enum Source {
        case argument
        case defaulted
        case reader
    }

    /// One raw answer. `question` is printed before the prompt (interactive and piped);
    /// `defaultValue` is what Enter gives (nil: Enter is not an answer).
    func rawAnswer(question: String?, prompt: String, key: String?, defaultValue: String?, choices: [String] = [])
        throws(DialogAbort) -> (String, Source)
    {
        if let key, let value = options[key] {
            usedOptions.insert(key)
            return (value, .argument)
        }
        if !tokens.isEmpty {
            return (tokens.removeFirst(), .argument)
        }
        if key != nil, hasOptions, let defaultValue {
            return (defaultValue, .defaulted)
        }
        if mode == .batch {
            if let defaultValue { return (defaultValue, .defaulted) }
            throw .missingAnswer(key.map { "--\($0)" } ?? "an answer to \"\(question?.split(separator: "\n").first ?? "")\"")
        }
        // A blank line sets each question apart; an empty question is a one-line (yes/no) prompt.
        if let question { output.write(question.isEmpty ? "\n" : "\n" + question + "\n") }
        reader.completions = choices
        defer { reader.completions = [] }
        switch reader.readLine(prompt: prompt) {
        case .interrupted: throw .interrupted
        case .endOfInput: throw .endOfInput
        case .hangup: throw .hangup
        case .line(let line):
            answersRead += 1
            let text = line.trimmingWhitespace()
            if text.isEmpty, let defaultValue { return (defaultValue, .reader) }
            return (text, .reader)
        }
    }

    /// Asks until `parse` accepts an answer. `parse` returns the value or the error sentence.
    public func ask<T>(
        _ question: String?, prompt: String? = nil, default defaultValue: String? = "", key: String? = nil,
        choices: [String] = [], parse: (String) -> Result<T, DialogError>
    ) throws(DialogAbort) -> T {
        let promptText = prompt ?? "[\(defaultValue ?? "")]> "
        while true {
            let (answer, source) = try rawAnswer(question: question, prompt: promptText, key: key,
                                                 defaultValue: defaultValue, choices: choices)
            // One message for an empty answer where a value is mandatory (asyncos-cli.md l.154).
            if answer.isEmpty && defaultValue == nil && source == .reader {
                error("Please enter a value.")
                continue
            }
            switch parse(answer) {
            case .success(let value):
                return value
            case .failure(let failure):
                let message = key.map { failure.message(forOption: $0, value: answer, argument: source == .argument) }
                    ?? failure.text
                if mode == .batch { throw .invalidArgument(message) }
                error(message)
            }
        }
    }
}

/// A validation failure, in the AsyncOS words (asyncos-cli.md §8.3).
public struct DialogError: Error, Equatable, Sendable {
    public let text: String

    public init(_ text: String) { self.text = text }

    /// For a `--key=value` argument: `Invalid "max_size" value: "10Q"` then the reason (§2.9).
    func message(forOption key: String, value: String, argument: Bool) -> String {
        argument ? "Invalid \"\(key)\" value: \"\(value)\". \(text)" : text
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s = s.dropFirst() }
        while let c = s.last, c.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
