/// The TLS setting of a mail flow policy (asyncos-cli.md §3.1): No, Preferred or Required,
/// and for the last two whether client certificates are verified (AsyncOS's separate "Verify
/// Client Certificate" setting, asyncos-cli.md §11). One enum, so the two cannot contradict.
public enum TLSLevel: String, Codable, CaseIterable, Sendable {
    case no
    case preferred
    case required
    case preferredVerify = "preferred-verify"
    case requiredVerify = "required-verify"

    /// The label the CLI lists and the listener summary prints (`TLS: Required`).
    public var label: String {
        switch self {
        case .no: return "No"
        case .preferred: return "Preferred"
        case .required: return "Required"
        case .preferredVerify: return "Preferred - Verify"
        case .requiredVerify: return "Required - Verify"
        }
    }

    /// Whether STARTTLS is advertised at all.
    public var offersTLS: Bool { self != .no }

    /// Whether mail commands are refused until STARTTLS (RFC 3207 §4, `530`).
    public var requiresTLS: Bool { self == .required || self == .requiredVerify }

    /// Whether the server asks the client for a certificate and checks it.
    public var verifiesClient: Bool { self == .preferredVerify || self == .requiredVerify }

    /// The three answers of the TLS question (`1. No 2. Preferred 3. Required`, the seed's).
    public static let answers: [TLSLevel] = [.no, .preferred, .required]

    /// No, Preferred or Required, without the verification.
    public var answer: TLSLevel {
        switch self {
        case .no: return .no
        case .preferred, .preferredVerify: return .preferred
        case .required, .requiredVerify: return .required
        }
    }

    /// This answer with client certificates verified or not (No stays No).
    public func verifying(_ verify: Bool) -> TLSLevel {
        switch answer {
        case .preferred: return verify ? .preferredVerify : .preferred
        case .required: return verify ? .requiredVerify : .required
        default: return .no
        }
    }

    /// Parses a label, a raw value or a batch keyword (`required`, `Required - Verify`, `required_verify`).
    public init?(keyword: String) {
        let folded = keyword.lowercased().filter { $0.isLetter }
        guard let level = TLSLevel.allCases.first(where: { $0.rawValue.filter(\.isLetter) == folded }) else {
            return nil
        }
        self = level
    }
}

/// The SMTP AUTH setting of a mail flow policy (`1. No 2. Preferred 3. Required`).
public enum AuthLevel: String, Codable, CaseIterable, Sendable {
    case no
    case preferred
    case required

    public var label: String {
        switch self {
        case .no: return "No"
        case .preferred: return "Preferred"
        case .required: return "Required"
        }
    }

    public init?(keyword: String) {
        guard let level = AuthLevel.allCases.first(where: { $0.rawValue == keyword.lowercased() }) else { return nil }
        self = level
    }
}

/// What a sender group or mail flow policy does with a connection (asyncos-cli.md §2.3).
public enum Behavior: String, Codable, CaseIterable, Sendable {
    case accept = "ACCEPT"
    case relay = "RELAY"
    case reject = "REJECT"
    case tcpRefuse = "TCPREFUSE"
    /// "CONTINUE (no policy)": keep matching at the next sender group.
    case `continue` = "CONTINUE"

    /// The label of the CLI's behaviour list (`1. Accept` … `5. Continue`).
    public var label: String {
        switch self {
        case .accept: return "Accept"
        case .relay: return "Relay"
        case .reject: return "Reject"
        case .tcpRefuse: return "TCP Refuse"
        case .continue: return "Continue"
        }
    }

    public init?(keyword: String) {
        let folded = keyword.uppercased().filter { $0.isLetter }
        guard let behavior = Behavior.allCases.first(where: { $0.rawValue == folded }) else { return nil }
        self = behavior
    }
}

/// An SMTP reply code with its text; an empty text means the standard text for the code.
public struct SMTPResponse: Codable, Hashable, Sendable {
    public var code: Int
    public var text: String

    public init(code: Int, text: String = "") {
        self.code = code
        self.text = text
    }
}
