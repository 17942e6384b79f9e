import Glibc
import PosternConfig
import PosternStore

extension Dialog {
    /// A new password for `user`, asked twice on a terminal and checked against the policy;
    /// a refusal is said and asked again on a terminal, and ends the command elsewhere.
    func newPassword(for user: String) throws(DialogAbort) -> String {
        while true {
            let password = try secret("Enter the new password for \(user):")
            if let problem = PasswordPolicy.problem(password, user: user) {
                if isatty(0) != 1 { throw .invalidArgument(problem) }
                error(problem)
                continue
            }
            guard isatty(0) == 1 else { return password }
            let again = try secret("Please enter the new password again:")
            if again == password { return password }
            error("The passwords do not match.")
        }
    }
}

extension Dialog {
    /// The password line of a batch command (`postern -c 'passwd admin'`): from a pipe as it
    /// comes; on a terminal after the question, with echo off, so the password never shows.
    func batchSecretLine(_ question: String) -> String? {
        guard isatty(0) == 1 else { return Swift.readLine(strippingNewline: true) }
        output.write(question + "\n> ")
        output.flush()
        var saved = termios()
        tcgetattr(0, &saved)
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(0, TCSAFLUSH, &quiet)
        defer {
            tcsetattr(0, TCSAFLUSH, &saved)
            output.write("\n")
            output.flush()
        }
        return Swift.readLine(strippingNewline: true)
    }
}
