import Foundation
import Hummingbird
import PosternCertificates
import PosternConfig
import PosternStore
import PosternTLS

/// Network → Certificates: the certificate profiles of this browser's pending view with what
/// presents each, and three ways to add one (`certconfig` PASTE, IMPORT as a file upload, and
/// NEW self-signed) through `CertificateIntake`, the checks the CLI makes. A new profile is
/// staged like every change: its files are written under names no committed generation uses,
/// and the configuration names it only after Commit Changes.
struct CertificatePages {
    static let path = "/network/certificates"
    let web: WebInterface

    struct Page {
        struct Row {
            let name: String
            let subject: String
            let issuer: String
            let expires: String
            let status: String
            let keyType: String
            let usedBy: String
        }
        struct Choice { let value: String; let label: String; let selected: Bool }
        let frame: PageFrame
        let rows: [Row]
        let readOnly: Bool
        let errors: [String]
        let hasErrors: Bool
        /// Which form the errors belong to, and what it held (so nothing typed is lost).
        let form: [String: String]
        let keyTypes: [Choice]
        let keySizes: [Choice]
    }

    func add(to group: RouterGroup<WebContext>) {
        group.get(RouterPath(Self.path)) { _, context in
            let session = try context.requireSession()
            let response = try render(session, errors: [], form: [:])
            if session.notice != nil { web.sessions.update(session.token) { $0.notice = nil } }
            return response
        }
        group.post(RouterPath(Self.path)) { _, context in try await submit(context) }
    }

    private func render(_ session: WebSession, errors: [String], form: [String: String],
                        status: HTTPResponse.Status = .ok) throws -> Response {
        let configuration = session.pending
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        let rows = configuration.certificates.map { profile -> Page.Row in
            let users = CertificateIntake.users(of: profile.name, in: configuration)
            let usedBy = users.isEmpty ? "—" : users.joined(separator: ", ")
            guard let certificate = CertificateFiles.loadCertificate(profile, home: web.home) else {
                return Page.Row(name: profile.name, subject: "(the certificate file cannot be read)", issuer: "",
                                expires: "", status: "Unreadable", keyType: "", usedBy: usedBy)
            }
            let expired = (certificate.notAfter ?? .distantPast) < Date()
            return Page.Row(
                name: profile.name, subject: certificate.subject,
                issuer: certificate.isSelfIssued ? "(self-signed)" : certificate.issuer,
                expires: certificate.notAfter.map { formatter.string(from: $0) } ?? "?",
                status: expired ? "Expired" : "Valid", keyType: certificate.keyAlgorithm, usedBy: usedBy)
        }
        let keyType = form["key_type"] ?? KeyType.rsa.rawValue
        let bits = form["key_bits"] ?? "2048"
        return try web.render("certificates", Page(
            frame: web.frame(session, title: "Certificates"), rows: rows, readOnly: !session.role.mayCommit,
            errors: errors, hasErrors: !errors.isEmpty, form: form,
            keyTypes: [.init(value: "rsa", label: "RSA", selected: keyType == "rsa"),
                       .init(value: "ecdsa", label: "ECDSA (P-256)", selected: keyType == "ecdsa")],
            keySizes: CertificateIntake.keySizes.map { .init(value: "\($0)", label: "\($0)", selected: "\($0)" == bits) }),
            status: status)
    }

    private func submit(_ context: WebContext) async throws -> Response {
        let session = try context.requireSession()
        let form = context.form
        let name = (form["name"] ?? "").trimmingCharacters(in: .whitespaces)
        var errors: [String] = []
        if !ConfigNames.isValid(name) { errors.append("Name: " + ConfigNames.rule) }
        let existing = session.pending.certificates.first { $0.name.lowercased() == name.lowercased() }
        if let existing, form["overwrite"] != "on" {
            errors.append("Certificate profile \"\(existing.name)\" already exists. Check \"Overwrite\" to replace it.")
        }
        guard errors.isEmpty else { return try render(session, errors: errors, form: form, status: .badRequest) }
        // Key generation and the checks are CPU work (an RSA-4096 key takes a while): off the loop.
        let home = web.home
        var configuration = session.pending
        let outcome: Result<Configuration, CertificateIntake.Problem> = await Task.detached {
            do throws(CertificateIntake.Problem) {
                switch form["operation"] {
                case "paste", "upload":
                    let made = try CertificateIntake.pasted(
                        certificate: form["certificate"] ?? "", key: form["key"] ?? "", chain: form["chain"] ?? "")
                    try CertificateIntake.stage(name: name, certificate: made.certificate, key: made.key,
                                                chain: made.chain, into: &configuration, home: home)
                case "new":
                    let subject = CertificateSubject(
                        commonName: (form["cn"] ?? "").trimmingCharacters(in: .whitespaces),
                        organization: form["org"] ?? "", organizationalUnit: form["ou"] ?? "",
                        locality: form["city"] ?? "", state: form["state"] ?? "", country: form["country"] ?? "")
                    let made = try CertificateIntake.selfSigned(
                        subject: subject, dnsNames: form["dns"] ?? "", days: Int(form["days"] ?? "") ?? 0,
                        keyType: KeyType(rawValue: form["key_type"] ?? "") ?? .rsa,
                        keyBits: Int(form["key_bits"] ?? "") ?? 0)
                    try CertificateIntake.stage(name: name, certificate: made.certificate, key: made.key, chain: [],
                                                into: &configuration, home: home)
                default:
                    throw CertificateIntake.Problem("Choose Paste, Upload or Create Self-Signed.")
                }
                return .success(configuration)
            } catch {
                return .failure(error)
            }
        }.value
        switch outcome {
        case .failure(let problem):
            web.auditLog(user: session.user, address: context.address, "certificate \(name)",
                         result: "refused: \(problem.message)")
            return try render(session, errors: [problem.message], form: form, status: .badRequest)
        case .success(let staged):
            let problems = staged.validate().filter { $0.path.hasPrefix("certificates") }
            guard problems.isEmpty else {
                return try render(session, errors: problems.map { "\($0.path): \($0.message)" }, form: form,
                                  status: .badRequest)
            }
            web.sessions.update(session.token) {
                $0.pending = staged
                $0.notice = "Success — certificate profile \"\(name)\" was saved. Commit Changes to apply it; "
                    + "choose it for a listener with listenerconfig > EDIT > CERTIFICATE."
            }
            web.auditLog(user: session.user, address: context.address, "certificate \(name) staged", result: "ok")
            return Response.redirect(to: Self.path, type: .found)
        }
    }
}
