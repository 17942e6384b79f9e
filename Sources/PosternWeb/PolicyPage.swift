import PosternConfig

/// What the Mail Flow Policy edit template draws: AsyncOS's sections, then Encryption and
/// Authentication. Values come from the policy, or from a submitted form shown again with
/// its problems.
struct PolicyPage {
    struct FieldView {
        let key: String
        let label: String
        let isNumber: Bool
        let value: String
        let yes: Bool
        /// A named policy: the field offers "Use Default" and shows the default's value.
        let named: Bool
        let useDefault: Bool
        let defaultText: String
    }

    struct SectionView {
        let title: String
        let fields: [FieldView]
    }

    struct Choice {
        let value: String
        let label: String
        let checked: Bool
    }

    let frame: PageFrame
    let listener: String
    let policy: String
    let title: String
    let isDefault: Bool
    let behavior: String
    let readOnly: Bool
    let errors: [String]
    let hasErrors: Bool
    let sections: [SectionView]
    let tlsChoices: [Choice]
    let tlsVerify: Bool
    let authChoices: [Choice]
    let authRequiresTLS: Bool
    /// The listener serves the demo certificate: TLS works but no peer can verify it.
    let demoWarning: Bool
    /// "TLS is Mandatory for Address List": Use Default (named policies), None, each list.
    let addressListChoices: [Choice]

    static func make(frame: PageFrame, listener: Listener, policyName: String?, readOnly: Bool, errors: [String],
                     form: [String: String]? = nil, addressLists: [String] = []) -> PolicyPage
    {
        let hat = listener.hostAccess
        let defaults = hat.defaultParameters
        let policy = policyName.flatMap { hat.policy(named: $0) }
        let overrides = policy?.overrides ?? PolicyOverrides()
        let current = defaults.resolved(with: overrides)
        let named = policy != nil
        var sections: [SectionView] = []
        for section in PolicyForm.sections {
            let fields = section.fields.map { field -> FieldView in
                let overridden = overridesField(field, overrides)
                let value = form?[field.key] ?? String(field.get(current))
                let useDefault = named && (form.map { $0[field.key + "_mode"] == "default" } ?? !overridden)
                let defaultValue = field.get(defaults)
                return FieldView(
                    key: field.key, label: field.label, isNumber: field.kind == .number, value: value,
                    yes: form.map { $0[field.key] == "yes" } ?? (field.get(current) != 0), named: named,
                    useDefault: useDefault,
                    defaultText: field.kind == .number ? String(defaultValue) : (defaultValue != 0 ? "Yes" : "No"))
            }
            sections.append(SectionView(title: section.title, fields: fields))
        }
        let tlsValue = form?["tls"] ?? (named && overrides.tls == nil ? "default" : PolicyForm.TLSChoice(current.tls).rawValue)
        var tlsChoices = named ? [Choice(value: "default", label: "Use Default (\(defaults.tls.label))",
                                         checked: tlsValue == "default")] : []
        tlsChoices += [("off", "Off"), ("preferred", "Preferred"), ("required", "Required")].map {
            Choice(value: $0.0, label: $0.1, checked: tlsValue == $0.0)
        }
        let authValue = form?["auth"]
            ?? (named && overrides.smtpAuth == nil ? "default" : (current.smtpAuth == .no ? "off" : current.smtpAuth.rawValue))
        var authChoices = named ? [Choice(value: "default", label: "Use Default (\(defaults.smtpAuth.label))",
                                          checked: authValue == "default")] : []
        authChoices += [("off", "Off"), ("preferred", "Preferred"), ("required", "Required")].map {
            Choice(value: $0.0, label: $0.1, checked: authValue == $0.0)
        }
        let listValue = form?["tls_address_list"]
            ?? (named && overrides.tlsAddressList == nil ? "default" : current.tlsAddressList ?? "")
        var addressListChoices = named ? [Choice(value: "default", label: "Use Default (\(defaults.tlsAddressList ?? "None"))",
                                                 checked: listValue == "default")] : []
        addressListChoices += ([("", "None")] + addressLists.map { ($0, $0) }).map {
            Choice(value: $0.0, label: $0.1, checked: listValue.lowercased() == $0.0.lowercased())
        }
        let certificate = listener.certificate ?? FactoryDefaults.demoCertificateName
        return PolicyPage(
            frame: frame, listener: listener.name, policy: policyName ?? MailFlowPolicyPages.defaultKey,
            title: policyName ?? "Default Policy Parameters", isDefault: !named,
            behavior: policy?.behavior.label ?? "", readOnly: readOnly, errors: errors, hasErrors: !errors.isEmpty,
            sections: sections,
            tlsChoices: tlsChoices, tlsVerify: form.map { $0["tls_verify"] == "on" } ?? current.tls.verifiesClient,
            authChoices: authChoices,
            authRequiresTLS: form.map { $0["auth_requires_tls"] == "on" } ?? current.requireTLSForAuth,
            demoWarning: certificate == FactoryDefaults.demoCertificateName, addressListChoices: addressListChoices)
    }

    /// Whether the policy sets this field itself rather than inheriting it.
    private static func overridesField(_ field: PolicyForm.Field, _ overrides: PolicyOverrides) -> Bool {
        var cleared = overrides
        field.set(&cleared, nil)
        return cleared != overrides
    }
}
