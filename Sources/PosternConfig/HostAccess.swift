/// A listener's Host Access Table (asyncos-cli.md §2): the Default Policy Parameters, the
/// named mail flow policies, the ordered sender groups, and what `ALL` does last.
public struct HostAccessTable: Codable, Hashable, Sendable {
    public var defaultParameters: PolicyParameters
    public var policies: [MailFlowPolicy]
    /// First match wins, in this order.
    public var senderGroups: [SenderGroup]
    /// The `ALL` group: always present, always last.
    public var all: SenderGroupAction

    public init(
        defaultParameters: PolicyParameters, policies: [MailFlowPolicy], senderGroups: [SenderGroup],
        all: SenderGroupAction
    ) {
        self.defaultParameters = defaultParameters
        self.policies = policies
        self.senderGroups = senderGroups
        self.all = all
    }

    public func policy(named name: String) -> MailFlowPolicy? {
        policies.first { $0.name == name }
    }

    public func senderGroup(named name: String) -> SenderGroup? {
        senderGroups.first { $0.name == name }
    }

    /// The behaviour and parameters a sender group runs under: its action's, then the group's
    /// own parameters (asked at NEW after an inline behaviour). Nil when the action names a
    /// policy that does not exist (validation reports that).
    public func resolve(_ group: SenderGroup) -> (behavior: Behavior, parameters: PolicyParameters)? {
        guard let resolved = resolve(group.action) else { return nil }
        guard let overrides = group.overrides else { return resolved }
        return (resolved.behavior, resolved.parameters.resolved(with: overrides))
    }

    /// The behaviour and parameters a sender group's action stands for; nil when it names a
    /// policy that does not exist (validation reports that).
    public func resolve(_ action: SenderGroupAction) -> (behavior: Behavior, parameters: PolicyParameters)? {
        switch action {
        case .behavior(let behavior):
            return (behavior, defaultParameters)
        case .policy(let name):
            guard let policy = policy(named: name) else { return nil }
            return (policy.behavior, defaultParameters.resolved(with: policy.overrides))
        }
    }
}

/// A named mail flow policy (`$ACCEPTED`): a behaviour and parameter overrides.
public struct MailFlowPolicy: Codable, Hashable, Sendable {
    public var name: String
    public var behavior: Behavior
    public var overrides: PolicyOverrides

    public init(name: String, behavior: Behavior, overrides: PolicyOverrides = PolicyOverrides()) {
        self.name = name
        self.behavior = behavior
        self.overrides = overrides
    }
}

/// A sender group: hosts that share a policy.
public struct SenderGroup: Codable, Hashable, Sendable {
    public var name: String
    public var entries: [SenderEntry]
    public var action: SenderGroupAction
    public var comment: String
    /// The group's own policy parameters on top of its action's (`Would you like to change the
    /// policy parameters?` at NEW, asyncos-cli.md §2.6); nil or empty: none.
    public var overrides: PolicyOverrides?

    public init(name: String, entries: [SenderEntry], action: SenderGroupAction, comment: String = "",
                overrides: PolicyOverrides? = nil) {
        self.name = name
        self.entries = entries
        self.action = action
        self.comment = comment
        self.overrides = overrides.flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// What a sender group points at: a named policy (`$TRUSTED`) or an inline behaviour.
public enum SenderGroupAction: Hashable, Sendable, CustomStringConvertible {
    case policy(String)
    case behavior(Behavior)

    /// `$NAME` for a policy, the behaviour keyword otherwise (the HAT text format).
    public var description: String {
        switch self {
        case .policy(let name): return "$" + name
        case .behavior(let behavior): return behavior.rawValue
        }
    }

    public init?(text: String) {
        if text.hasPrefix("$") {
            let name = String(text.dropFirst())
            guard !name.isEmpty else { return nil }
            self = .policy(name)
        } else if let behavior = Behavior(keyword: text) {
            self = .behavior(behavior)
        } else {
            return nil
        }
    }
}

extension SenderGroupAction: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let action = SenderGroupAction(text: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "\"\(text)\" is neither $POLICY nor a behaviour.")
        }
        self = action
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
