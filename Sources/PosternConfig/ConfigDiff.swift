import Foundation

/// One difference between two configurations, at a path of member names and element names.
public struct ConfigChange: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case added(JSONValue)
        case removed(JSONValue)
        case changed(from: JSONValue, to: JSONValue)
    }

    /// `["listeners", "InboundMail", "hostAccess", "defaultParameters", "tls"]`.
    public let path: [String]
    public let kind: Kind
}

/// The structural diff behind `showchanges`: arrays of named objects (a name, a RAT entry's
/// address, a route's or destination's domain) are matched by it, so a reordered or renamed
/// item reads as such; other arrays by position. ChangeWords says the changes in words.
public enum ConfigDiff {
    /// The last path component of a change in the order of a list.
    public static let orderKey = "(order)"

    /// What identifies an item of a list: its name, its address (RAT), or its domain.
    static func key(of item: JSONValue) -> String? {
        guard case .object(let members) = item else { return nil }
        for field in ["name", "pattern", "domain"] {
            if case .string(let key)? = members[field] { return key }
        }
        return nil
    }

    public static func changes(from old: Configuration, to new: Configuration) -> [ConfigChange] {
        // A configuration written before accounts were part of it has the factory admin: the
        // first edit of an account is a change to that admin, not the admin "added".
        var old = old, new = new
        old.users = old.accounts
        new.users = new.accounts
        guard let a = tree(old), let b = tree(new) else { return [] }
        var out: [ConfigChange] = []
        diff(a, b, path: [], into: &out)
        return out
    }

    static func tree(_ configuration: Configuration) -> JSONValue? {
        guard let data = try? CanonicalJSON.encode(configuration) else { return nil }
        return try? TreeDecoder.decode(JSONValue.self, from: data)
    }

    static func diff(_ a: JSONValue, _ b: JSONValue, path: [String], into out: inout [ConfigChange]) {
        if a == b { return }
        switch (a, b) {
        case (.object(let x), .object(let y)):
            for key in Set(x.keys).union(y.keys).sorted() {
                switch (x[key], y[key]) {
                case (let l?, let r?): diff(l, r, path: path + [key], into: &out)
                case (let l?, nil): out.append(ConfigChange(path: path + [key], kind: .removed(l)))
                case (nil, let r?): out.append(ConfigChange(path: path + [key], kind: .added(r)))
                case (nil, nil): break
                }
            }
        case (.array(let x), .array(let y)) where isNamed(x) && isNamed(y):
            let oldNames = x.compactMap(key(of:))
            let newNames = y.compactMap(key(of:))
            for item in x where !newNames.contains(key(of: item)!) {
                out.append(ConfigChange(path: path + [key(of: item)!], kind: .removed(item)))
            }
            for item in y {
                let name = key(of: item)!
                if let previous = x.first(where: { key(of: $0) == name }) {
                    diff(previous, item, path: path + [name], into: &out)
                } else {
                    out.append(ConfigChange(path: path + [name], kind: .added(item)))
                }
            }
            let common = newNames.filter { oldNames.contains($0) }
            if oldNames.filter({ newNames.contains($0) }) != common {
                out.append(ConfigChange(path: path + [orderKey], kind: .changed(
                    from: .string(oldNames.joined(separator: ", ")), to: .string(newNames.joined(separator: ", ")))))
            }
        case (.array(let x), .array(let y)) where x.allSatisfy(isScalar) && y.allSatisfy(isScalar):
            for item in x where !y.contains(item) { out.append(ConfigChange(path: path, kind: .removed(item))) }
            for item in y where !x.contains(item) { out.append(ConfigChange(path: path, kind: .added(item))) }
            if x.filter(y.contains) != y.filter(x.contains) {
                out.append(ConfigChange(path: path + [orderKey], kind: .changed(from: a, to: b)))
            }
        default:
            out.append(ConfigChange(path: path, kind: .changed(from: a, to: b)))
        }
    }

    private static func isNamed(_ items: [JSONValue]) -> Bool {
        let names = items.compactMap(key(of:))
        return names.count == items.count && Set(names).count == names.count
    }

    private static func isScalar(_ value: JSONValue) -> Bool {
        switch value {
        case .array, .object: return false
        case .null, .bool, .int, .double, .string: return true
        }
    }
}
