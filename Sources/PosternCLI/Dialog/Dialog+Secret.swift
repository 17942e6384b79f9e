import Glibc
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
