import Foundation
import PosternConfig
import PosternStore
import PosternTLS

/// Where the web interface serves and with what TLS: one per interface with HTTPS enabled,
/// the `sslconfig GUI` methods and ciphers over the interface's certificate. Compiled with
/// the rest of the configuration, so `commit` refuses a GUI cipher string OpenSSL refuses.
public struct CompiledWebInterface: Sendable {
    public let interface: IPInterface
    public let httpsPort: Int
    /// The plain HTTP port that redirects to HTTPS, if any.
    public let httpPort: Int?
    public let tls: TLSContext
}

extension CompiledConfiguration {
    static func compileWeb(_ configuration: Configuration, home: Home, problems: inout [ConfigProblem])
        -> [CompiledWebInterface]
    {
        var compiled: [CompiledWebInterface] = []
        for interface in configuration.interfaces {
            guard let port = interface.httpsPort else { continue }
            let path = "interfaces[\(interface.name)].certificate"
            let name = interface.certificate ?? FactoryDefaults.demoCertificateName
            guard let profile = configuration.certificate(named: name) else {
                problems.append(ConfigProblem(path: path, message: "The certificate profile \"\(name)\" does not exist."))
                continue
            }
            do {
                let identity = try identity(profile, home: home)
                let tls = try TLSContext(role: .server, settings: configuration.ssl.gui, identity: identity, trust: nil)
                compiled.append(CompiledWebInterface(interface: interface, httpsPort: port, httpPort: interface.httpPort,
                                                     tls: tls))
            } catch let error as TLSError {
                problems.append(ConfigProblem(path: error.isAboutSettings ? "ssl.gui" : path,
                                              message: "\(error.operation): \(error.reasons.joined(separator: "; "))"))
            } catch let error as ConfigProblem {
                problems.append(error)
            } catch {
                problems.append(ConfigProblem(path: path, message: "\(error)"))
            }
        }
        return compiled
    }
}
