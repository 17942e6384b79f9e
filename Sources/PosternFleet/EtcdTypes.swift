import Foundation

// The etcd v3 JSON gateway's messages (etcd 3.4, `/v3/...`), as typed Codable values. The
// gateway is grpc-gateway over the protobuf API, so: int64 fields travel as JSON strings,
// bytes as base64 (Foundation's `Data` coding), and a field at its zero value is left out
// entirely, so every field decodes as "absent = zero". Unknown fields are ignored.

/// An int64 of the gateway: written as a string, read from a string or a number.
public struct EtcdInt: Codable, Hashable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    public var value: Int64

    public init(_ value: Int64) { self.value = value }
    public init(integerLiteral value: Int64) { self.value = value }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int64.self) {
            value = number
        } else {
            let text = try container.decode(String.self)
            guard let number = Int64(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an int64: \(text)")
            }
            value = number
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(String(value))
    }

    public var description: String { String(value) }
}

/// A type with a zero value that stands for "absent" on the wire.
public protocol EtcdZero: Codable { static var zero: Self { get } }
extension EtcdInt: EtcdZero { public static var zero: EtcdInt { 0 } }
extension Bool: EtcdZero { public static var zero: Bool { false } }
extension Data: EtcdZero { public static var zero: Data { Data() } }
extension String: EtcdZero { public static var zero: String { "" } }
extension Array: EtcdZero where Element: Codable { public static var zero: [Element] { [] } }

/// A field the gateway leaves out when it is zero.
@propertyWrapper
public struct Zeroed<Value: EtcdZero>: Codable {
    public var wrappedValue: Value
    public init(wrappedValue: Value) { self.wrappedValue = wrappedValue }
    public init(from decoder: any Decoder) throws {
        wrappedValue = try decoder.singleValueContainer().decode(Value.self)
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wrappedValue)
    }
}

extension Zeroed: Sendable where Value: Sendable {}

extension KeyedDecodingContainer {
    /// Absent means zero (proto3 JSON mapping).
    public func decode<Value>(_ type: Zeroed<Value>.Type, forKey key: Key) throws -> Zeroed<Value> {
        Zeroed(wrappedValue: try decodeIfPresent(Value.self, forKey: key) ?? .zero)
    }
}

/// `etcdserverpb.ResponseHeader`; only the revision is used (member and cluster ids are
/// uint64, beyond an int64, and not needed).
public struct EtcdHeader: Codable, Sendable {
    @Zeroed public var revision: EtcdInt
}

/// `mvccpb.KeyValue`.
public struct EtcdKeyValue: Codable, Sendable {
    @Zeroed public var key: Data
    @Zeroed public var value: Data
    @Zeroed public var createRevision: EtcdInt
    @Zeroed public var modRevision: EtcdInt
    @Zeroed public var version: EtcdInt
    @Zeroed public var lease: EtcdInt
    enum CodingKeys: String, CodingKey {
        case key, value, version, lease
        case createRevision = "create_revision", modRevision = "mod_revision"
    }
}

/// `RangeRequest`: one key, or every key from `key` up to `rangeEnd`.
public struct RangeRequest: Codable, Sendable {
    public var key: Data
    public var rangeEnd: Data?
    public var revision: EtcdInt?
    public var keysOnly: Bool?
    enum CodingKeys: String, CodingKey { case key, rangeEnd = "range_end", revision, keysOnly = "keys_only" }

    public init(key: Data, rangeEnd: Data? = nil, revision: Int64? = nil, keysOnly: Bool? = nil) {
        self.key = key
        self.rangeEnd = rangeEnd
        self.revision = revision.map { EtcdInt($0) }
        self.keysOnly = keysOnly
    }

    /// Every key that starts with `prefix`.
    public static func prefix(_ prefix: Data) -> RangeRequest {
        RangeRequest(key: prefix, rangeEnd: prefixEnd(prefix))
    }

    /// The smallest key after every key with this prefix: the last byte below 0xff plus one.
    static func prefixEnd(_ prefix: Data) -> Data {
        var bytes = [UInt8](prefix)
        while let last = bytes.last {
            if last < 0xff {
                bytes[bytes.count - 1] = last + 1
                return Data(bytes)
            }
            bytes.removeLast()
        }
        return Data([0])
    }
}

public struct RangeResponse: Codable, Sendable {
    public var header: EtcdHeader?
    @Zeroed public var kvs: [EtcdKeyValue]
    @Zeroed public var count: EtcdInt
}

public struct PutRequest: Codable, Sendable {
    public var key: Data
    public var value: Data
    public var lease: EtcdInt?
    public init(key: Data, value: Data, lease: Int64? = nil) {
        self.key = key
        self.value = value
        self.lease = lease.map { EtcdInt($0) }
    }
}

public struct PutResponse: Codable, Sendable {
    public var header: EtcdHeader?
}

public struct DeleteRangeRequest: Codable, Sendable {
    public var key: Data
    public var rangeEnd: Data?
    enum CodingKeys: String, CodingKey { case key, rangeEnd = "range_end" }
    public init(key: Data, rangeEnd: Data? = nil) {
        self.key = key
        self.rangeEnd = rangeEnd
    }
}

public struct DeleteRangeResponse: Codable, Sendable {
    public var header: EtcdHeader?
    @Zeroed public var deleted: EtcdInt
}

/// `Compare`: one condition of a txn.
public struct Compare: Codable, Sendable {
    public enum Target: String, Codable, Sendable { case version = "VERSION", create = "CREATE", mod = "MOD", value = "VALUE" }
    public enum Result: String, Codable, Sendable { case equal = "EQUAL", greater = "GREATER", less = "LESS", notEqual = "NOT_EQUAL" }
    public var key: Data
    public var target: Target
    public var result: Result
    public var modRevision: EtcdInt?
    public var createRevision: EtcdInt?
    enum CodingKeys: String, CodingKey {
        case key, target, result
        case modRevision = "mod_revision", createRevision = "create_revision"
    }

    public static func modRevision(_ key: Data, equals revision: Int64) -> Compare {
        Compare(key: key, target: .mod, result: .equal, modRevision: EtcdInt(revision))
    }

    public static func createRevision(_ key: Data, equals revision: Int64) -> Compare {
        Compare(key: key, target: .create, result: .equal, createRevision: EtcdInt(revision))
    }
}

/// `RequestOp`: exactly one of its fields is set.
public struct RequestOp: Codable, Sendable {
    public var requestRange: RangeRequest?
    public var requestPut: PutRequest?
    public var requestDeleteRange: DeleteRangeRequest?
    enum CodingKeys: String, CodingKey {
        case requestRange = "request_range", requestPut = "request_put", requestDeleteRange = "request_delete_range"
    }
    public static func range(_ request: RangeRequest) -> RequestOp { RequestOp(requestRange: request) }
    public static func put(_ request: PutRequest) -> RequestOp { RequestOp(requestPut: request) }
    public static func delete(_ request: DeleteRangeRequest) -> RequestOp { RequestOp(requestDeleteRange: request) }
}

public struct ResponseOp: Codable, Sendable {
    public var responseRange: RangeResponse?
    public var responsePut: PutResponse?
    enum CodingKeys: String, CodingKey { case responseRange = "response_range", responsePut = "response_put" }
}

public struct TxnRequest: Codable, Sendable {
    public var compare: [Compare]
    public var success: [RequestOp]
    public var failure: [RequestOp]
    public init(compare: [Compare], success: [RequestOp], failure: [RequestOp]) {
        self.compare = compare
        self.success = success
        self.failure = failure
    }
}

public struct TxnResponse: Codable, Sendable {
    public var header: EtcdHeader?
    @Zeroed public var succeeded: Bool
    @Zeroed public var responses: [ResponseOp]
}

public struct LeaseGrantRequest: Codable, Sendable {
    public var TTL: EtcdInt
}

public struct LeaseGrantResponse: Codable, Sendable {
    @Zeroed public var ID: EtcdInt
    @Zeroed public var TTL: EtcdInt
    @Zeroed public var error: String
}

public struct LeaseKeepAliveRequest: Codable, Sendable {
    public var ID: EtcdInt
}

/// The keepalive endpoint streams: each message is wrapped in `result`.
public struct LeaseKeepAliveResponse: Codable, Sendable {
    @Zeroed public var ID: EtcdInt
    @Zeroed public var TTL: EtcdInt
}

public struct CompactionRequest: Codable, Sendable {
    public var revision: EtcdInt
    public var physical: Bool
}

public struct AuthenticateRequest: Codable, Sendable {
    public var name: String
    public var password: String
}

public struct AuthenticateResponse: Codable, Sendable {
    @Zeroed public var token: String
}

/// An error the gateway returns with a non-2xx status: a gRPC code and a message.
public struct GatewayError: Codable, Sendable {
    @Zeroed public var code: EtcdInt
    @Zeroed public var message: String
    @Zeroed public var error: String
}

/// A streamed message (`/v3/watch`, `/v3/lease/keepalive`): `{"result": …}` or `{"error": …}`.
public struct StreamEnvelope<Result: Codable & Sendable>: Codable, Sendable {
    public var result: Result?
    public var error: GatewayError?
}

public struct WatchCreateRequest: Codable, Sendable {
    public var key: Data
    public var startRevision: EtcdInt?
    public var progressNotify: Bool
    enum CodingKeys: String, CodingKey { case key, startRevision = "start_revision", progressNotify = "progress_notify" }
}

public struct WatchRequest: Codable, Sendable {
    public var createRequest: WatchCreateRequest
    enum CodingKeys: String, CodingKey { case createRequest = "create_request" }
}

public struct WatchEvent: Codable, Sendable {
    public enum Kind: String, Codable, Sendable { case put = "PUT", delete = "DELETE" }
    public var type: Kind?
    public var kv: EtcdKeyValue?
}

public struct WatchResponse: Codable, Sendable {
    public var header: EtcdHeader?
    @Zeroed public var created: Bool
    @Zeroed public var canceled: Bool
    @Zeroed public var compactRevision: EtcdInt
    @Zeroed public var cancelReason: String
    @Zeroed public var events: [WatchEvent]
    enum CodingKeys: String, CodingKey {
        case header, created, canceled, events
        case compactRevision = "compact_revision", cancelReason = "cancel_reason"
    }
}
