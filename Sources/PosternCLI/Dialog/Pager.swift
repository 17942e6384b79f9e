import CPosternPosix
import Foundation

/// AsyncOS pages long output on a terminal with `-Press Any Key For More-` (asyncos-cli.md
/// §8.4). The counting, without a terminal: a page is the terminal's height less the row the
/// prompt takes; the count starts again at every prompt, since what was asked scrolls away
/// only after an answer.
struct Pager {
    static let prompt = "-Press Any Key For More-"

    /// Lines of output a page holds.
    private(set) var pageLines: Int
    /// Lines written since the page began.
    private(set) var shown = 0

    init(rows: Int) {
        pageLines = max(1, rows - 1)
    }

    /// Splits `text` where the page fills: what to print now and, when the page is full
    /// before the end, the rest to print after a key.
    mutating func take(_ text: Substring) -> (now: Substring, rest: Substring?) {
        var index = text.startIndex
        while index < text.endIndex {
            // A full page waits for a key before the next line, even one a later write brings.
            if shown >= pageLines { return (text[..<index], text[index...]) }
            guard let newline = text[index...].firstIndex(of: "\n") else { break }
            shown += 1
            index = text.index(after: newline)
        }
        return (text, nil)
    }

    /// A key was pressed: a new page begins.
    mutating func nextPage() { shown = 0 }

    /// A prompt: count from here, on a terminal of `rows` rows now.
    mutating func reset(rows: Int) {
        pageLines = max(1, rows - 1)
        shown = 0
    }
}

/// What the key at `-Press Any Key For More-` asks for.
enum PagerKey: Equatable {
    case more
    /// `q`, Ctrl-C, or the end of input: the rest of this output is not shown.
    case stop

    init(byte: UInt8?) {
        switch byte {
        case nil, 0x03, UInt8(ascii: "q"), UInt8(ascii: "Q"): self = .stop
        default: self = .more
        }
    }
}

/// The output of a session at a terminal: paged. Errors are not paged (they are short and
/// go where errors go); once `q` is pressed, output is dropped until the next prompt.
public final class PagingOutput: Output {
    private let base: Output
    private var pager: Pager
    private let rows: () -> Int
    private let readKey: () -> UInt8?
    private var stopped = false

    init(base: Output, rows: @escaping () -> Int, readKey: @escaping () -> UInt8?) {
        self.base = base
        self.rows = rows
        self.readKey = readKey
        self.pager = Pager(rows: rows())
    }

    /// Paging stdout on the terminal on fd 0 (the keys) and fd 1 (the size).
    public convenience init(terminal base: Output) {
        self.init(base: base, rows: { Int(postern_terminal_rows(1)).nonZero ?? 24 }, readKey: PagingOutput.readTerminalKey)
    }

    public func write(_ text: String) {
        guard !stopped else { return }
        var rest = Substring(text)
        while true {
            let (now, more) = pager.take(rest)
            base.write(String(now))
            guard let more else { return }
            base.write(Pager.prompt)
            base.flush()
            let key = PagerKey(byte: readKey())
            base.write("\r" + String(repeating: " ", count: Pager.prompt.count) + "\r")
            if key == .stop {
                stopped = true
                return
            }
            pager.nextPage()
            rest = more
        }
    }

    public func writeError(_ text: String) { base.writeError(text) }

    public func flush() { base.flush() }

    /// A prompt is about to be shown: a new page, and output shown again.
    func startPage() {
        pager.reset(rows: rows())
        stopped = false
    }

    /// One key, unbuffered and unechoed; Ctrl-C arrives as the byte 3 (ISIG off).
    private static func readTerminalKey() -> UInt8? {
        var saved = termios()
        guard tcgetattr(0, &saved) == 0 else { return nil }
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG)
        raw.c_cc.6 = 1  // VMIN
        raw.c_cc.5 = 0  // VTIME
        tcsetattr(0, TCSANOW, &raw)
        defer { tcsetattr(0, TCSANOW, &saved) }
        var byte: UInt8 = 0
        return read(0, &byte, 1) == 1 ? byte : nil
    }
}

/// The terminal's reader, starting a new page at every prompt.
public final class PagedLineReader: LineReader {
    private let reader: LineReader
    private let output: PagingOutput

    public init(_ reader: LineReader, output: PagingOutput) {
        self.reader = reader
        self.output = output
    }

    public var completions: [String] {
        get { reader.completions }
        set { reader.completions = newValue }
    }

    public func readLine(prompt: String) -> LineInput {
        output.startPage()
        return reader.readLine(prompt: prompt)
    }

    public func addHistory(_ line: String) { reader.addHistory(line) }

    public func readSecret(prompt: String) -> LineInput {
        output.startPage()
        return reader.readSecret(prompt: prompt)
    }
}

extension Int {
    fileprivate var nonZero: Int? { self == 0 ? nil : self }
}
