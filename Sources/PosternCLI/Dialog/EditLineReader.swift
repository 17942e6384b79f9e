import CEditLine
import CEditLineShims
import CPosternPosix
import Foundation
import PosternStore

/// libedit on a terminal: the prompt, emacs keys, history kept in a file, Tab completion
/// of the words the dialog says are valid now. Completion only queries `completions`;
/// it never changes configuration (style.md, "What we avoid").
public final class EditLineReader: LineReader {
    private let editLine: OpaquePointer
    private let history: OpaquePointer
    private let historyFile: String?
    private var historyRefused = false
    /// The prompt libedit's callback returns; owned here, replaced per read.
    private var promptStorage: UnsafeMutablePointer<CChar>
    public var completions: [String] = []
    /// `adminaccessconfig`'s CLI inactivity timeout in seconds (0: none): a read waiting longer
    /// at any prompt returns `.hangup`, and `postern_idle_expired()` says why.
    public var idleTimeout: UInt32 = 0

    public init?(program: String, historyFile: String?) {
        setlocale(LC_CTYPE, "")
        if String(cString: setlocale(LC_CTYPE, nil)) == "C" {
            // Without a UTF-8 locale libedit drops non-ASCII bytes (swift-notes §3).
            setlocale(LC_CTYPE, "C.UTF-8")
        }
        guard let editLine = postern_el_init(program), let history = postern_history_init(1000) else { return nil }
        self.editLine = editLine
        self.history = history
        self.historyFile = historyFile
        self.promptStorage = strdup("> ")!
        postern_el_set_editor(editLine, "emacs")
        postern_el_set_signal(editLine, 1)
        postern_el_set_history(editLine, history)
        postern_el_set_clientdata(editLine, Unmanaged.passUnretained(self).toOpaque())
        postern_el_set_prompt(editLine) { el in
            guard let el, let data = postern_el_get_clientdata(el) else { return nil }
            return Unmanaged<EditLineReader>.fromOpaque(data).takeUnretainedValue().promptStorage
        }
        postern_el_add_function(editLine, "postern-complete", "Complete the word") { el, _ in
            guard let el, let data = postern_el_get_clientdata(el) else { return UInt8(CC_ERROR) }
            return Unmanaged<EditLineReader>.fromOpaque(data).takeUnretainedValue().complete()
        }
        postern_el_bind(editLine, "^I", "postern-complete")
        postern_el_source_default(editLine)
        if let historyFile { withPrivateFile(historyFile, write: false) { postern_history_load(history, $0) } }
        postern_install_interrupt_handler()
    }

    deinit {
        el_end(editLine)
        history_end(history)
        free(promptStorage)
    }

    public func readLine(prompt: String) -> LineInput {
        free(promptStorage)
        promptStorage = strdup(prompt)!
        fflush(postern_stdout())
        var count: Int32 = 0
        _ = postern_take_interrupt()
        if idleTimeout > 0 { alarm(idleTimeout) }
        let read = el_gets(editLine, &count)
        alarm(0)
        guard let line = read else {
            if postern_hangup_received() != 0 || postern_idle_expired() != 0 { return .hangup }
            if postern_take_interrupt() != 0 || (count == -1 && errno == EINTR) {
                fputs("\n", postern_stdout())
                el_reset(editLine)
                return .interrupted
            }
            fputs("\n", postern_stdout())
            return .endOfInput
        }
        var text = String(cString: line)
        while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
        return .line(text)
    }

    /// Reads with the terminal's echo off, as getpass(3) does, bypassing libedit and its history.
    public func readSecret(prompt: String) -> LineInput {
        fputs(prompt, postern_stdout())
        fflush(postern_stdout())
        var saved = termios()
        let isTTY = tcgetattr(0, &saved) == 0
        if isTTY {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(0, TCSAFLUSH, &quiet)
        }
        defer {
            if isTTY { tcsetattr(0, TCSAFLUSH, &saved) }
            fputs("\n", postern_stdout())
        }
        // A password prompt left open times out like any other: whoever sits down next must
        // not find `passwd` waiting for them. stdio's read does not give up on a signal here,
        // so the wait is a poll; past it the alarm is raised at once, as the prompt's would be.
        if idleTimeout > 0 {
            var input = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
            if poll(&input, 1, Int32(clamping: Int(idleTimeout) * 1000)) == 0 {
                raise(SIGALRM)
                return .hangup
            }
        }
        guard let line = Swift.readLine(strippingNewline: true) else {
            return postern_hangup_received() != 0 ? .hangup : .endOfInput
        }
        return .line(line.hasSuffix("\r") ? String(line.dropLast()) : line)
    }

    public func addHistory(_ line: String) {
        guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        postern_history_enter(history, SecretRedaction.redact(line))
        if let historyFile { withPrivateFile(historyFile, write: true) { postern_history_save(history, $0) } }
    }

    /// Runs `body` with a path to the checked history file (`/proc/self/fd/N` reopens the very
    /// file checked, not whatever the name points to by then); a refused file is said once and
    /// the session goes on without it.
    private func withPrivateFile(_ path: String, write: Bool, _ body: (String) -> Void) {
        var info = stat()
        guard !historyRefused, write || lstat(path, &info) == 0 else { return }  // no history yet: nothing to load
        do throws(PrivateFile.Refused) {
            let fd = try PrivateFile.open(path, write: write)
            defer { close(fd) }
            if write { ftruncate(fd, 0) }
            body("/proc/self/fd/\(fd)")
        } catch {
            historyRefused = true
            FileHandle.standardError.write(Data("Command history is not kept: \(error)\n".utf8))
        }
    }

    /// Tab: complete the word before the cursor from `completions`.
    private func complete() -> UInt8 {
        guard let info = el_line(editLine) else { return UInt8(CC_ERROR) }
        let start = info.pointee.buffer!
        let cursor = info.pointee.cursor!
        let length = cursor - start
        let before = String(decoding: UnsafeBufferPointer(start: UnsafeRawPointer(start).assumingMemoryBound(to: UInt8.self),
                                                          count: length), as: UTF8.self)
        let word = String(before.split(separator: " ", omittingEmptySubsequences: false).last ?? "")
        let matches = completions.filter { $0.lowercased().hasPrefix(word.lowercased()) }
        guard !matches.isEmpty else { return UInt8(CC_ERROR) }
        var common = matches[0]
        for match in matches.dropFirst() {
            common = String(zip(common.lowercased(), match.lowercased()).prefix { $0 == $1 }.map(\.0))
        }
        let rest = String(matches[0].prefix(max(common.count, word.count)).dropFirst(word.count))
        // Menu verbs are upper case; someone typing `ed` wants `edit`, not `edIT`.
        let lower = word.contains(where: \.isLetter) && word == word.lowercased() && matches[0] == matches[0].uppercased()
        let insert = lower ? rest.lowercased() : rest
        if matches.count == 1 {
            el_insertstr(editLine, insert + " ")
            return UInt8(CC_REFRESH)
        }
        if common.count > word.count {
            el_insertstr(editLine, insert)
            return UInt8(CC_REFRESH)
        }
        fputs("\n" + matches.joined(separator: "  ") + "\n", postern_stdout())
        return UInt8(CC_REDISPLAY)
    }
}
