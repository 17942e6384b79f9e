import PosternCertificates
import PosternConfig
import PosternDirectory
import PosternRuntime
import PosternStore
import PosternTLS

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
            let outcome: ForwardAuthProbe.Outcome
            switch authenticator.authenticate(user: user, password: password, report: { dialog.say($0) }) {
            case .accepted: outcome = .accepted
            case .rejected(let why): outcome = .rejected(why)
            case .unavailable(let why): outcome = .unavailable(why)
            }
            try report(outcome, user: user, dialog: dialog, what: "directory")
        case .forward(let settings):
            let tls: TLSContext
            do {
                tls = try CompiledConfiguration(context.configuration, home: context.home).outboundTLS
            } catch {
                dialog.error("The configuration cannot be used: \(error.problems.first?.description ?? "\(error)")")
                if dialog.mode == .batch { throw .invalidArgument("The test could not run.") }
                return
            }
            let probe = ForwardAuthProbe(settings: settings, tls: tls, helo: context.configuration.hostname,
                                         say: { dialog.say($0) })
            try report(probe.run(user: user, password: password), user: user, dialog: dialog, what: "forwarding server")
        }
    }

    private func report(_ outcome: ForwardAuthProbe.Outcome, user: String, dialog: Dialog, what: String)
        throws(DialogAbort)
    {
        switch outcome {
        case .accepted:
            dialog.say("Result: the credentials of \(user) are valid.")
        case .rejected(let why):
            dialog.say("Result: the credentials of \(user) were refused: \(why).")
        case .unavailable(let why):
            dialog.error("Result: the \(what) could not be asked: \(why).")
            if dialog.mode == .batch { throw .invalidArgument("The \(what) could not be asked.") }
        }
    }
}
