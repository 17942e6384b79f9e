import ArgumentParser
import Foundation
import Logging
import PosternCLI
import PosternFleet
import PosternRuntime
import PosternStore

/// The admin CLI: a REPL on a terminal, lines from a pipe, or `-c 'cmd; cmd'` as sshd runs
/// a login shell's command.
struct Postern: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postern",
        abstract: "Configure the Postern mail gateway: AsyncOS-style commands, staged changes, commit.")

    @Option(help: "The appliance home (default: $POSTERN_HOME, else /var/lib/postern).")
    var home: String?

    @Option(name: .customShort("c"), help: "Run these commands (separated by ';') and exit, as `ssh host 'cmd'` does.")
    var commands: String?

    @Flag(help: "On a pipe, do not echo the answers read.")
    var noEcho = false

    /// The inactivity timeout is `adminaccessconfig`'s; this fixes it in seconds instead, for
    /// tests that cannot wait its 5-minute minimum.
    @Option(help: .hidden)
    var idleTimeoutSeconds: Int?

    func run() throws {
        // Files are shared with the appliance's group (scripts/admin-user), never with others.
        umask(0o007)
        let home = Home.resolve(home)
        do {
            try HomeBootstrap.prepare(home)
        } catch {
            FileHandle.standardError.write(Data("postern: \(error)\n".utf8))
            throw ExitCode(2)
        }
        var output: any Output = StandardOutput()
        let mode: DialogMode = commands != nil ? .batch : (isatty(0) == 1 ? .interactive : .piped)
        let reader: any LineReader
        var terminal: EditLineReader?
        let user = Postern.loginName()
        let history = home.cliHistoryDirectory.appendingPathComponent(user).path
        if mode == .interactive, let editLine = EditLineReader(program: "postern", historyFile: history) {
            terminal = editLine
            // Long output pages on a terminal (never in a batch or a pipe).
            if isatty(1) == 1 {
                let paging = PagingOutput(terminal: output)
                output = paging
                reader = PagedLineReader(editLine, output: paging)
            } else {
                reader = editLine
            }
        } else {
            reader = PlainLineReader(output: output, echo: !noEcho)
        }
        var store = ConfigStore(home: home)
        store.faultHook = Postern.faultHook()
        let dialog = Dialog(reader: reader, output: output, mode: mode)
        let source = Postern.source()
        // In a fleet, start from the fleet's newest generation; without etcd, from what is local.
        let fleet = EtcdFleetService(logger: Logger(label: "postern.fleet"))
        if let problem = fleet.sync(home: home) { FileHandle.standardError.write(Data("postern: \(problem)\n".utf8)) }
        let open = { () throws(StoreError) -> CLISession in
            let session = try CLISession(home: home, store: store, dialog: dialog, user: user, source: source)
            session.fleet = fleet
            session.terminal = terminal
            session.idleTimeoutOverride = idleTimeoutSeconds
            return session
        }
        let session: CLISession
        do {
            session = try open()
        } catch {
            FileHandle.standardError.write(Data("postern: \(error)\n".utf8))
            let recovered = store.isDamagedCurrent(error)
                && ConfigRecovery.offer(store: store, dialog: dialog, user: user, source: source, commands: commands)
            output.flush()
            // `-c recoverconfig` has done its work; at a terminal the session starts on the recovered generation.
            guard recovered, commands == nil else { throw ExitCode(recovered ? 0 : 2) }
            do { session = try open() } catch {
                FileHandle.standardError.write(Data("postern: \(error)\n".utf8))
                throw ExitCode(2)
            }
        }
        // A dropped SSH connection ends the session cleanly instead of killing it mid-write.
        CLISession.endOnHangup()
        let pid = getpid()
        AdminSessions.register(AdminSession(pid: pid, user: session.user, source: session.source, since: Date(),
                                            kind: mode == .interactive ? "terminal" : mode == .piped ? "pipe" : "batch"),
                               home: home)
        let status = commands.map(session.runBatch) ?? session.run()
        AdminSessions.unregister(pid: pid, home: home)
        output.flush()
        throw ExitCode(status)
    }

    /// The login name: who the commit records say committed.
    static func loginName() -> String {
        if let pw = getpwuid(geteuid()), let name = pw.pointee.pw_name { return String(cString: name) }
        return ProcessInfo.processInfo.environment["USER"] ?? "unknown"
    }

    /// The client address of an SSH session (`SSH_CONNECTION` = "client port server port"), else `local`.
    static func source() -> String {
        let connection = ProcessInfo.processInfo.environment["SSH_CONNECTION"] ?? ""
        return connection.split(separator: " ").first.map(String.init) ?? "local"
    }

    /// XXX: a test hook in the shipped binary. `POSTERN_COMMIT_FAULT=<step>` kills this
    /// process with SIGKILL at that step of a commit, so the crash-safety test can stop a
    /// real commit at every instant (see ConfigStore.CommitStep for the names).
    static func faultHook() -> (@Sendable (CommitStep) -> Void)? {
        guard let wanted = ProcessInfo.processInfo.environment["POSTERN_COMMIT_FAULT"], !wanted.isEmpty else {
            return nil
        }
        return { step in
            if step.description == wanted { kill(getpid(), SIGKILL) }
        }
    }
}

Postern.main()
