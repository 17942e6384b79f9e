import Foundation

/// Re-applies a session's edits on top of a generation someone else committed meanwhile
/// (DESIGN.md, commit protocol step 3): a three-way merge of the JSON trees of the base the
/// session started from, the session's pending configuration, and the newest generation.
///
/// Objects merge member by member; arrays whose elements all carry a distinct `name`
/// (listeners, sender groups, policies, profiles) merge element by name, so two admins
/// editing different listeners do not collide. Any other value that both changed, to
/// different results, is a conflict: it is listed by path and nothing is merged.
public enum ConfigRebase {
    public struct Conflicts: Error, CustomStringConvertible, Sendable {
        /// The paths both sides changed differently (`listeners[InboundMail].port`).
        public let paths: [String]

        public var description: String {
            "Both you and the other commit changed: " + paths.joined(separator: ", ")
        }
    }

    public static func rebase(base: Configuration, mine: Configuration, onto theirs: Configuration)
        throws -> Configuration
    {
        var conflicts: [String] = []
        let merged = merge(try tree(base), try tree(mine), try tree(theirs), path: "", conflicts: &conflicts)
        guard conflicts.isEmpty else { throw Conflicts(paths: conflicts) }
        return try CanonicalJSON.decode(Configuration.self, from: CanonicalJSON.encode(merged ?? .null))
    }

    private static func tree(_ configuration: Configuration) throws -> JSONValue {
        try CanonicalJSON.decode(JSONValue.self, from: CanonicalJSON.encode(configuration))
    }

    /// nil is "absent" (a member or element that one side removed or added).
    private static func merge(_ base: JSONValue?, _ mine: JSONValue?, _ theirs: JSONValue?, path: String,
                              conflicts: inout [String]) -> JSONValue? {
        if mine == base { return theirs }
        if theirs == base || mine == theirs { return mine }
        switch (base, mine, theirs) {
        case (.object(let b)?, .object(let m)?, .object(let t)?):
            var out: [String: JSONValue] = [:]
            for key in Set(b.keys).union(m.keys).union(t.keys).sorted() {
                let child = path.isEmpty ? key : path + "." + key
                out[key] = merge(b[key], m[key], t[key], path: child, conflicts: &conflicts)
            }
            return .object(out)
        case (.array(let b)?, .array(let m)?, .array(let t)?):
            if let bn = named(b), let mn = named(m), let tn = named(t) {
                // Their order, then the elements only this session added, in its order.
                let order = t.compactMap(\.name) + m.compactMap(\.name).filter { tn[$0] == nil && bn[$0] == nil }
                return .array(order.compactMap { name in
                    merge(bn[name], mn[name], tn[name], path: "\(path)[\(name)]", conflicts: &conflicts)
                })
            }
            fallthrough
        default:
            conflicts.append(path.isEmpty ? "(the whole configuration)" : path)
            return theirs
        }
    }

    /// The elements by name, when every one has a distinct name.
    private static func named(_ elements: [JSONValue]) -> [String: JSONValue]? {
        var out: [String: JSONValue] = [:]
        for element in elements {
            guard let name = element.name, out[name] == nil else { return nil }
            out[name] = element
        }
        return out
    }
}
