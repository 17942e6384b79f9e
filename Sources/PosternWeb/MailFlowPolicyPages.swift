import Foundation
import Hummingbird
import PosternConfig
import PosternStore

/// Mail Policies → Mail Flow Policies: choose a listener, its policies and the Default Policy
/// Parameters; edit one in AsyncOS's sections; Submit stages the change in this browser's
/// pending configuration (Commit Changes writes it).
struct MailFlowPolicyPages {
    static let path = "/mail-policies/mail-flow-policies"
    /// The Default Policy Parameters' name in links and forms (policy names are upper-case words).
    static let defaultKey = "default"
    let web: WebInterface

    func add(to group: RouterGroup<WebContext>) {
        group.get(RouterPath(Self.path)) { request, context in try list(request, context) }
        group.get(RouterPath(Self.path + "/edit")) { request, context in try edit(request, context) }
        group.post(RouterPath(Self.path + "/edit")) { request, context in try submit(request, context) }
    }

    struct ListPage {
        struct ListenerChoice { let name: String; let selected: Bool }
        struct Row { let name: String; let behavior: String; let tls: String; let link: String }
        let frame: PageFrame
        let listeners: [ListenerChoice]
        let listener: String
        let rows: [Row]
        let defaultLink: String
        let defaultTLS: String
    }

    private func list(_ request: Request, _ context: WebContext) throws -> Response {
        let session = try context.requireSession()
        let configuration = session.pending
        guard let listener = selectedListener(request, configuration) else {
            throw HTTPError(.notFound, message: "There are no listeners; create one with listenerconfig.")
        }
        let hat = listener.hostAccess
        let rows = hat.policies.map { policy in
            ListPage.Row(name: policy.name, behavior: policy.behavior.label,
                         tls: hat.defaultParameters.resolved(with: policy.overrides).tls.label,
                         link: editLink(listener.name, policy.name))
        }
        let page = ListPage(
            frame: web.frame(session, title: "Mail Flow Policies"),
            listeners: configuration.listeners.map { .init(name: $0.name, selected: $0.name == listener.name) },
            listener: listener.name, rows: rows, defaultLink: editLink(listener.name, Self.defaultKey),
            defaultTLS: hat.defaultParameters.tls.label)
        clearNotice(session)
        return try web.render("mail-flow-policies", page)
    }

    private func edit(_ request: Request, _ context: WebContext) throws -> Response {
        let session = try context.requireSession()
        let (listener, policyName) = try target(request.uri.queryParameters["listener"].map(String.init),
                                                request.uri.queryParameters["policy"].map(String.init), session)
        return try web.render("mail-flow-policy", PolicyPage.make(
            frame: web.frame(session, title: "Edit Mail Flow Policy"), listener: listener, policyName: policyName,
            readOnly: !session.role.mayCommit, errors: [], addressLists: session.pending.addressListsValue.map(\.name)))
    }

    private func submit(_ request: Request, _ context: WebContext) throws -> Response {
        let session = try context.requireSession()
        let form = context.form
        let (listener, policyName) = try target(form["listener"], form["policy"], session)
        var changed = listener
        let isDefault = policyName == nil
        var overrides = policyName.flatMap { changed.hostAccess.policy(named: $0)?.overrides } ?? PolicyOverrides()
        var problems = PolicyForm.apply(form, isDefault: isDefault, parameters: &changed.hostAccess.defaultParameters,
                                        overrides: &overrides)
        if let policyName, let index = changed.hostAccess.policies.firstIndex(where: { $0.name == policyName }) {
            changed.hostAccess.policies[index].overrides = overrides
        }
        var configuration = session.pending
        if problems.isEmpty, let index = configuration.listenerIndex(named: listener.name) {
            configuration.listeners[index] = changed
            // The same whole-configuration validation the CLI and the engine run.
            let prefix = "listeners[\(listener.name)]"
            problems = configuration.validate().filter { $0.path.hasPrefix(prefix) }.map { "\($0.path): \($0.message)" }
        }
        guard problems.isEmpty else {
            return try web.render("mail-flow-policy", PolicyPage.make(
                frame: web.frame(session, title: "Edit Mail Flow Policy"), listener: listener, policyName: policyName,
                readOnly: false, errors: problems, form: form,
                addressLists: session.pending.addressListsValue.map(\.name)), status: .badRequest)
        }
        let name = policyName ?? "Default Policy Parameters"
        web.sessions.update(session.token) {
            $0.pending = configuration
            $0.notice = "Success — Mail Flow Policy \"\(name)\" was saved. Commit Changes to apply it."
        }
        web.auditLog(user: session.user, address: context.address,
                     "mail flow policy \(listener.name) \(name) submitted", result: "ok")
        return Response.redirect(to: Self.path + "?listener=" + listener.name, type: .found)
    }

    /// The listener and policy a request names; nil policy is the Default Policy Parameters.
    private func target(_ listenerName: String?, _ policy: String?, _ session: WebSession) throws
        -> (Listener, String?)
    {
        guard let listenerName, let listener = session.pending.listener(named: listenerName) else {
            throw HTTPError(.notFound, message: "There is no such listener.")
        }
        guard let policy, policy != Self.defaultKey else { return (listener, nil) }
        guard listener.hostAccess.policy(named: policy) != nil else {
            throw HTTPError(.notFound, message: "The listener \(listener.name) has no policy \(policy).")
        }
        return (listener, policy)
    }

    private func selectedListener(_ request: Request, _ configuration: Configuration) -> Listener? {
        if let name = request.uri.queryParameters["listener"], let listener = configuration.listener(named: String(name)) {
            return listener
        }
        return configuration.listeners.first
    }

    private func editLink(_ listener: String, _ policy: String) -> String {
        "\(Self.path)/edit?listener=\(listener)&policy=\(policy)"
    }

    /// A notice shows once.
    private func clearNotice(_ session: WebSession) {
        if session.notice != nil { web.sessions.update(session.token) { $0.notice = nil } }
    }
}
