import Foundation

/// Takes key material and passphrases out of text bound for a log or a history file
/// (`logs/cli.log` is readable by every admin): a PEM private key block (whole, or cut short)
/// becomes `[private key redacted]`, and the value of an option that carries a secret
/// (`--key=`, `--passphrase=`, `--password=`, `--secret=`) becomes `[redacted]`.
enum SecretRedaction {
    static let secretOptions = ["key", "passphrase", "password", "secret"]

    static func redact(_ text: String) -> String {
        var out = text
        // A private key block, to its END line or, pasted only in part, to the end of the text.
        if let regex = try? NSRegularExpression(
            pattern: "-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\\s\\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)")
        {
            out = regex.stringByReplacingMatches(in: out, range: NSRange(out.startIndex..., in: out),
                                                 withTemplate: "[private key redacted]")
        }
        let names = secretOptions.joined(separator: "|")
        if let regex = try? NSRegularExpression(
            pattern: "(--(?:\(names))=)('[^']*'?|\"(?:[^\"\\\\]|\\\\.)*\"?|\\S+)", options: [.caseInsensitive])
        {
            out = regex.stringByReplacingMatches(in: out, range: NSRange(out.startIndex..., in: out),
                                                 withTemplate: "$1[redacted]")
        }
        return out
    }
}

/// A per-admin file (the CLI history) opened without trusting what is already at its path:
/// never through a symbolic link (O_NOFOLLOW), only a regular file owned by this user, and
/// created 0600 when absent. Anything else is refused with a sentence saying why.
enum PrivateFile {
    struct Refused: Error, CustomStringConvertible {
        let description: String
    }

    static func open(_ path: String, write: Bool) throws(Refused) -> Int32 {
        let flags = (write ? O_RDWR | O_CREAT : O_RDONLY) | O_NOFOLLOW | O_CLOEXEC
        let fd = Foundation.open(path, flags, 0o600)
        guard fd >= 0 else {
            let e = errno
            throw Refused(description: e == ELOOP ? "\(path) is a symbolic link; not followed"
                : "\(path): \(String(cString: strerror(e)))")
        }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_uid == geteuid() else {
            close(fd)
            throw Refused(description: "\(path) is not a regular file owned by this user; not used")
        }
        if info.st_mode & 0o077 != 0 { fchmod(fd, 0o600) }
        return fd
    }
}
