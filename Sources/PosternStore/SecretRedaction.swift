import Foundation

/// Takes key material and passphrases out of text bound for a log or a history file
/// (`logs/cli.log` is readable by every admin): a PEM private key block (whole, or cut short)
/// becomes `[private key redacted]`, and the value of an option that carries a secret
/// (`--key=`, and any option whose name ends in `passphrase`, `password` or `secret`, such as
/// `--bind_password=`) becomes `[redacted]`, except `--key=rsa` and `--key=ecdsa`, which name
/// the type of a key certconfig NEW is to make. Shared by the CLI and the web interface.
public enum SecretRedaction {
    static let secretOptions = ["passphrase", "password", "secret"]

    public static func redact(_ text: String) -> String {
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
            pattern: "(--(?:[a-z0-9_]*(?:\(names))|[a-z0-9_]*key(?!=(?:rsa|ecdsa)(?:[\\s;]|$)))=)"
                + "('[^']*'?|\"(?:[^\"\\\\]|\\\\.)*\"?|\\S+)", options: [.caseInsensitive])
        {
            out = regex.stringByReplacingMatches(in: out, range: NSRange(out.startIndex..., in: out),
                                                 withTemplate: "$1[redacted]")
        }
        return out
    }
}
