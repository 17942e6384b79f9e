import Foundation
import Hummingbird
import MultipartKit
import PosternStore

/// Finds the signed-in session from the cookie and enforces what every page behind the
/// login needs: a live (not idle) session, a role that may see the page, and on every POST
/// the session's CSRF token and a role that may change things.
struct SessionMiddleware: RouterMiddleware {
    typealias Context = WebContext
    let web: WebInterface

    func handle(_ request: Request, context: WebContext, next: (Request, WebContext) async throws -> Response)
        async throws -> Response
    {
        guard let token = request.cookies[WebInterface.sessionCookie]?.value, var session = web.sessions.resume(token)
        else {
            let expired = request.cookies[WebInterface.sessionCookie] != nil
            var response = Response.redirect(to: expired ? "/login?expired=1" : "/login", type: .found)
            if expired { response.setCookie(WebInterface.expiredSessionCookie) }
            return response
        }
        // The account as it is now: one deleted since sign-in is signed out, and one whose role
        // changed has the new role at once (a session is no licence beyond its account).
        guard let account = web.users.account(named: session.user) else {
            web.sessions.close(token)
            web.auditLog(user: session.user, address: context.address, "session", result: "ended: account deleted")
            var response = Response.redirect(to: "/login?expired=1", type: .found)
            response.setCookie(WebInterface.expiredSessionCookie)
            return response
        }
        if account.role != session.role {
            web.sessions.update(token) { $0.role = account.role }
            session.role = account.role
        }
        var context = context
        context.session = session
        let path = request.uri.path
        if !session.role.seesConfiguration && !path.hasPrefix("/monitor") && path != "/logout" && path != "/" {
            throw HTTPError(.forbidden, message: "The \(session.role.label) role may only see Monitor pages.")
        }
        var request = request
        if request.method == .post {
            let form = try await Form.read(&request, context: context)
            guard let sent = form["csrf"], PasswordHash.constantTimeEqual(sent, session.csrfToken) else {
                web.auditLog(user: session.user, address: context.address, "POST \(path)", result: "refused: CSRF token")
                throw HTTPError(.forbidden, message: "The form's security token is missing or wrong; reload the page "
                    + "and try again.")
            }
            if path != "/logout" && !session.role.mayCommit {
                web.auditLog(user: session.user, address: context.address, "POST \(path)", result: "refused: role")
                throw HTTPError(.forbidden, message: "\(session.role.label) cannot make or commit changes.")
            }
            context.form = form
        }
        return try await next(request, context)
    }
}

/// A submitted form: `application/x-www-form-urlencoded` decoded by Hummingbird's decoder, or
/// `multipart/form-data` (a file upload) by MultipartKit's, each file as its text.
enum Form {
    static func read(_ request: inout Request, context: WebContext) async throws -> [String: String] {
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        // Bytes that are not UTF-8 are refused, not turned into U+FFFD and stored. Uploads are
        // PEM, which is ASCII.
        guard let text = String(validating: body.readableBytesView, as: UTF8.self) else {
            throw HTTPError(.badRequest, message: "The form is not UTF-8 text (certificates are uploaded as PEM).")
        }
        if text.isEmpty { return [:] }
        do {
            if let boundary = multipartBoundary(request.headers[.contentType]) {
                return try FormDataDecoder().decode([String: String].self, from: text, boundary: boundary)
            }
            return try URLEncodedFormDecoder().decode([String: String].self, from: text)
        } catch {
            throw HTTPError(.badRequest, message: "The form could not be read.")
        }
    }

    /// The boundary of a `multipart/form-data` body, or nil for any other type.
    static func multipartBoundary(_ contentType: String?) -> String? {
        guard let contentType, let media = MediaType(from: contentType), media.isType(.multipartForm) else { return nil }
        return media.parameter.flatMap { $0.name.lowercased() == "boundary" ? $0.value : nil }
    }
}
