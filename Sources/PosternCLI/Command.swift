import PosternConfig
import PosternStore

/// A top-level CLI command. Commands are written as dialog flows over `context`, and change
/// configuration only through `context.configuration`, a copy the session keeps when the
/// command returns and drops when it is aborted.
public protocol CLICommand: Sendable {
    var name: String { get }
    /// The one-line description `help` lists.
    var summary: String { get }
    /// What `help <command>` prints: the interactive use and the batch forms.
    var usage: String { get }
    /// False for commands that take no words after their name (`status`, `who`): any given
    /// is refused before the command prints or does anything.
    var takesArguments: Bool { get }
    /// False for commands that stage nothing (`commit`, `showchanges`): Ctrl-C inside them
    /// drops no change, so it does not say `-- Changes not recorded.`
    var stagesChanges: Bool { get }
    func run(_ context: CommandContext) throws(DialogAbort) -> CommandStatus
}

extension CLICommand {
    public var takesArguments: Bool { true }
    public var stagesChanges: Bool { true }
}

public enum CommandStatus: Equatable, Sendable {
    case ok
    case failed
    /// End the session (`quit`, `exit`).
    case quit
    /// The connection dropped in the middle of the command.
    case hangup
}

/// What a running command works with.
public final class CommandContext {
    /// The command's own copy of the pending configuration.
    public var configuration: Configuration
    public let dialog: Dialog
    public let session: CLISession

    init(configuration: Configuration, dialog: Dialog, session: CLISession) {
        self.configuration = configuration
        self.dialog = dialog
        self.session = session
    }

    public var home: Home { session.home }
}

/// The commands, in the order `help` lists them.
public enum CommandTable {
    public static let all: [any CLICommand] = [
        AddressListConfigCommand(),
        AdminAccessConfigCommand(),
        BounceConfigCommand(),
        QueueActionCommand.bounce,
        CertConfigCommand(),
        ClusterConfigCommand(),
        ClearCommand(),
        ClearCommand(name: "clearchanges"),
        CommitCommand(),
        CommitCheckCommand(),
        CommitDetailCommand(),
        ConfirmCommand(),
        QueueActionCommand.delete,
        QueueActionCommand.retry,
        DestConfigCommand(),
        ExitCommand(name: "exit"),
        HelpCommand(),
        InterfaceConfigCommand(),
        ListenerConfigCommand(),
        PasswdCommand(),
        ExitCommand(name: "quit"),
        DeliverySwitchCommand(name: "resumedel", suspend: false),
        RecoverConfigCommand(),
        RollbackConfigCommand(),
        SelfTestCommand(),
        ShowChangesCommand(),
        ShowConfigCommand(),
        ShowQueueCommand(),
        ShowQueueCommand(name: "showrecipients"),
        SMTPAuthConfigCommand(),
        SMTPRoutesCommand(),
        SSLConfigCommand(),
        StatusCommand(),
        DeliverySwitchCommand(name: "suspenddel", suspend: true),
        TLSVerifyCommand(),
        UserConfigCommand(),
        WhoCommand(),
    ]

    public enum Lookup {
        case found(any CLICommand)
        case unknown
        case ambiguous([String])
    }

    /// An exact name, or a unique prefix of one (asyncos-cli.md §8.4).
    public static func lookup(_ word: String) -> Lookup {
        // `?` is help, as at AsyncOS's prompt.
        let folded = word == "?" ? "help" : word.lowercased()
        if let exact = all.first(where: { $0.name == folded }) { return .found(exact) }
        let matches = all.filter { $0.name.hasPrefix(folded) }
        // `com` is commit, not commitcheck or commitdetail: a match that begins every other one wins.
        if let shortest = matches.min(by: { $0.name.count < $1.name.count }),
            matches.allSatisfy({ $0.name.hasPrefix(shortest.name) })
        {
            return .found(shortest)
        }
        return matches.isEmpty ? .unknown : .ambiguous(matches.map(\.name))
    }

    public static var names: [String] { all.map(\.name) }
}
