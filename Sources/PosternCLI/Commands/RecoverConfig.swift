import Foundation
import PosternControl
import PosternStore

/// `recoverconfig`: the way back when config/current.json cannot be read. Postern replaces
/// that file only by rename, so damage comes from outside (a disk, a hand edit); every
/// generation is also in config/history/, and this commits the newest readable one again.
struct RecoverConfigCommand: CLICommand {
    let name = "recoverconfig"
    let summary = "Commit the newest readable generation again when config/current.json is damaged."
    let usage = """
        recoverconfig
            Only when config/current.json cannot be read, which the CLI says when it starts:
            commits the newest generation in config/history/ that reads back as a new
            generation. A session cannot start without a configuration, so this works as the
            only command of one: postern -c recoverconfig (over SSH: ssh admin@host recoverconfig).
        """

    func run(_ context: CommandContext) throws(DialogAbort) -> CommandStatus {
        let session = context.session
        let recovered = ConfigRecovery.recover(store: session.store, dialog: context.dialog, user: session.user,
                                               source: session.source)
        return recovered ? .ok : .failed
    }
}

public enum ConfigRecovery {
    /// A session could not start because current.json cannot be read (the error is printed
    /// already). Recovers when asked to: `commands` is `recoverconfig`, or an admin at a
    /// terminal says yes. True when a generation was written.
    public static func offer(store: ConfigStore, dialog: Dialog, user: String, source: String, commands: String?)
        -> Bool
    {
        if let commands {
            guard commands.trimmingCharacters(in: .whitespaces).lowercased() == "recoverconfig" else { return false }
            return recover(store: store, dialog: dialog, user: user, source: source)
        }
        guard dialog.mode == .interactive else { return false }  // piped answers are meant for other questions
        guard let candidate = store.recoverySource()?.commit else {
            dialog.error("No generation in config/history/ can be read either.")
            return false
        }
        dialog.say("The newest readable generation is \(candidate.generation), committed "
            + "\(CommitCommand.format(candidate.time)) by \(candidate.user): \"\(candidate.comment)\".")
        guard (try? dialog.yesNo("Commit it again to recover?", default: true)) == true else { return false }
        return recover(store: store, dialog: dialog, user: user, source: source)
    }

    static func recover(store: ConfigStore, dialog: Dialog, user: String, source: String) -> Bool {
        let recovery: ConfigStore.Recovery
        do {
            recovery = try store.recover(user: user, source: source)
        } catch {
            dialog.error("\(error)")
            return false
        }
        let from = recovery.from
        dialog.say("Recovered: generation \(recovery.record.generation) is generation \(from.generation) again "
            + "(committed \(CommitCommand.format(from.time)) by \(from.user): \"\(from.comment)\").")
        switch EngineSignal(home: store.home).reload(expecting: recovery.record.generation) {
        case .applied, .notRunning:
            return true
        case .noAnswer:
            dialog.error("The engine has not reported generation \(recovery.record.generation) yet; see 'status'.")
            return true
        case .rejected(let problems):
            dialog.error("The engine did not apply generation \(recovery.record.generation):")
            for problem in problems { dialog.error("  \(problem)") }
            return true
        }
    }
}
