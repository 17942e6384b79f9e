import Foundation
import PosternConfig
import PosternSpool
import PosternTLS

/// The bind passwords of SMTP AUTH LDAP profiles: each in its own file under `certs/`,
/// written like private keys (mode 0640, fsync, rename), so that the configuration, its
/// history, `showconfig` and the CLI log only ever name the file. A file is never rewritten:
/// a new password is a new file, so every generation in the history still finds its own.
public enum AuthSecrets {
    /// Writes a password and returns the file name to put in the profile.
    public static func store(password: String, profile: String, home: Home) throws -> String {
        let tag = Digest.randomBytes(6).map { String(format: "%02x", $0) }.joined()
        let safe = String(profile.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
        let name = "smtpauth-\(safe)-\(tag).secret"
        try FileManager.default.createDirectory(at: home.certsDirectory, withIntermediateDirectories: true)
        try DurableFile.write(Data(password.utf8), to: home.certificateFile(name), mode: Home.privateKeyMode)
        return name
    }

    /// The custom authorities' bundle when certconfig has them on, for LDAP over TLS.
    public static func authoritiesFile(_ configuration: Configuration, home: Home) -> String? {
        let authorities = configuration.certificateAuthorities
        guard authorities.useCustom, let file = authorities.customFile else { return nil }
        return home.certificateFile(file).path
    }

    /// The password a profile names, or a problem saying why it cannot be read.
    public static func load(_ file: String, profile: String, home: Home) throws(ConfigProblem) -> String {
        let path = "smtpAuth.profiles[\(profile)].ldap.bindPasswordFile"
        guard !file.contains("/"), file != "..",
            let data = try? Data(contentsOf: home.certificateFile(file)),
            let text = String(data: data, encoding: .utf8)
        else {
            throw ConfigProblem(path: path, message: "The file certs/\(file) does not exist or cannot be read.")
        }
        return text
    }
}

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
