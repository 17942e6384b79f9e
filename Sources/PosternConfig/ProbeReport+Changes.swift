/// What changes for whom between two probes (the committed configuration, then the
/// candidate), in sentences an administrator reads before committing.
extension ProbeReport {
    public func changes(from committed: ProbeReport) -> [String] {
        var lines: [String] = []
        let before = Dictionary(committed.listeners.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let after = Set(listeners.map(\.name))
        for listener in committed.listeners where !after.contains(listener.name) {
            lines.append("Listener \(listener.name) (\(listener.address) port \(listener.port)) is removed: "
                         + "senders there will no longer be able to connect.")
        }
        for listener in listeners {
            guard let old = before[listener.name] else {
                lines.append("Listener \(listener.name) (\(listener.address) port \(listener.port)) is new.")
                continue
            }
            if old.address != listener.address || old.port != listener.port {
                lines.append("Listener \(listener.name): \(old.address) port \(old.port) → \(listener.address) port "
                             + "\(listener.port).")
            }
            let oldGroups = Dictionary(old.groups.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            let newNames = Set(listener.groups.map(\.name))
            for group in old.groups where !newNames.contains(group.name) {
                lines.append("\(listener.name) \(group.name) (\(group.entries)): sender group removed; its senders "
                             + "now meet the next group that matches them.")
            }
            for group in listener.groups {
                let who = "\(listener.name) \(group.name) (\(group.entries))"
                guard let was = oldGroups[group.name] else {
                    lines.append("\(who): new sender group, \(group.action) (TLS \(group.tls ?? "?")).")
                    continue
                }
                lines += ProbeReport.groupChanges(who, was, group)
            }
        }
        return lines
    }

    static func groupChanges(_ who: String, _ was: ProbeGroup, _ now: ProbeGroup) -> [String] {
        var lines: [String] = []
        if was.entries != now.entries && was.name != "ALL" {
            lines.append("\(who): entries were \(was.entries).")
        }
        if was.action != now.action || was.behavior != now.behavior {
            lines.append("\(who): \(was.action) (\(was.behavior)) → \(now.action) (\(now.behavior)).")
        }
        // A group whose policy refuses its senders both before and after: no one meets its TLS.
        let refusing: Set<String> = [Behavior.reject.label, Behavior.tcpRefuse.label]
        if was.tls != now.tls, refusing.contains(was.behavior), refusing.contains(now.behavior) {
            return lines + ["\(who): TLS \(was.tls ?? "?") → \(now.tls ?? "?"): no sender meets it, the group's policy "
                            + "refuses them (\(now.behavior))."]
        }
        var consequences: [String] = []
        let plainBefore = was.plaintext?.mailReply, plainNow = now.plaintext?.mailReply
        if let plainNow, plainNow.hasPrefix("530"), !(plainBefore?.hasPrefix("530") ?? false) {
            consequences.append("plaintext senders in this group will now get 530")
        } else if let plainBefore, plainBefore.hasPrefix("530"), plainNow.map({ !$0.hasPrefix("530") }) ?? false {
            consequences.append("plaintext senders in this group are no longer refused with 530")
        }
        let offeredBefore = was.plaintext?.startTLSOffered ?? false, offeredNow = now.plaintext?.startTLSOffered ?? false
        if offeredBefore && !offeredNow && now.plaintext?.refused == nil {
            consequences.append("STARTTLS is no longer offered: mail from this group will travel in the clear")
        } else if !offeredBefore && offeredNow {
            consequences.append("STARTTLS is now offered")
        }
        let refusedBefore = was.tlsClient?.handshakeFailure != nil, refusedNow = now.tlsClient?.handshakeFailure != nil
        if refusedNow && !refusedBefore {
            // Only Required - Verify refuses for want of a certificate; elsewhere the handshake
            // itself fails (no common version or cipher), for every sender that starts TLS.
            consequences.append(now.tls == TLSLevel.requiredVerify.label
                ? "senders without a client certificate will now fail the TLS handshake"
                : "the TLS handshake fails (\(now.tlsClient?.handshakeFailure ?? "")): senders that start TLS cannot "
                    + "complete it")
        } else if refusedBefore && !refusedNow && now.tlsClient?.tlsProtocol != nil {
            consequences.append("senders without a client certificate can now complete the TLS handshake")
        }
        // The probe presents no certificate, so what verification does to those who present one
        // follows from the level alone.
        let verifiesBefore = was.tls?.hasSuffix("Verify") ?? false, verifiesNow = now.tls?.hasSuffix("Verify") ?? false
        if verifiesNow && !verifiesBefore {
            consequences.append("senders presenting a client certificate that does not verify will now be refused")
        } else if verifiesBefore && !verifiesNow {
            consequences.append("client certificates are no longer verified")
        }
        if let p = now.tlsClient?.tlsProtocol, let q = was.tlsClient?.tlsProtocol,
            p != q || now.tlsClient?.cipher != was.tlsClient?.cipher {
            consequences.append("the handshake now negotiates \(p) \(now.tlsClient?.cipher ?? "") (was \(q) "
                                + "\(was.tlsClient?.cipher ?? ""))")
        }
        if let s = now.tlsClient?.certificateSubject, let t = was.tlsClient?.certificateSubject, s != t {
            consequences.append("the certificate presented is now \(s) (was \(t))")
        }
        if was.tls != now.tls {
            let change = "TLS \(was.tls ?? "?") → \(now.tls ?? "?")"
            lines.append("\(who): \(change)" + (consequences.isEmpty ? "." : ": " + consequences.joined(separator: "; ") + "."))
        } else if !consequences.isEmpty {
            lines.append("\(who): " + consequences.joined(separator: "; ") + ".")
        }
        return lines
    }
}
