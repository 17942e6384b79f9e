import PosternCLI

/// Captures everything the CLI writes.
public final class CapturedOutput: Output {
    public private(set) var text = ""
    public private(set) var errors = ""
    /// Errors are interleaved into `text` too, so a transcript reads in order.
    public init() {}

    public func write(_ text: String) { self.text += text }

    public func writeError(_ text: String) {
        self.text += text
        errors += text
    }

    public func flush() {}
}

/// Answers from a script, shown as a piped session shows them: the prompt, then the answer.
/// The line `^C` stands for Ctrl-C, `^D` for Ctrl-D at a terminal (the input ends once, and
/// reading goes on). After the last line, the input ends.
public final class ScriptedLineReader: LineReader {
    private var lines: [String]
    private let output: Output
    public var completions: [String] = []
    /// The completions offered at each prompt, for tests of Tab.
    public private(set) var offered: [[String]] = []

    /// Lines the hook consumes (returns true for) are actions of the test, not input.
    private let hook: ((String) throws -> Bool)?

    public init(_ lines: [String], output: Output, hook: ((String) throws -> Bool)? = nil) {
        self.lines = lines
        self.output = output
        self.hook = hook
    }

    public func readLine(prompt: String) -> LineInput {
        while let next = lines.first, (try? hook?(next)) == true { lines.removeFirst() }
        output.write(prompt)
        offered.append(completions)
        guard !lines.isEmpty else {
            output.write("\n")
            return .endOfInput
        }
        let line = lines.removeFirst()
        if line == "^C" {
            output.write("^C\n")
            return .interrupted
        }
        if line == "^D" {
            output.write("^D\n")
            return .endOfInput
        }
        output.write(line + "\n")
        return .line(line)
    }

    public func addHistory(_ line: String) {}

    /// Like a terminal with echo off: the prompt, then only the end of the line.
    public func readSecret(prompt: String) -> LineInput {
        output.write(prompt)
        guard !lines.isEmpty else {
            output.write("\n")
            return .endOfInput
        }
        output.write("\n")
        return .line(lines.removeFirst())
    }
}

import PosternStore

/// Runs a scripted CLI session (piped mode) against a home and returns what it printed.
public enum Transcript {
    public static func run(
        home: Home, _ input: [String], mode: DialogMode = .piped, user: String = "admin",
        hook: ((String) throws -> Bool)? = nil
    ) throws -> (output: String, status: Int32) {
        let output = CapturedOutput()
        let reader = ScriptedLineReader(input, output: output, hook: hook)
        let session = try CLISession(home: home, store: ConfigStore(home: home),
                                     dialog: Dialog(reader: reader, output: output, mode: mode), user: user,
                                     source: "local")
        let status = session.run()
        return (output.text, status)
    }

    /// `postern -c '…'` in process.
    public static func batch(home: Home, _ commands: String, user: String = "admin") throws -> (output: String, status: Int32) {
        let output = CapturedOutput()
        let reader = ScriptedLineReader([], output: output)
        let session = try CLISession(home: home, store: ConfigStore(home: home),
                                     dialog: Dialog(reader: reader, output: output, mode: .batch), user: user,
                                     source: "local")
        let status = session.runBatch(commands)
        return (output.text, status)
    }

    /// Replaces the variable parts of a transcript (dates such as `Sun Nov 29 03:31:33 2026 UTC`)
    /// with `<date>`.
    public static func normalized(_ text: String) -> String {
        text.replacing(/[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}( [A-Z]{2,5})?/, with: "<date>")
    }
}
