import Foundation

/// An AsyncOS user role (`userconfig`): what the account may see and change.
public enum UserRole: String, Codable, CaseIterable, Sendable {
    case administrator
    case `operator`
    case readOnlyOperator = "readonly"
    case guest
    case technician
    case helpDesk = "helpdesk"

    /// The role's name and sentence as `userconfig` lists them.
    public var label: String {
        switch self {
        case .administrator: return "Administrators"
        case .operator: return "Operators"
        case .readOnlyOperator: return "Read-Only Operators"
        case .guest: return "Guests"
        case .technician: return "Technicians"
        case .helpDesk: return "Help Desk Users"
        }
    }

    public var summary: String {
        switch self {
        case .administrator: return "Administrators have full access to all settings of the system."
        case .operator: return "Operators are restricted from creating new user accounts."
        case .readOnlyOperator: return "Read-Only operators may only view settings and status information."
        case .guest: return "Guest users may only view status information."
        case .technician: return "Technicians can only manage upgrades and feature keys."
        case .helpDesk: return "Help Desk Users are restricted to message tracking only."
        }
    }

    /// May change and commit the configuration (Administrators and Operators).
    public var mayCommit: Bool { self == .administrator || self == .operator }
    /// May create, edit and delete accounts.
    public var managesUsers: Bool { self == .administrator }
    /// Sees the configuration pages; Guests and the restricted roles see only Monitor.
    public var seesConfiguration: Bool { self == .administrator || self == .operator || self == .readOnlyOperator }

    /// Accepts `administrator`, `admin`, `read-only`, `Read-Only Operators`, …
    public init?(word: String) {
        let folded = word.lowercased().filter { $0.isLetter }
        let table: [String: UserRole] = [
            "administrator": .administrator, "administrators": .administrator, "admin": .administrator,
            "operator": .operator, "operators": .operator,
            "readonly": .readOnlyOperator, "readonlyoperator": .readOnlyOperator, "readonlyoperators": .readOnlyOperator,
            "guest": .guest, "guests": .guest,
            "technician": .technician, "technicians": .technician,
            "helpdesk": .helpDesk, "helpdeskuser": .helpDesk, "helpdeskusers": .helpDesk,
        ]
        guard let role = table[folded] else { return nil }
        self = role
    }
}

/// One administrator account. A nil hash is an account with no usable password yet (the
/// factory `admin` until `passwd` or the first `scripts/run` sets one).
public struct UserAccount: Codable, Hashable, Sendable {
    public static let factoryAdmin = "admin"

    public var name: String
    public var fullName: String
    public var role: UserRole
    public var passwordHash: String?

    /// The factory account: `admin`, an Administrator, with no usable password.
    public static let factoryAccount = UserAccount(name: factoryAdmin, fullName: "Administrator", role: .administrator)

    public init(name: String, fullName: String, role: UserRole, passwordHash: String? = nil) {
        self.name = name
        self.fullName = fullName
        self.role = role
        self.passwordHash = passwordHash
    }
}

/// The password policy (AsyncOS "Local User Account & Password Settings"): a length, and
/// not the user's own name.
public enum PasswordPolicy {
    public static let minimumLength = 8
    public static let maximumLength = 128

    /// Why `password` cannot be `user`'s, or nil when it can.
    public static func problem(_ password: String, user: String) -> String? {
        if password.count < minimumLength {
            return "The password must be at least \(minimumLength) characters long."
        }
        if password.count > maximumLength {
            return "The password must be at most \(maximumLength) characters long."
        }
        if !user.isEmpty && password.lowercased().contains(user.lowercased()) {
            return "The password must not contain the user name."
        }
        if password.contains(where: { $0.isNewline || $0 == "\0" }) {
            return "The password must be on one line."
        }
        return nil
    }

    /// Why `name` cannot be a user name, or nil (AsyncOS: letters, digits, `-`, `_`, `.`).
    public static func nameProblem(_ name: String) -> String? {
        let allowed = name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)
        }
        guard !name.isEmpty, name.count <= 32, allowed, name.first != "-" else {
            return "User names are up to 32 lower-case letters, digits, '-', '_' or '.', not starting with '-'."
        }
        return nil
    }
}
