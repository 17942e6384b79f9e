import Foundation
import PosternConfig
import PosternRuntime
import PosternStore

/// `userconfig` (AsyncOS): the accounts that sign in to the web interface, with their roles.
/// Accounts are part of the configuration: NEW, EDIT and DELETE are staged, shown by
/// `showchanges`, dropped by `clear`, and take effect at `commit` (AsyncOS). Only the password
/// hash is kept, never the password.
struct UserConfigCommand: CLICommand {
    let name = "userconfig"
    let summary = "Manage user accounts and roles."
    let usage = """
        userconfig
            Lists the accounts, then NEW, EDIT, DELETE, PRINT. Changes take effect at commit.
        userconfig new <name> --role=<role> [--fullname="<full name>"]
            <role>: administrator, operator, readonly, guest, technician, helpdesk. The password
            is read from standard input when it is not a terminal.
        userconfig edit <name> --role=<role>
        userconfig delete <name>
        userconfig print
        """

    func run(_ context: CommandContext) throws(DialogAbort) -> CommandStatus {
        let dialog = context.dialog
        while true {
            let accounts = context.configuration.accounts
            dialog.show("\nUsers:\n" + listing(accounts))
            guard let operation = try dialog.menu([
                MenuItem("NEW", "Create a new account."),
                MenuItem("EDIT", "Modify an account."),
                MenuItem("DELETE", "Remove an account."),
                MenuItem("PRINT", "Display the accounts."),
            ]) else { return .ok }
            do {
                switch operation {
                case "NEW": try create(context, accounts)
                case "EDIT": try edit(context, accounts)
                case "DELETE": try delete(context, accounts)
                default: dialog.say(listing(accounts))
                }
            } catch let error as StoreError {
                dialog.error(error.description)
                if dialog.mode == .batch || dialog.hadArguments { return .failed }
            } catch let abort as DialogAbort {
                throw abort
            } catch {
                dialog.error("\(error)")
                return .failed
            }
        }
    }

    private func listing(_ accounts: [UserAccount]) -> String {
        accounts.enumerated().map { index, account in
            "\(index + 1). \(account.name) - \"\(account.fullName)\" (\(account.role.label))"
                + (account.passwordHash == nil ? " [no password set]" : "")
        }.joined(separator: "\n")
    }

    private func askRole(_ dialog: Dialog, name: String, current: UserRole) throws(DialogAbort) -> UserRole {
        let roles = UserRole.allCases
        return try dialog.ask(
            (["Assign a role to \"\(name)\":"] + roles.enumerated().map { "\($0.offset + 1). \($0.element.label) - "
                + $0.element.summary }).joined(separator: "\n"),
            default: String(roles.firstIndex(of: current)! + 1), key: "role") { answer -> Result<UserRole, DialogError> in
            if let role = UserRole(word: answer) { return .success(role) }
            return Dialog.pick(answer, from: roles.map(\.label)).map { roles[$0] }
        }
    }

    private func create(_ context: CommandContext, _ accounts: [UserAccount]) throws {
        let dialog = context.dialog
        let name = try dialog.text("Enter the new username.", key: "name", required: true) { answer in
            if let problem = PasswordPolicy.nameProblem(answer) { return DialogError(problem) }
            if accounts.contains(where: { $0.name == answer }) {
                return DialogError("The user \"\(answer)\" already exists.")
            }
            return nil
        }
        let fullName = try dialog.text("Enter the full name for \(name).", default: name, key: "fullname")
        let role = try askRole(dialog, name: name, current: .operator)
        let password = try dialog.newPassword(for: name)
        let hash = try PasswordHash.make(password)
        context.configuration.accounts.append(UserAccount(name: name, fullName: fullName, role: role, passwordHash: hash))
        dialog.say("User \(name) created with the role \(role.label); it takes effect at commit.")
    }

    private func edit(_ context: CommandContext, _ accounts: [UserAccount]) throws {
        let dialog = context.dialog
        guard let index = try dialog.pickItem("Enter the user name or number to edit.",
                                              names: accounts.map(\.name), listing: [])
        else { return }
        var account = accounts[index]
        account.fullName = try dialog.text("Enter the full name for \(account.name).", default: account.fullName,
                                           key: "fullname")
        account.role = try askRole(dialog, name: account.name, current: account.role)
        if try dialog.yesNo("Do you want to change the password?", default: false, key: "password") {
            account.passwordHash = try PasswordHash.make(try dialog.newPassword(for: account.name))
        }
        var list = accounts
        list[index] = account
        if !list.contains(where: { $0.role == .administrator }) {
            throw StoreError.refused("At least one account must keep the Administrators role.")
        }
        context.configuration.accounts = list
        dialog.say("User \(account.name) updated; it takes effect at commit.")
    }

    private func delete(_ context: CommandContext, _ accounts: [UserAccount]) throws {
        let dialog = context.dialog
        guard let index = try dialog.pickItem("Enter the user name or number to delete.",
                                              names: accounts.map(\.name), listing: [])
        else { return }
        let name = accounts[index].name
        guard name != UserAccount.factoryAdmin else {
            throw StoreError.refused("The \(name) account cannot be deleted.")
        }
        context.configuration.accounts.removeAll { $0.name == name }
        dialog.say("User \(name) deleted; it takes effect at commit.")
    }
}

/// `passwd` (AsyncOS): sets the password of the account named like this CLI's login, else
/// the factory `admin` (whoever runs the CLI on the appliance administers it). As in AsyncOS,
/// a password change takes effect at once, without `commit`: it is committed by itself as a
/// generation of its own (source and user as for `commit`), on top of the newest one; the
/// session's other pending changes stay pending.
struct PasswdCommand: CLICommand {
    let name = "passwd"
    let summary = "Change a web interface password."
    let usage = """
        passwd [<name>]
            Sets the password of <name>, else of the account named like your login, else admin.
            Read from standard input when it is not a terminal. Takes effect at once.
        """

    func run(_ context: CommandContext) throws(DialogAbort) -> CommandStatus {
        let dialog = context.dialog
        let session = context.session
        let users = UserStore(home: context.home)
        let fallback = users.account(named: session.user) != nil ? session.user : UserAccount.factoryAdmin
        let name = dialog.takeArgument(if: { _ in true }) ?? fallback
        guard users.account(named: name) != nil else {
            if context.configuration.accounts.contains(where: { $0.name == name }) {
                dialog.error("The user \"\(name)\" is not committed yet: commit first, or set its password with "
                    + "userconfig EDIT.")
            } else {
                dialog.error("The user \"\(name)\" does not exist.")
            }
            return .failed
        }
        let password = try dialog.newPassword(for: name)
        let home = session.home
        let hadChanges = session.hasChanges
        let changed: Configuration
        do {
            let latest = try session.store.load()
            var configuration = latest.configuration
            try configuration.setPassword(password, for: name)
            let comment = "passwd: password changed for \(name)"
            let check = { (c: Configuration) in CompiledConfiguration.check(c, home: home) }
            if let fleet = session.fleetMember {
                _ = try fleet.commit(
                    home: home, configuration: configuration, base: latest.commit.generation, user: session.user,
                    source: session.source, comment: comment, check: check)
            } else {
                _ = try session.store.commit(
                    configuration, base: latest.commit.generation, user: session.user, source: session.source,
                    comment: comment, check: check)
            }
            changed = configuration
        } catch {
            dialog.error(error.description)
            return .failed
        }
        // The new hash is committed; pending edits of this session keep it too, so a later
        // commit of them does not put the old password back.
        session.baseChanged()
        if hadChanges {
            let hash = changed.accounts.first { $0.name == name }?.passwordHash
            if let index = context.configuration.accounts.firstIndex(where: { $0.name == name }) {
                context.configuration.accounts[index].passwordHash = hash
            }
        } else {
            context.configuration = session.pending
        }
        dialog.say("Password changed for \(name).")
        return .ok
    }
}
