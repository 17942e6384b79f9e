import PosternConfig

extension CompiledHostAccess {
    /// Where a loopback probe lands in `table` (`ProbeSources`): the sender group's name, nil
    /// for ALL. The probe's peer has no reputation score and no verified host name.
    public static func landing(_ table: HostAccessTable) -> (IPAddress) -> String? {
        // A table that does not compile is refused before any probe; here it holds no group
        // (no valid group is named with a space).
        guard let compiled = try? CompiledHostAccess(table) else { return { _ in " " } }
        return { address in
            switch compiled.evaluate(PeerFacts(address: address, reverseDNS: .unverified(nil))) {
            case .matched(let match): return match.group
            case .temporaryFailure: return " "
            }
        }
    }
}
