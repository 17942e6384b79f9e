import Foundation
import Hummingbird
import PosternConfig
import PosternTLS

/// System Administration → SSL Configuration: the methods and ciphers of GUI, Inbound and
/// Outbound (`sslconfig`), editable into this browser's pending changes, and VERIFY, which
/// lists what a cipher string expands to by the same OpenSSL calls the engine makes.
struct SSLPages {
    static let path = "/system-administration/ssl-configuration"
    let web: WebInterface

    struct Page {
        struct Service {
            let key: String
            let label: String
            let methods: String
            let ciphers: String
            let suites: String
        }
        let frame: PageFrame
        let services: [Service]
        let readOnly: Bool
        let errors: [String]
        let hasErrors: Bool
        let verifyString: String
        let verifyLines: [String]
        let verified: Bool
    }

    /// The services in `sslconfig`'s order, with their keys in forms.
    private static var services: [(key: String, label: String, path: WritableKeyPath<SSLConfiguration, SSLServiceSettings>)] {
        [("gui", "GUI HTTPS", \.gui), ("inbound", "Inbound SMTP", \.inbound), ("outbound", "Outbound SMTP", \.outbound)]
    }

    func add(to group: RouterGroup<WebContext>) {
        group.get(RouterPath(Self.path)) { request, context in
            let session = try context.requireSession()
            let text = request.uri.queryParameters["verify"].map(String.init) ?? ""
            var errors: [String] = []
            var lines: [String] = []
            if !text.isEmpty {
                do throws(TLSError) {
                    lines = try CipherList.expand(text).map(\.line)
                } catch {
                    errors.append("The cipher string \"\(text)\" cannot be used: \(error.reasons.joined(separator: "; ")).")
                }
            }
            return try render(session, errors: errors, verify: text, lines: lines)
        }
        group.post(RouterPath(Self.path)) { _, context in try submit(context) }
    }

    private func render(_ session: WebSession, errors: [String], verify: String = "", lines: [String] = [],
                        ssl: SSLConfiguration? = nil, status: HTTPResponse.Status = .ok) throws -> Response {
        let shown = ssl ?? session.pending.ssl
        let services = Self.services.map { service in
            let settings = shown[keyPath: service.path]
            return Page.Service(key: service.key, label: service.label, methods: settings.methods.description,
                                ciphers: settings.ciphers, suites: settings.tls13Suites)
        }
        return try web.render("ssl-configuration", Page(
            frame: web.frame(session, title: "SSL Configuration"), services: services,
            readOnly: !session.role.mayCommit, errors: errors, hasErrors: !errors.isEmpty, verifyString: verify,
            verifyLines: lines, verified: !lines.isEmpty), status: status)
    }

    private func submit(_ context: WebContext) throws -> Response {
        let session = try context.requireSession()
        let form = context.form
        var ssl = session.pending.ssl
        var errors: [String] = []
        for service in Self.services {
            let label = service.label
            guard let methods = TLSMethods(text: form[service.key + "_methods"] ?? "") else {
                errors.append("\(label) methods: write them as tlsv1.2/tlsv1.3.")
                continue
            }
            if let reason = methods.versions.compactMap(\.unavailableReason).first {
                errors.append("\(label) methods: \(reason)")
                continue
            }
            let settings = SSLServiceSettings(methods: methods, ciphers: form[service.key + "_ciphers"] ?? "",
                                              tls13Suites: form[service.key + "_suites"] ?? "",
                                              // XXX: the page has no resumption fields yet; keep the CLI's.
                                              resumption: ssl[keyPath: service.path].resumption)
            // The check the engine's and posternweb's contexts run when they are built.
            do throws(TLSError) {
                _ = try TLSContext(role: .server, settings: settings, identity: nil)
                ssl[keyPath: service.path] = settings
            } catch {
                errors.append("\(label): \(error.operation): \(error.reasons.joined(separator: "; ")).")
            }
        }
        guard errors.isEmpty else { return try render(session, errors: errors, ssl: ssl, status: .badRequest) }
        if ssl != session.pending.ssl {
            web.sessions.update(session.token) {
                $0.pending.ssl = ssl
                $0.notice = "Success — SSL settings were saved. Commit Changes to apply them."
            }
            web.auditLog(user: session.user, address: context.address, "ssl configuration submitted", result: "ok")
        }
        return Response.redirect(to: Self.path, type: .found)
    }
}
