import Foundation

/// A JSON document as a tree, for structural diffs and for naming paths in decoding errors.
public enum JSONValue: Hashable, Sendable, Codable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let v = try? container.decode(Bool.self) {
            self = .bool(v)
        } else if let v = try? container.decode(Int.self) {
            self = .int(v)
        } else if let v = try? container.decode(Double.self) {
            self = .double(v)
        } else if let v = try? container.decode(String.self) {
            self = .string(v)
        } else if let v = try? container.decode([JSONValue].self) {
            self = .array(v)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let v): try container.encode(v)
        case .int(let v): try container.encode(v)
        case .double(let v): try container.encode(v)
        case .string(let v): try container.encode(v)
        case .array(let v): try container.encode(v)
        case .object(let v): try container.encode(v)
        }
    }

    /// The element's `name` member, when it is an object that has one (listeners, groups, policies).
    public var name: String? {
        if case .object(let members) = self, case .string(let name)? = members["name"] { return name }
        return nil
    }

    /// A compact one-line rendering: strings quoted, containers in JSON.
    public var compact: String {
        switch self {
        case .null: return "null"
        case .bool(let v): return v ? "true" : "false"
        case .int(let v): return String(v)
        case .double(let v): return String(v)
        case .string(let v): return "\"\(v)\""
        case .array, .object:
            return (try? JSONCoding.compact.encode(self)).flatMap { String(data: $0, encoding: .utf8) } ?? "?"
        }
    }
}

/// The one way configuration files are written: sorted keys, two-space indentation, a
/// trailing newline. The same value always gives the same bytes.
public enum CanonicalJSON {
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        var data = try JSONCoding.pretty.encode(value)
        data.append(0x0a)
        return data
    }

    /// Decodes a document; a failure names where it is, using names instead of indexes
    /// where the array elements have one (`listeners[InboundMail].port`).
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws(ConfigProblems) -> T {
        do {
            return try TreeDecoder.decode(type, from: data)
        } catch let error as DecodingError {
            let tree = try? TreeDecoder.decode(JSONValue.self, from: data)
            throw ConfigProblems([problem(for: error, in: tree)])
        } catch {
            throw ConfigProblems([ConfigProblem(path: "", message: "The file could not be read: \(error).")])
        }
    }

    static func problem(for error: DecodingError, in tree: JSONValue?) -> ConfigProblem {
        switch error {
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return ConfigProblem(path: "", message: "The file is not valid JSON.")
            }
            return ConfigProblem(path: path(context.codingPath, in: tree), message: context.debugDescription)
        case .keyNotFound(let key, let context):
            return ConfigProblem(path: path(context.codingPath + [key], in: tree), message: "This setting is missing.")
        case .typeMismatch(let type, let context):
            return ConfigProblem(path: path(context.codingPath, in: tree), message: "Expected \(describe(type)).")
        case .valueNotFound(let type, let context):
            return ConfigProblem(path: path(context.codingPath, in: tree), message: "Expected \(describe(type)), found null.")
        @unknown default:
            return ConfigProblem(path: "", message: "\(error)")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: return "a number"
        case is Bool.Type: return "true or false"
        case is String.Type: return "a string"
        default: return "a value of another kind"
        }
    }

    /// `listeners.0.port` → `listeners[InboundMail].port`, looking names up in the raw tree.
    static func path(_ codingPath: [any CodingKey], in tree: JSONValue?) -> String {
        var result = ""
        var node = tree
        for key in codingPath {
            if let index = key.intValue {
                if case .array(let items)? = node, index < items.count {
                    node = items[index]
                    result += "[\(items[index].name ?? String(index))]"
                } else {
                    node = nil
                    result += "[\(index)]"
                }
            } else {
                if case .object(let members)? = node { node = members[key.stringValue] } else { node = nil }
                result += result.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return result
    }
}
