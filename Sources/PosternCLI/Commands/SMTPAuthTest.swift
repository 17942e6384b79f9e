import PosternConfig
import PosternDirectory
import PosternStore

/// smtpauthconfig > TEST: asks for a user name and password and checks them with the
/// profile, saying what happened at each step (connect, StartTLS, bind, search, the user's
/// bind). The password is asked like any secret and never printed.
struct SMTPAuthTester {
    let context: CommandContext

    func run(_ profile: SMTPAuthProfile) throws(DialogAbort) {
        let dialog = context.dialog
        let user = try dialog.text("Enter the user name to test:", key: "user", required: true)
        let password = try dialog.secret("Enter the password for \(user):")
        switch profile.method {
        case .ldap(let settings):
            var bindPassword: String?
            if let file = settings.bindPasswordFile {
                do {
                    bindPassword = try AuthSecrets.load(file, profile: profile.name, home: context.home)
                } catch {
                    dialog.error("Result: the bind password cannot be read: \(error.message)")
                    if dialog.mode == .batch { throw .invalidArgument("The test could not run.") }
                    return
                }
            }
            var cached = settings
            cached.cacheSeconds = 0  // a test always asks the directory
            let authenticator = LDAPAuthenticator(
                settings: cached, bindPassword: bindPassword,
                caFile: AuthSecrets.authoritiesFile(context.configuration, home: context.home))
            let outcome = authenticator.authenticate(user: user, password: password) { step in dialog.say(step) }
            switch outcome {
            case .accepted:
                dialog.say("Result: the credentials of \(user) are valid.")
            case .rejected(let why):
                dialog.say("Result: the credentials of \(user) were refused: \(why).")
            case .unavailable(let why):
                dialog.error("Result: the directory could not be asked: \(why).")
                if dialog.mode == .batch { throw .invalidArgument("The directory could not be asked.") }
            }
        case .forward:
            // XXX: the forward check runs in the engine (over NIO), which the CLI does not link.
            dialog.error("TEST of FORWARD profiles is not available yet; test them with an SMTP client "
                + "against a listener that uses the profile.")
            if dialog.mode == .batch { throw .invalidArgument("TEST of FORWARD profiles is not available yet.") }
        }
    }
}
