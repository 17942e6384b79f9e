import Foundation
import PosternConfig
import PosternSpool
import PosternStore
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
