import PosternConfig
import PosternControl

extension ConnectionReport {
    /// What the connection came to for the TLS report: TLS negotiated, TLS tried or required
    /// and not had, or plaintext throughout. Nil for a connection that ended before the
    /// server's first reply: it never reached the point where TLS is decided.
    var tlsOutcome: TLSReport.Outcome? {
        if tlsFailure != nil || tlsRequiredFailure != nil || tlsErrorAfterHandshake != nil { return .failed }
        if tlsInfo != nil { return .succeeded }
        return repliesInClear.isEmpty ? nil : .unencrypted
    }

    /// Counts the connection under the destination's TLS setting (`destconfig`).
    func countTLS(level: TLSLevel, in registry: ConnectionRegistry) {
        guard let outcome = tlsOutcome else { return }
        let key = TLSReport.Key(.outgoing, level, outcome).name
        registry.count { $0.tlsByLevel[key, default: 0] += 1 }
    }
}
