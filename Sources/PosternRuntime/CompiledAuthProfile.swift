import Foundation
import PosternCertificates
import PosternConfig
import PosternStore

/// An SMTP AUTH profile ready to check with: its settings and, for LDAP, the bind password.
public struct CompiledAuthProfile: Sendable, Hashable {
    public let profile: SMTPAuthProfile
    public let bindPassword: String?
    /// The custom certificate authorities (certconfig > CERTAUTHORITY) when they are on: they
    /// verify an LDAP server's certificate; nil leaves it to the system's.
    public let caFile: String?
}

extension CompiledConfiguration {
    /// The profile a listener checks AUTH with, with its secret read.
    static func authProfile(for listener: Listener, in configuration: Configuration, home: Home,
                            problems: inout [ConfigProblem]) -> CompiledAuthProfile? {
        guard let name = listener.smtpAuthProfile, let profile = configuration.smtpAuthSettings.profile(named: name)
        else { return nil }
        let caFile = AuthSecrets.authoritiesFile(configuration, home: home)
        guard case .ldap(let ldap) = profile.method, let file = ldap.bindPasswordFile else {
            return CompiledAuthProfile(profile: profile, bindPassword: nil, caFile: caFile)
        }
        do {
            return CompiledAuthProfile(profile: profile, bindPassword: try AuthSecrets.load(file, profile: name, home: home),
                                       caFile: caFile)
        } catch {
            problems.append(error)
            return nil
        }
    }
}
