import CPosternPosix
import Foundation

/// What reading one line of input gave.
public enum LineInput: Equatable, Sendable {
    case line(String)
    /// Ctrl-C: abandon the current command.
    case interrupted
    /// Ctrl-D at an empty line, or the end of a pipe.
    case endOfInput
    /// SIGHUP: the terminal or the SSH connection is gone.
    case hangup
}

/// Where answers and commands come from: libedit on a terminal, lines from a pipe, or a
/// script in tests. The dialog prints questions itself; the reader shows only the prompt.
public protocol LineReader: AnyObject {
    func readLine(prompt: String) -> LineInput
    /// The words Tab completes at the coming prompt (command names, menu verbs, list items).
    var completions: [String] { get set }
    func addHistory(_ line: String)
    /// A line that must not be shown or kept: not echoed, not in the history.
    func readSecret(prompt: String) -> LineInput
}

extension LineReader {
    public func readSecret(prompt: String) -> LineInput { readLine(prompt: prompt) }
}

/// Plain line reading for pipes and files. Prints the prompt itself (libedit would not on
/// a pipe) and echoes the answer, so a piped session's output reads like a transcript.
public final class PlainLineReader: LineReader {
    private let output: Output
    private let echo: Bool
    public var completions: [String] = []

    public init(output: Output, echo: Bool = true) {
        self.output = output
        self.echo = echo
    }

    public func readLine(prompt: String) -> LineInput {
        if echo { output.write(prompt) }
        output.flush()
        guard let line = Swift.readLine(strippingNewline: true) else {
            if postern_hangup_received() != 0 { return .hangup }
            if echo { output.write("\n") }
            return .endOfInput
        }
        let text = line.hasSuffix("\r") ? String(line.dropLast()) : line
        if echo { output.write(text + "\n") }
        return .line(text)
    }

    public func addHistory(_ line: String) {}

    public func readSecret(prompt: String) -> LineInput {
        if echo { output.write(prompt) }
        output.flush()
        guard let line = Swift.readLine(strippingNewline: true) else { return .endOfInput }
        if echo { output.write("\n") }
        return .line(line.hasSuffix("\r") ? String(line.dropLast()) : line)
    }
}

/// Where the CLI writes. Everything goes through here so tests can capture it and so
/// output is flushed before every read.
public protocol Output: AnyObject {
    func write(_ text: String)
    func writeError(_ text: String)
    func flush()
}

/// stdout and stderr.
public final class StandardOutput: Output {
    public init() {}

    public func write(_ text: String) {
        fputs(text, postern_stdout())
    }

    public func writeError(_ text: String) {
        fflush(postern_stdout())
        fputs(text, postern_stderr())
    }

    public func flush() {
        fflush(postern_stdout())
    }
}
