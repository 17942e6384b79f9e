import Foundation
import PosternCertificates
import PosternConfig
import PosternStore
import PosternTLS

/// `certconfig` (asyncos-cli.md §5.1): certificate profiles (PASTE, IMPORT, NEW self-signed,
/// DELETE, PRINT) and the certificate authorities that verify client certificates.
struct CertConfigCommand: CLICommand {
    let name = "certconfig"
    let summary = "Configure certificates and certificate authorities."
    let usage = """
        certconfig
            CERTIFICATE: PASTE, IMPORT, NEW (self-signed), DELETE, PRINT.
            CERTAUTHORITY: CUSTOM (ENABLE, DISABLE, PASTE, IMPORT, PRINT), SYSTEM (ENABLE, DISABLE).
        certconfig certificate import <name> <certificate.pem> <key.pem> [<chain.pem>]
        certconfig certificate new <name> --cn=<common name> [--org=...] [--days=3650] [--key=rsa|ecdsa]
            [--bits=2048] [--dns=a,b]
        certconfig certificate delete <name>
        certconfig certauthority custom import <bundle.pem>
        """

    func run(_ context: CommandContext) throws(DialogAbort) -> CommandStatus {
        let dialog = context.dialog
        while true {
            guard let operation = try dialog.menu([
                MenuItem("CERTIFICATE", "Import, create or manage certificates."),
                MenuItem("CERTAUTHORITY", "Manage how certificate authorities are used."),
            ]) else { return .ok }
            if operation == "CERTIFICATE" { try certificates(context) } else { try authorities(context) }
        }
    }

    // MARK: CERTIFICATE

    private func certificates(_ context: CommandContext) throws(DialogAbort) {
        let dialog = context.dialog
        while true {
            dialog.show(list(context))
            guard let operation = try dialog.menu([
                MenuItem("PASTE", "Paste a certificate into the CLI."),
                MenuItem("IMPORT", "Import a certificate and key from PEM files."),
                MenuItem("NEW", "Create a self-signed certificate."),
                MenuItem("DELETE", "Remove a certificate."),
                MenuItem("PRINT", "View certificates and the listeners that use them."),
            ]) else { return }
            switch operation {
            case "PASTE": try paste(context)
            case "IMPORT": try importFiles(context)
            case "NEW": try new(context)
            case "DELETE": try delete(context)
            default: print(context)
            }
        }
    }

    private func list(_ context: CommandContext) -> String {
        var lines = ["", "List of Certificates",
                     pad("Name", 16) + pad("Common Name", 28) + pad("Issued By", 28) + pad("Status", 9) + "Remaining",
                     String(repeating: "-", count: 15) + " " + String(repeating: "-", count: 27) + " "
                        + String(repeating: "-", count: 27) + " " + String(repeating: "-", count: 8) + " ---------"]
        for profile in context.configuration.certificates {
            guard let certificate = CertificateFiles.loadCertificate(profile, home: context.home) else {
                lines.append(pad(profile.name, 16) + "(the certificate file cannot be read)")
                continue
            }
            let days = Int(((certificate.notAfter ?? Date()).timeIntervalSinceNow / 86_400).rounded(.down))
            let issuer = certificate.isSelfIssued ? "(self-signed)" : (issuerCN(certificate) ?? certificate.issuer)
            lines.append(pad(profile.name, 16) + pad(certificate.commonName ?? "", 28) + pad(issuer, 28)
                + pad(days >= 0 ? "Valid" : "Expired", 9) + "\(max(days, 0)) days")
        }
        return lines.joined(separator: "\n")
    }

    private func issuerCN(_ certificate: Certificate) -> String? {
        certificate.issuer.split(separator: ",").first { $0.hasPrefix("CN=") }.map { String($0.dropFirst(3)) }
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? String(text.prefix(width - 1)) + " " : text.padding(toLength: width, withPad: " ", startingAt: 0)
    }

    /// The profile's name; an existing one may be overwritten, as AsyncOS asks (asyncos-cli.md
    /// l.810: `Certificate profile "x" already exists. Do you want to overwrite with this new one? [N]>`).
    private func askProfileName(_ context: CommandContext) throws(DialogAbort) -> String {
        let dialog = context.dialog
        while true {
            let name = try dialog.ask("Enter a name for this certificate profile:", prompt: "> ", default: nil,
                                      key: "name") { answer -> Result<String, DialogError> in
                ListenerConfigCommand.nameProblem(answer, taken: [], what: "certificate profile").map { .failure($0) }
                    ?? .success(answer)
            }
            guard let existing = context.configuration.certificates.first(where: { $0.name.lowercased() == name.lowercased() })
            else { return name }
            if try dialog.confirmation("Certificate profile \"\(existing.name)\" already exists. Do you want to overwrite "
                                       + "with this new one?", default: false, key: "overwrite",
                                       declined: "Certificate profile \"\(existing.name)\" already exists.") {
                return existing.name
            }
        }
    }

    private func paste(_ context: CommandContext) throws(DialogAbort) {
        let dialog = context.dialog
        let name = try askProfileName(context)
        let certificate: Certificate
        let key: PrivateKey
        do {
            certificate = try CertificateIntake.certificate(pem: try dialog.pem(
                "Paste public certificate in PEM format (end with '.'):", key: "certificate"))
            key = try CertificateIntake.key(pem: try dialog.pem("Paste private key in PEM format (end with '.'):",
                                                                 key: "key"))
            try CertificateIntake.check(certificate, signedBy: key)
        } catch let abort as DialogAbort { throw abort } catch {
            return try fail(dialog, "\(error)")
        }
        var chain: [Certificate] = []
        while try dialog.yesNo("Do you want to add an intermediate certificate?", default: false, key: "intermediate") {
            do {
                chain += try CertificateIntake.chain(pem: try dialog.pem(
                    "Paste intermediate certificate in PEM format (end with '.'):", key: "chain"))
            } catch let abort as DialogAbort { throw abort } catch {
                dialog.error("\(error)")
            }
        }
        try save(context, name: name, certificate: certificate, key: key, chain: chain)
    }

    private func importFiles(_ context: CommandContext) throws(DialogAbort) {
        let dialog = context.dialog
        let name = try askProfileName(context)
        func read(_ question: String, _ key: String, required: Bool = true) throws(DialogAbort) -> String? {
            guard let url = try dialog.configurationFile(question, key: key, home: context.home, required: required)
            else { return nil }
            guard let text = try? String(contentsOf: url, encoding: .utf8) else {
                dialog.error("the file \"\(url.lastPathComponent)\" does not exist.")
                throw dialog.mode == .batch
                    ? .invalidArgument("the file \"\(url.lastPathComponent)\" does not exist.") : .interrupted
            }
            return text
        }
        guard let certificateText = try read("Enter the name of the certificate file (PEM):", "certificate"),
            let keyText = try read("Enter the name of the private key file (PEM):", "key")
        else { return }
        let chainText = try read("Enter the name of the intermediate certificates file (PEM), or press Enter for none:",
                                 "chain", required: false)
        let made: (certificate: Certificate, key: PrivateKey, chain: [Certificate])
        do {
            made = try CertificateIntake.pasted(certificate: certificateText, key: keyText, chain: chainText ?? "")
        } catch {
            return try fail(dialog, error.message)
        }
        try save(context, name: name, certificate: made.certificate, key: made.key, chain: made.chain)
    }

    private func new(_ context: CommandContext) throws(DialogAbort) {
        let dialog = context.dialog
        let name = try askProfileName(context)
        let commonName = try dialog.text("Enter Common Name:", default: context.configuration.hostname, key: "cn",
                                         required: true)
        let organization = try dialog.text("Enter Organization:", key: "org")
        let unit = try dialog.text("Enter Organizational Unit:", key: "ou")
        let locality = try dialog.text("Enter Locality or City:", key: "city")
        let state = try dialog.text("Enter State or Province:", key: "state")
        let country = try dialog.text("Enter Country (2 letter code):", key: "country") { answer in
            CertificateIntake.countryProblem(answer).map { DialogError($0) }
        }
        let days = try dialog.number("Duration before expiration (in days):", default: 3650, range: 1...36_500, key: "days")
        // ECDSA P-256 signs at a fraction of an RSA-2048 key's cost; RSA is what every client speaks.
        let keyType = KeyType.allCases[try dialog.choose("Select the type of the private key:",
                                                         items: ["RSA", "ECDSA (P-256)"], default: 0, key: "key",
                                                         names: KeyType.allCases.map(\.rawValue))]
        let sizes = CertificateIntake.keySizes
        let size = keyType == .rsa
            ? try dialog.choose("Select a size for the private key:", items: sizes.map(String.init), default: 0,
                                key: "bits")
            : 0
        let dns = try dialog.text("Enter the DNS names for the certificate (subjectAltName), separated by commas:",
                                  default: commonName, key: "dns") { answer in
            do throws(CertificateIntake.Problem) {
                _ = try CertificateIntake.dnsNames(answer)
                return nil
            } catch {
                return DialogError(error.message)
            }
        }
        let made: CertifiedKey
        do {
            made = try CertificateIntake.selfSigned(
                subject: CertificateSubject(commonName: commonName, organization: organization, organizationalUnit: unit,
                                            locality: locality, state: state, country: country),
                dnsNames: dns, days: days, keyType: keyType, keyBits: sizes[size])
        } catch {
            return try fail(dialog, error.message)
        }
        try save(context, name: name, certificate: made.certificate, key: made.key, chain: [])
    }

    private func save(_ context: CommandContext, name: String, certificate: Certificate, key: PrivateKey,
                      chain: [Certificate]) throws(DialogAbort) {
        do {
            try CertificateIntake.stage(name: name, certificate: certificate, key: key, chain: chain,
                                        into: &context.configuration, home: context.home)
            context.dialog.say("Certificate profile \"\(name)\" saved (\(certificate.subject)). Choose it for a listener "
                + "with listenerconfig > EDIT > CERTIFICATE.")
        } catch {
            try fail(context.dialog, error.message)
        }
    }

    /// A certificate that cannot be used: said at a prompt, and in batch the end of the batch
    /// with a failing status (issue 14: it used to exit 0 and go on).
    private func fail(_ dialog: Dialog, _ message: String) throws(DialogAbort) {
        if dialog.mode == .batch { throw .invalidArgument(message) }
        dialog.error(message)
    }

    private func delete(_ context: CommandContext) throws(DialogAbort) {
        let dialog = context.dialog
        let profiles = context.configuration.certificates
        guard !profiles.isEmpty else { dialog.error("There are no certificate profiles."); return }
        guard let index = try dialog.pickItem("Enter the name or number of the certificate profile you wish to delete.",
                                              names: profiles.map(\.name)) else { return }
        let name = profiles[index].name
        let users = context.configuration.listeners.filter {
            ($0.certificate ?? FactoryDefaults.demoCertificateName) == name || $0.secondCertificate == name
        }.map(\.name)
        guard users.isEmpty else {
            dialog.error("The certificate profile \"\(name)\" is used by the listener \(users.joined(separator: ", ")); "
                + "choose another certificate for it first (listenerconfig > EDIT > CERTIFICATE).")
            if dialog.mode == .batch { throw .invalidArgument("The certificate profile \"\(name)\" is in use.") }
            return
        }
        guard try dialog.yesNo("Are you sure you want to delete the certificate profile \"\(name)\"?", default: false,
                               key: "confirm") else { return }
        context.configuration.certificates.remove(at: index)
        dialog.say("Certificate profile \"\(name)\" deleted.")
    }

    private func print(_ context: CommandContext) {
        let dialog = context.dialog
        for profile in context.configuration.certificates {
            let users = CertificateIntake.users(of: profile.name, in: context.configuration)
            dialog.say("\nCertificate profile: \(profile.name)")
            guard let c = CertificateFiles.loadCertificate(profile, home: context.home) else {
                dialog.say("  The certificate file certs/\(profile.certificateFile) cannot be read.")
                continue
            }
            dialog.say("  Subject: \(c.subject)")
            dialog.say("  Issuer: \(c.issuer)\(c.isSelfIssued ? " (self-signed)" : "")")
            dialog.say("  Key: \(c.keyAlgorithm)")
            dialog.say("  Valid: \(c.notBefore.map(CommitCommand.format) ?? "?") to \(c.notAfter.map(CommitCommand.format) ?? "?")")
            if !c.dnsNames.isEmpty { dialog.say("  DNS names: \(c.dnsNames.joined(separator: ", "))") }
            dialog.say("  SHA-256: \(c.sha256Fingerprint)")
            let chain = CertificateFiles.loadChain(profile, home: context.home)
            if !chain.isEmpty { dialog.say("  Intermediates: " + chain.map(\.subject).joined(separator: "; ")) }
            dialog.say("  Used by: \(users.isEmpty ? "nothing" : users.joined(separator: ", "))")
        }
    }

    // MARK: CERTAUTHORITY

    private func authorities(_ context: CommandContext) throws(DialogAbort) {
        let dialog = context.dialog
        while true {
            let ca = context.configuration.certificateAuthorities
            dialog.show("\nCustom list of certificate authorities: \(ca.useCustom ? "Enabled" : "Disabled")"
                + (ca.customFile.map { " (certs/\($0))" } ?? " (none imported)")
                + "\nSystem list of certificate authorities: \(ca.useSystem ? "Enabled" : "Disabled")")
            guard let operation = try dialog.menu([
                MenuItem("CUSTOM", "Manage custom certificate authorities."),
                MenuItem("SYSTEM", "Manage system certificate authorities."),
            ]) else { return }
            if operation == "SYSTEM" {
                guard let choice = try dialog.menu([MenuItem("ENABLE", "Use the system's certificate authorities."),
                                                    MenuItem("DISABLE", "Do not use them.")]) else { continue }
                context.configuration.certificateAuthorities.useSystem = choice == "ENABLE"
                continue
            }
            guard let choice = try dialog.menu([
                MenuItem("ENABLE", "Use the custom certificate authorities."),
                MenuItem("DISABLE", "Do not use them."),
                MenuItem("PASTE", "Paste certificate authorities in PEM format."),
                MenuItem("IMPORT", "Import certificate authorities from a PEM file."),
                MenuItem("PRINT", "Show the custom certificate authorities."),
            ]) else { continue }
            switch choice {
            case "ENABLE", "DISABLE":
                if choice == "ENABLE" && ca.customFile == nil {
                    dialog.error("No custom certificate authorities have been imported; use PASTE or IMPORT first.")
                    continue
                }
                context.configuration.certificateAuthorities.useCustom = choice == "ENABLE"
            case "PASTE", "IMPORT":
                let text: String?
                if choice == "PASTE" {
                    text = try dialog.pem("Paste the certificate authorities in PEM format (end with '.'):", key: "pem")
                } else {
                    let url = try dialog.requiredConfigurationFile("Enter the name of the PEM file to import:",
                                                                   home: context.home)
                    text = try? String(contentsOf: url, encoding: .utf8)
                }
                guard let text, let certificates = try? Certificate.readAll(pem: text) else {
                    dialog.error("Could not read PEM data from file.")
                    if dialog.mode == .batch { throw .invalidArgument("Could not read PEM data from file.") }
                    continue
                }
                do {
                    let file = try CertificateFiles.storeAuthorities(certificates, home: context.home)
                    context.configuration.certificateAuthorities.customFile = file
                    context.configuration.certificateAuthorities.useCustom = true
                    dialog.say("\(certificates.count) certificate authorit\(certificates.count == 1 ? "y" : "ies") "
                        + "imported and enabled.")
                } catch {
                    dialog.error("The file cannot be written: \(error)")
                }
            default:
                guard let file = ca.customFile,
                    let text = try? String(contentsOf: context.home.certificateFile(file), encoding: .utf8),
                    let certificates = try? Certificate.readAll(pem: text)
                else { dialog.say("No custom certificate authorities."); continue }
                for c in certificates { dialog.say("\(c.subject)  (valid until \(c.notAfter.map(CommitCommand.format) ?? "?"))") }
            }
        }
    }
}
