import Foundation
import PosternConfig
import PosternPolicy
import PosternStore
import PosternTLS

/// A configuration turned into what serves: per listener the TLS context and the compiled
/// tables. The engine builds one at every reload, and `commit` builds one to check, so the
/// CLI refuses exactly what the engine would reject.
public struct CompiledConfiguration: Sendable {
    public let configuration: Configuration
    public let listeners: [CompiledListener]
    /// The client context for delivery: OUTBOUND methods and ciphers, the destconfig SETUP
    /// certificate, and the trusted authorities for the -Verify levels.
    public let outboundTLS: TLSContext
    /// Where posternweb serves HTTPS, under `sslconfig GUI`.
    public let web: [CompiledWebInterface]

    /// - Parameter ticketKeys: the engine's session-ticket keys for its listeners; without
    ///   them (a commit check, the CLI) each context has OpenSSL's own.
    public init(_ configuration: Configuration, home: Home, ticketKeys: SessionTicketKeys? = nil)
        throws(ConfigProblems)
    {
        var problems = configuration.validate()
        if !problems.isEmpty { throw ConfigProblems(problems) }
        var listeners: [CompiledListener] = []
        let addressLists = Dictionary(configuration.addressListsValue.map { ($0.name.lowercased(), CompiledAddressList($0)) },
                                      uniquingKeysWith: { first, _ in first })
        let trust = CompiledConfiguration.trust(configuration, home: home, problems: &problems)
        for listener in configuration.listeners {
            let path = "listeners[\(listener.name)]"
            guard let interface = configuration.interface(named: listener.interface) else { continue }
            var hat: CompiledHostAccess?
            do {
                hat = try CompiledHostAccess(listener.hostAccess)
            } catch {
                problems += error.problems.map { ConfigProblem(path: "\(path).hostAccess.\($0.path)", message: $0.message) }
            }
            let profileName = listener.certificate ?? FactoryDefaults.demoCertificateName
            var tls: TLSContext?
            if let profile = configuration.certificate(named: profileName) {
                do {
                    let identity = try CompiledConfiguration.identity(profile, home: home)
                    let second = try CompiledConfiguration.secondIdentity(of: listener, first: identity,
                                                                          in: configuration, home: home)
                    let verifies = listener.hostAccess.usesClientVerification
                    tls = try TLSContext(role: .server, settings: configuration.ssl.inbound, identity: identity,
                                         secondIdentity: second, trust: verifies ? trust : nil,
                                         sessionLabel: listener.name, ticketKeys: ticketKeys)
                } catch let error as TLSError {
                    let where_ = error.isAboutSettings ? "ssl.inbound" : "\(path).certificate"
                    problems.append(ConfigProblem(path: where_, message: "\(error.operation): \(error.reasons.joined(separator: "; "))"))
                } catch let error as ConfigProblem {
                    problems.append(error)
                } catch {
                    problems.append(ConfigProblem(path: "\(path).certificate", message: "\(error)"))
                }
            } else {
                problems.append(ConfigProblem(path: "\(path).certificate",
                                              message: "The certificate profile \"\(profileName)\" does not exist."))
            }
            let auth = CompiledConfiguration.authProfile(for: listener, in: configuration, home: home,
                                                         problems: &problems)
            if let hat, let tls {
                let rat = listener.recipientAccess.map(CompiledRecipientAccess.init)
                listeners.append(CompiledListener(listener: listener, interface: interface, tls: tls, hostAccess: hat,
                                                  recipientAccess: rat, smtpAuth: auth, addressLists: addressLists))
            }
        }
        var outbound: TLSContext?
        let outboundProfile = configuration.delivery.destinations.certificate ?? FactoryDefaults.demoCertificateName
        do {
            let identity = try configuration.certificate(named: outboundProfile).map {
                try CompiledConfiguration.identity($0, home: home)
            }
            outbound = try TLSContext(role: .client, settings: configuration.ssl.outbound, identity: identity,
                                      trust: trust)
        } catch let error as TLSError {
            let path = error.isAboutSettings ? "ssl.outbound" : "delivery.destinations.certificate"
            problems.append(ConfigProblem(path: path, message: "\(error.operation): \(error.reasons.joined(separator: "; "))"))
        } catch let error as ConfigProblem {
            problems.append(error)
        } catch {
            problems.append(ConfigProblem(path: "ssl.outbound", message: "\(error)"))
        }
        let web = CompiledConfiguration.compileWeb(configuration, home: home, problems: &problems)
        if !problems.isEmpty {
            // One bad cipher string fails every listener the same way; say it once.
            var seen = Set<ConfigProblem>()
            throw ConfigProblems(problems.filter { seen.insert($0).inserted })
        }
        self.configuration = configuration
        self.listeners = listeners
        self.outboundTLS = outbound!
        self.web = web
    }

    /// Every problem the engine would reload with, or none.
    public static func check(_ configuration: Configuration, home: Home) -> [ConfigProblem] {
        do {
            _ = try CompiledConfiguration(configuration, home: home)
            return []
        } catch {
            return error.problems
        }
    }

    static func identity(_ profile: CertificateProfile, home: Home) throws -> TLSIdentityFiles {
        let path = "certificates[\(profile.name)]"
        var files: [String] = []
        for name in [profile.certificateFile, profile.keyFile] + (profile.chainFile.map { [$0] } ?? []) {
            guard !name.hasPrefix("/"), !name.split(separator: "/").contains("..") else {
                throw ConfigProblem(path: path, message: "\"\(name)\" must be a file name inside certs/.")
            }
            let url = home.certificateFile(name)
            guard FileManager.default.isReadableFile(atPath: url.path) else {
                throw ConfigProblem(path: path, message: "The file certs/\(name) does not exist or cannot be read.")
            }
            files.append(url.path)
        }
        return TLSIdentityFiles(certificatePath: files[0], keyPath: files[1], chainPath: files.count > 2 ? files[2] : nil)
    }

    /// The listener's second certificate, whose key must be of the other type than the first's:
    /// OpenSSL keeps one certificate per key type, so a second RSA one would replace the first.
    static func secondIdentity(of listener: Listener, first: TLSIdentityFiles, in configuration: Configuration,
                               home: Home) throws -> TLSIdentityFiles? {
        guard let name = listener.secondCertificate, let profile = configuration.certificate(named: name) else {
            return nil
        }
        let second = try identity(profile, home: home)
        let path = "listeners[\(listener.name)].secondCertificate"
        func keyType(_ files: TLSIdentityFiles) throws -> KeyType? {
            guard let text = try? String(contentsOfFile: files.certificatePath, encoding: .utf8) else {
                let name = (files.certificatePath as NSString).lastPathComponent
                throw ConfigProblem(path: path, message: "The file certs/\(name) cannot be read.")
            }
            return try Certificate(pem: text).keyType
        }
        let types = (try keyType(first), try keyType(second))
        guard let a = types.0, let b = types.1, a != b else {
            throw ConfigProblem(path: path, message: "The second certificate \"\(name)\" must have a key of the other "
                + "type (an ECDSA certificate beside an RSA one, or the reverse).")
        }
        return second
    }

    static func trust(_ configuration: Configuration, home: Home, problems: inout [ConfigProblem]) -> TLSTrust {
        let authorities = configuration.certificateAuthorities
        var custom: String?
        if authorities.useCustom, let file = authorities.customFile {
            let url = home.certificateFile(file)
            if FileManager.default.isReadableFile(atPath: url.path) {
                custom = url.path
            } else {
                problems.append(ConfigProblem(path: "certificateAuthorities.customFile",
                                              message: "The file certs/\(file) does not exist or cannot be read."))
            }
        }
        return TLSTrust(useSystem: authorities.useSystem, customBundlePath: custom)
    }
}

/// One listener ready to serve.
public struct CompiledListener: Sendable {
    public let listener: Listener
    public let interface: IPInterface
    public let tls: TLSContext
    public let hostAccess: CompiledHostAccess
    public let recipientAccess: CompiledRecipientAccess?
    /// The SMTPAUTH profile, with its secret; nil offers no AUTH.
    public let smtpAuth: CompiledAuthProfile?
    /// The address lists by lowercased name (`addresslistconfig`), for TLS is Mandatory.
    public let addressLists: [String: CompiledAddressList]

    /// The list a policy makes TLS mandatory for, if its TLS level is Preferred (under Required
    /// every sender must use TLS anyway; under No none can).
    public func tlsMandatoryList(for parameters: PolicyParameters) -> CompiledAddressList? {
        guard parameters.tls.offersTLS, !parameters.tls.requiresTLS, let name = parameters.tlsAddressList else { return nil }
        return addressLists[name.lowercased()]
    }
}

extension TLSError {
    /// Whether OpenSSL refused the `sslconfig` settings (methods, ciphers, suites) rather
    /// than the certificate: the problem's path names the one or the other.
    var isAboutSettings: Bool {
        operation.hasPrefix("cipher") || operation.hasPrefix("TLS 1.3") || operation.hasPrefix("method")
    }
}

extension HostAccessTable {
    /// Whether any policy (or the defaults) asks for client certificates.
    public var usesClientVerification: Bool {
        defaultParameters.tls.verifiesClient
            || policies.contains { defaultParameters.resolved(with: $0.overrides).tls.verifiesClient }
            || senderGroups.contains { resolve($0)?.parameters.tls.verifiesClient == true }
    }
}

extension CompiledConfiguration {
    /// The client of `commit --dry-run` and `selftest`: OUTBOUND's methods, ciphers and trusted
    /// authorities, and no certificate, so that a -Verify policy meets a sender without one.
    /// Delivery's own context presents the OUTBOUND certificate (the demo one by default),
    /// and the Verify results would then be about that certificate.
    public static func probeClient(_ configuration: Configuration, home: Home) throws -> TLSContext {
        var problems: [ConfigProblem] = []
        let trust = CompiledConfiguration.trust(configuration, home: home, problems: &problems)
        return try TLSContext(role: .client, settings: configuration.ssl.outbound, identity: nil, trust: trust)
    }
}
