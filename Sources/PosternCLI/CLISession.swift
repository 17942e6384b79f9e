import CPosternPosix
import Foundation
import PosternConfig
import PosternControl
import PosternStore

/// One admin session: the committed generation it started from, its pending changes, and
/// the loop that reads commands (DESIGN.md, "The commit protocol", steps 1-2).
public final class CLISession {
    public let home: Home
    public let store: ConfigStore
    public let engine: EngineSignal
    public let dialog: Dialog
    /// Who is committing: the login name, and where they came from (`SSH_CONNECTION`).
    public let user: String
    public let source: String
    /// The committed generation this session's changes are based on.
    public private(set) var base: ConfigDocument
    /// The session's pending configuration; equal to the base when nothing is pending.
    public var pending: Configuration
    public private(set) var failures = 0
    /// The fleet, when the `postern` executable provides one (PosternCLI never talks to etcd itself).
    public var fleet: (any FleetService)?
    /// Whether this machine is in a fleet now: `commit` goes to etcd then.
    var fleetMember: (any FleetService)? { FleetSettings.load(home) == nil ? nil : fleet }
    private let audit: AuditLog

    public init(home: Home, store: ConfigStore, dialog: Dialog, user: String, source: String) throws(StoreError) {
        self.home = home
        self.store = store
        self.engine = EngineSignal(home: home)
        self.dialog = dialog
        self.user = user
        self.source = source
        self.base = try store.load()
        self.pending = base.configuration
        self.audit = AuditLog(url: home.cliLog)
    }

    public var hasChanges: Bool { pending != base.configuration }

    /// SIGHUP (the SSH connection dropped) only raises a flag; the read it interrupts
    /// returns, and the session ends between commands, never inside a commit's writes.
    public static func endOnHangup() {
        postern_install_hangup_handler()
        postern_install_idle_handler()
    }

    /// The terminal's line reader, whose inactivity timeout follows `adminaccessconfig`.
    public var terminal: EditLineReader?
    /// Seconds instead of `adminaccessconfig`'s minutes, for tests that cannot wait five.
    public var idleTimeoutOverride: Int?

    /// The committed CLI inactivity timeout, in seconds.
    var idleTimeoutSeconds: Int {
        idleTimeoutOverride ?? base.configuration.adminAccessSettings.cliTimeoutMinutes * 60
    }

    /// The main prompt: the appliance hostname, `>`, a space (asyncos-cli.md §8.1).
    public var prompt: String { "\(base.configuration.hostname)> " }

    /// After a commit: the new generation is the base, nothing is pending.
    func committed(_ document: ConfigDocument) {
        base = document
        pending = document.configuration
    }

    /// After a conflict: the newest generation becomes the base, with the session's edits
    /// re-applied on top of it as the pending configuration.
    func rebase(onto latest: ConfigDocument, pending: Configuration) {
        base = latest
        self.pending = pending
    }

    /// The fleet changed the committed generation under this session (CREATE, JOIN): the
    /// new one is the base; pending changes, if any, stay pending on top of it.
    func baseChanged() {
        guard let latest = try? store.load() else { return }
        let unchanged = !hasChanges
        base = latest
        if unchanged { pending = latest.configuration }
    }

    /// Drops the pending changes and starts again from the newest committed generation.
    func discardChanges() {
        if let latest = try? store.load() { base = latest }
        pending = base.configuration
    }

    // MARK: Loops

    /// Reads commands until `quit`, `exit` or the end of input. Returns the exit status: at a
    /// terminal 0 (a command that failed there was answered on screen, and the session went
    /// on); from a pipe, 0 only when every command succeeded, as a script needs.
    public func run() -> Int32 {
        var first = true
        while true {
            if !first && dialog.mode == .interactive { dialog.output.write("\n") }
            first = false
            dialog.reader.completions = CommandTable.names
            terminal?.idleTimeout = UInt32(clamping: idleTimeoutSeconds)
            let input = dialog.reader.readLine(prompt: prompt)
            dialog.reader.completions = []
            switch input {
            case .interrupted:
                continue
            case .hangup:
                return hangup()
            case .endOfInput:
                if dialog.mode == .interactive {
                    // Ctrl-D at the main prompt is quit (with its question when changes are pending).
                    if execute("quit") == .quit { return exitStatus }
                    continue
                }
                if hasChanges { dialog.error("The session ended with uncommitted changes; they were discarded.") }
                return exitStatus
            case .line(let line):
                dialog.reader.addHistory(line)
                for command in CommandLineSyntax.splitCommands(line) {
                    let status = execute(command)
                    if status == .quit { return exitStatus }
                    if status == .hangup { return hangup() }
                }
            }
        }
    }

    /// `postern -c 'cmd; cmd'`: runs each command, stopping at the first that fails.
    public func runBatch(_ text: String) -> Int32 {
        for command in CommandLineSyntax.splitCommands(text) {
            let status = execute(command)
            if status == .quit || status == .failed || status == .hangup { break }
        }
        if hasChanges {
            dialog.error("Uncommitted changes were discarded; end the batch with commit to keep them.")
        }
        return exitStatus
    }

    private var exitStatus: Int32 {
        if dialog.mode == .interactive { return 0 }
        return failures == 0 ? 0 : 1
    }

    /// The terminal or SSH connection is gone: the pending changes go with the session, the
    /// committed configuration is untouched.
    private func hangup() -> Int32 {
        if postern_idle_expired() != 0 {
            // [I] AsyncOS ends an idle CLI session; the words are ours.
            dialog.say("\nSession timed out after \(idleTimeoutSeconds / 60 > 0 ? "\(idleTimeoutSeconds / 60) minute(s)" : "\(idleTimeoutSeconds) second(s)") without input (adminaccessconfig)."
                + (hasChanges ? " Uncommitted changes were discarded." : ""))
            audit.append(user: user, source: source, command: "(inactivity timeout)",
                         result: hasChanges ? "pending changes discarded" : "ok")
            pending = base.configuration
            return 0
        }
        audit.append(user: user, source: source, command: "(connection lost)",
                     result: hasChanges ? "pending changes discarded" : "ok")
        pending = base.configuration
        return 129
    }

    /// Runs one command line on a copy of the pending configuration, which replaces it only
    /// when the command completes.
    @discardableResult
    public func execute(_ line: String) -> CommandStatus {
        let words: [String]
        switch CommandLineSyntax.words(line) {
        case .success(let w): words = w
        case .failure:
            dialog.error("Invalid arguments when processing: unterminated quote in \(line)")
            return record(line, .failed)
        }
        guard let name = words.first else { return .ok }
        let command: any CLICommand
        switch CommandTable.lookup(name) {
        case .found(let c): command = c
        case .unknown:
            dialog.error("Unknown command: \(name). Type 'help' for a list of commands.")
            return record(line, .failed)
        case .ambiguous(let names):
            dialog.error("Unknown command: \(name) is ambiguous (\(names.joined(separator: ", "))).")
            return record(line, .failed)
        }
        if !command.takesArguments && words.count > 1 {
            dialog.error("Invalid arguments when processing: \(words.dropFirst().joined(separator: " ")) "
                + "(\(command.name) takes none)")
            return record(line, .failed)
        }
        let context = CommandContext(configuration: pending, dialog: dialog, session: self)
        dialog.begin(arguments: Array(words.dropFirst()))
        do throws(DialogAbort) {
            let status = try command.run(context)
            try dialog.finish()
            if status != .failed { pending = context.configuration }
            return record(line, status)
        } catch {
            switch error {
            // The notice only when something is dropped: a change the command had made, or
            // answers given to a command that stages changes (not Ctrl-C inside `commit`).
            case .interrupted:
                if dropsSomething(command, context) { dialog.say("-- Changes not recorded.") }
                return record(line, .ok, note: "interrupted")
            case .endOfInput:
                if dropsSomething(command, context) { dialog.say("-- Changes not recorded.") }
                return record(line, .failed, note: "input ended")
            case .hangup:
                _ = record(line, .ok, note: "connection lost")
                return .hangup
            case .missingAnswer(let what):
                dialog.error("\(command.name): missing \(what).")
                return record(line, .failed)
            case .invalidArgument(let message):
                dialog.error(message)
                return record(line, .failed)
            }
        }
    }

    private func dropsSomething(_ command: any CLICommand, _ context: CommandContext) -> Bool {
        context.configuration != pending || (command.stagesChanges && dialog.answersRead > 0)
    }

    private func record(_ line: String, _ status: CommandStatus, note: String? = nil) -> CommandStatus {
        if status == .failed { failures += 1 }
        audit.append(user: user, source: source, command: line,
                     result: note ?? (status == .failed ? "failed" : "ok"))
        return status
    }
}
