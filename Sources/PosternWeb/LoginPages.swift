import Foundation
import Hummingbird
import PosternConfig
import PosternStore

/// Sign-in and sign-out. The login form carries its own CSRF token (a cookie and a hidden
/// field that must match), so a page elsewhere cannot sign a browser in as someone else.
extension WebInterface {
    struct LoginPage {
        let csrf: String
        let error: String?
        let notice: String?
        let user: String
    }

    static var expiredSessionCookie: Cookie {
        Cookie(name: sessionCookie, value: "", maxAge: 0, path: "/", secure: true, httpOnly: true, sameSite: .strict)
    }

    func loginPage(_ request: Request, _ context: WebContext, error: String? = nil, user: String = "",
                   status: HTTPResponse.Status = .ok) throws -> Response {
        let csrf = try WebSessions.randomToken()
        let expired = request.uri.queryParameters["expired"] != nil
        let loggedOut = request.uri.queryParameters["loggedout"] != nil
        let notice = expired ? "Your session has expired. Please log in again."
            : loggedOut ? "You have been logged out." : nil
        var response = try render("login", LoginPage(csrf: csrf, error: error, notice: error == nil ? notice : nil,
                                                     user: user), status: status)
        response.setCookie(Cookie(name: WebInterface.loginCookie, value: csrf, path: "/login", secure: true,
                                  httpOnly: true, sameSite: .strict))
        return response
    }

    func login(_ request: Request, _ context: WebContext) async throws -> Response {
        var request = request
        let form = try await Form.read(&request, context: context)
        guard let sent = form["csrf"], let expected = request.cookies[WebInterface.loginCookie]?.value,
            PasswordHash.constantTimeEqual(sent, expected)
        else {
            throw HTTPError(.forbidden, message: "The form's security token is missing or wrong; reload the page "
                + "and try again.")
        }
        let name = (form["username"] ?? "").trimmingCharacters(in: .whitespaces)
        let password = form["password"] ?? ""
        // The attempt counts as a failure before the password is weighed, in one step with the
        // lock check: guesses sent in parallel cannot all pass the check while the first ones
        // are still hashing. A right password then clears the count. A name no account can have
        // is not counted: it locks nothing and would only fill the table.
        let counted = PasswordPolicy.nameProblem(name) == nil
        let attempt = throttle.withLock { throttle -> (locked: Bool, locks: Bool) in
            let now = Date()
            if throttle.isLocked(name, at: now) { return (true, false) }
            guard counted else { return (false, false) }
            let locks = throttle.failed(name, at: now)
            save(throttle)
            return (false, locks)
        }
        if attempt.locked {
            auditLog(user: name, address: context.address, "login", result: "refused: locked")
            return try loginPage(request, context, error: "This account is locked after repeated failed logins; "
                + "try again later or ask an administrator.", user: name, status: .forbidden)
        }
        // yescrypt is deliberately slow: hash off the event loop's threads.
        let account = await Task.detached { [users] in users.authenticate(name, password: password) }.value
        guard let account else {
            auditLog(user: name, address: context.address, "login", result: attempt.locks ? "failed; locked" : "failed")
            return try loginPage(request, context, error: "Login failed: the user name or password is wrong.",
                                 user: name, status: .unauthorized)
        }
        if counted {
            throttle.withLock { throttle in
                throttle.succeeded(name)
                save(throttle)
            }
        }
        // In a fleet, start from the fleet's newest generation, as a CLI session does; without
        // etcd, from what is local (Commit Changes then says what etcd answered).
        if let fleet = fleetMember {
            let home = self.home
            if let problem = await Task.detached(operation: { fleet.sync(home: home) }).value {
                logger.warning("fleet: \(problem)")
            }
        }
        let base = try store.load()
        let session = try sessions.open(account: account, address: context.address, base: base)
        auditLog(user: account.name, address: context.address, "login", result: "ok")
        var response = Response.redirect(to: "/", type: .found)
        response.setCookie(Cookie(name: WebInterface.sessionCookie, value: session.token, path: "/", secure: true,
                                  httpOnly: true, sameSite: .strict))
        return response
    }

    private func save(_ throttle: LoginThrottle) {
        do {
            try throttle.save(home)
        } catch {
            logger.error("cannot keep the failed logins in \(LoginThrottle.file(home).path): \(error)")
        }
    }

    func logout(_ context: WebContext) -> Response {
        if let session = context.session {
            sessions.close(session.token)
            auditLog(user: session.user, address: context.address, "logout", result: "ok")
        }
        var response = Response.redirect(to: "/login?loggedout=1", type: .found)
        response.setCookie(WebInterface.expiredSessionCookie)
        return response
    }
}
