import Foundation
import Glibc
import PosternStore

extension Dialog {
    /// A password: on a terminal read with echo off; otherwise one line of standard input,
    /// never echoed (so `printf 'secret\n' | postern -c 'userconfig new web1 …'` works and
    /// no transcript shows it). nil at the end of input.
    func secret(_ prompt: String) -> String? {
        output.write(prompt)
        output.flush()
        guard isatty(0) == 1 else { return Swift.readLine(strippingNewline: true).map { $0.trimmingSuffix("\r") } }
        var saved = termios()
        tcgetattr(0, &saved)
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(0, TCSAFLUSH, &quiet)
        defer {
            tcsetattr(0, TCSAFLUSH, &saved)
            output.write("\n")
        }
        return Swift.readLine(strippingNewline: true)
    }

    /// A new password for `user`, asked twice on a terminal and checked against the policy;
    /// a refusal is said and asked again on a terminal, and ends the command elsewhere.
    func newPassword(for user: String) throws(DialogAbort) -> String {
        while true {
            guard let password = secret("Enter the new password for \(user):\n> ") else { throw .endOfInput }
            if let problem = PasswordPolicy.problem(password, user: user) {
                if isatty(0) != 1 { throw .invalidArgument(problem) }
                error(problem)
                continue
            }
            guard isatty(0) == 1 else { return password }
            guard let again = secret("Please enter the new password again:\n> ") else { throw .endOfInput }
            if again == password { return password }
            error("The passwords do not match.")
        }
    }
}

private extension String {
    func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}
