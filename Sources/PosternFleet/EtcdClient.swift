import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import PosternConfig

/// How to reach an etcd cluster: its client URLs, TLS material, credentials. Secrets are
/// never part of `description`, so a settings value can be logged.
public struct EtcdSettings: Sendable, Hashable, CustomStringConvertible {
    /// `http://127.0.0.1:2379`, `https://etcd1:2379`: tried in order, starting at the last one that answered.
    public var endpoints: [String]
    /// A PEM CA bundle that signed the servers' certificates; nil uses the system's.
    public var caFile: String?
    /// A PEM client certificate and its key, for `--client-cert-auth`.
    public var certificateFile: String?
    public var keyFile: String?
    /// etcd's own users (`etcdctl user add`): the gateway cannot authenticate by certificate name alone.
    public var username: String?
    public var password: String?
    /// One request's limit; a write that outlives it is ambiguous.
    public var requestTimeout: Duration = .seconds(2)

    public init(endpoints: [String]) {
        self.endpoints = endpoints
    }

    public var description: String {
        "endpoints=\(endpoints.joined(separator: ","))" + (username.map { " user=\($0)" } ?? "")
            + (certificateFile == nil ? "" : " client-certificate")
    }
}

/// Why a call to etcd failed, in words an admin can act on.
public struct EtcdError: Error, CustomStringConvertible, Sendable {
    enum Kind: Sendable {
        /// No endpoint answered: the cluster is down, partitioned, or has no quorum.
        case unreachable([String: String])
        /// A write was sent and no answer came: it may or may not have happened.
        case ambiguous(String)
        /// etcd answered with an error (gRPC code, message).
        case refused(Int64, String)
        case malformed(String)
    }
    let kind: Kind

    /// True when no endpoint could serve the request (no quorum, all down).
    public var isUnreachable: Bool { if case .unreachable = kind { return true } else { return false } }
    public var isAmbiguous: Bool { if case .ambiguous = kind { return true } else { return false } }
    /// etcd answered, but with a value that is not what Postern wrote (damaged by hand or by a bug).
    public var isMalformed: Bool { if case .malformed = kind { return true } else { return false } }
    /// The endpoints that failed and why, for "unreachable" errors.
    public var failures: [String: String] { if case .unreachable(let f) = kind { return f } else { return [:] } }

    public var description: String {
        switch kind {
        case .unreachable(let failures):
            let list = failures.keys.sorted().map { "\($0) (\(failures[$0] ?? ""))" }.joined(separator: ", ")
            return "etcd has no quorum or cannot be reached; unreachable endpoints: \(list)"
        case .ambiguous(let detail):
            return "etcd did not answer a write in time (\(detail)); its outcome is unknown"
        case .refused(let code, let message):
            return "etcd refused the request (code \(code)): \(message)"
        case .malformed(let detail):
            return "etcd sent an answer that cannot be read: \(detail)"
        }
    }
}

/// An etcd v3 client over the JSON gateway (DESIGN.md, "A fleet (etcd)"). Every call carries
/// `Grpc-Metadata-hasleader: true`, so a member cut off from the leader refuses instead of
/// answering from stale state, and the call moves on to the next endpoint.
public final class EtcdClient: Sendable {
    public let settings: EtcdSettings
    let http: HTTPClient
    let state: LockedState
    private let logger: Logger

    public init(settings: EtcdSettings, logger: Logger) throws {
        self.settings = settings
        self.logger = logger
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .milliseconds(500), read: nil)
        configuration.connectionPool = .init(idleTimeout: .seconds(30))
        if settings.endpoints.contains(where: { $0.hasPrefix("https:") }) {
            var tls = TLSConfiguration.makeClientConfiguration()
            if let ca = settings.caFile { tls.trustRoots = .file(ca) }
            if let certificate = settings.certificateFile, let key = settings.keyFile {
                tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            }
            configuration.tlsConfiguration = tls
        }
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        state = LockedState()
    }

    deinit {
        try? http.syncShutdown()
    }

    public func shutdown() async {
        try? await http.shutdown()
    }

    // MARK: KV

    public func range(_ request: RangeRequest) async throws -> RangeResponse {
        try await call("/v3/kv/range", request, write: false)
    }

    public func put(_ request: PutRequest) async throws -> PutResponse {
        try await call("/v3/kv/put", request, write: true)
    }

    public func deleteRange(_ request: DeleteRangeRequest) async throws -> DeleteRangeResponse {
        try await call("/v3/kv/deleterange", request, write: true)
    }

    /// A txn that writes is never resent on a lost answer: the caller resolves it (`EtcdError.isAmbiguous`).
    public func txn(_ request: TxnRequest) async throws -> TxnResponse {
        let writes = request.success.contains { $0.requestRange == nil } || request.failure.contains { $0.requestRange == nil }
        return try await call("/v3/kv/txn", request, write: writes)
    }

    public func compact(revision: Int64) async throws {
        let _: PutResponse = try await call(
            "/v3/kv/compaction", CompactionRequest(revision: EtcdInt(revision), physical: true), write: false)
    }

    // MARK: Leases

    public func grantLease(ttl: Int64) async throws -> Int64 {
        let response: LeaseGrantResponse = try await call("/v3/lease/grant", LeaseGrantRequest(TTL: EtcdInt(ttl)), write: false)
        guard response.error.isEmpty, response.ID.value != 0 else { throw EtcdError(kind: .refused(0, response.error)) }
        return response.ID.value
    }

    /// One keepalive round; returns the TTL left (0 means the lease is gone and must be granted anew).
    public func keepAlive(lease: Int64) async throws -> Int64 {
        let envelope: StreamEnvelope<LeaseKeepAliveResponse> = try await call(
            "/v3/lease/keepalive", LeaseKeepAliveRequest(ID: EtcdInt(lease)), write: false)
        if let error = envelope.error { throw EtcdError(kind: .refused(error.code.value, error.message)) }
        return envelope.result?.TTL.value ?? 0
    }

    // MARK: Transport

    /// Sends one request to the first endpoint that answers. A refusal for want of a leader,
    /// a 503 or a connection failure moves to the next endpoint; a write whose request may
    /// have reached etcd is ambiguous instead, and is not sent again.
    func call<Request: Encodable, Response: Decodable>(
        _ path: String, _ body: Request, write: Bool
    ) async throws -> Response {
        let payload: Data
        do { payload = try JSONCoding.compact.encode(body) } catch { throw EtcdError(kind: .malformed("\(error)")) }
        var failures: [String: String] = [:]
        let endpoints = settings.endpoints
        let first = state.preferred
        for step in 0..<endpoints.count {
            let index = (first + step) % endpoints.count
            let endpoint = endpoints[index]
            do {
                let (status, data) = try await send(endpoint: endpoint, path: path, payload: payload)
                if (200..<300).contains(status) {
                    state.preferred = index
                    do { return try JSONCoding.decoder.decode(Response.self, from: data) } catch {
                        throw EtcdError(kind: .malformed("\(path): \(error)"))
                    }
                }
                let gateway = try? JSONCoding.decoder.decode(GatewayError.self, from: data)
                let message = gateway.map { $0.message.isEmpty ? $0.error : $0.message } ?? "HTTP \(status)"
                let code = gateway?.code.value ?? 0
                // 14 = Unavailable (no leader, stopping), 4 = DeadlineExceeded: another member may do better.
                if status == 503 || code == 14 || code == 4 || status == 502 || status == 504 {
                    if write && code == 4 {
                        state.preferred = (index + 1) % endpoints.count  // the caller's read goes elsewhere
                        throw EtcdError(kind: .ambiguous("\(endpoint): \(message)"))
                    }
                    failures[endpoint] = message
                    continue
                }
                if code == 16 || message.contains("invalid auth token") { state.token = nil }
                throw EtcdError(kind: .refused(code, message))
            } catch let error as EtcdError {
                throw error
            } catch {
                let detail = Self.describe(error)
                if write && !Self.neverSent(error) {
                    state.preferred = (index + 1) % endpoints.count  // the caller's read goes elsewhere
                    throw EtcdError(kind: .ambiguous("\(endpoint): \(detail)"))
                }
                failures[endpoint] = detail
            }
        }
        throw EtcdError(kind: .unreachable(failures))
    }

    private func send(endpoint: String, path: String, payload: Data) async throws -> (Int, Data) {
        var request = HTTPClientRequest(url: endpoint + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Grpc-Metadata-hasleader", value: "true")
        if let token = try await token(endpoint: endpoint) { request.headers.add(name: "Authorization", value: token) }
        request.body = .bytes(ByteBuffer(bytes: payload))
        let response = try await http.execute(request, timeout: .init(settings.requestTimeout))
        var body = try await response.body.collect(upTo: 4 << 20)
        let bytes = body.readBytes(length: body.readableBytes) ?? []
        return (Int(response.status.code), Data(bytes))
    }

    /// The auth token for etcd's own users, fetched once and again after it expires.
    func token(endpoint: String) async throws -> String? {
        guard let user = settings.username, let password = settings.password else { return nil }
        if let token = state.token { return token }
        var request = HTTPClientRequest(url: endpoint + "/v3/auth/authenticate")
        request.method = .POST
        request.headers.add(name: "Grpc-Metadata-hasleader", value: "true")
        request.body = .bytes(ByteBuffer(bytes: try JSONCoding.compact.encode(AuthenticateRequest(name: user, password: password))))
        let response = try await http.execute(request, timeout: .init(settings.requestTimeout))
        var body = try await response.body.collect(upTo: 1 << 20)
        let data = Data(body.readBytes(length: body.readableBytes) ?? [])
        guard response.status == .ok, let answer = try? JSONCoding.decoder.decode(AuthenticateResponse.self, from: data),
            !answer.token.isEmpty
        else {
            // The password itself is never part of the message.
            throw EtcdError(kind: .refused(16, "authentication as \(user) failed (HTTP \(response.status.code))"))
        }
        state.token = answer.token
        return answer.token
    }

    /// A connection that was never made cannot have delivered a write.
    static func neverSent(_ error: any Error) -> Bool {
        if let client = error as? HTTPClientError, client == .connectTimeout { return true }
        if let io = error as? IOError, io.errnoCode == ECONNREFUSED { return true }
        let text = String(describing: error)
        return text.contains("connectTimeout") || text.contains("Connection refused") || text.contains("connectionRefused")
    }

    static func describe(_ error: any Error) -> String {
        if let client = error as? HTTPClientError {
            if client == .deadlineExceeded { return "timed out" }
            if client == .connectTimeout { return "connect timed out" }
        }
        if Self.neverSent(error) { return "connection refused" }
        return String(describing: error)
    }
}

/// The endpoint that answered last and the auth token; both are only hints, so a lock
/// around two plain values is all the state the client has.
final class LockedState: @unchecked Sendable {
    // @unchecked: every access goes through `lock`.
    private let lock = NSLock()
    private var _preferred = 0
    private var _token: String?

    var preferred: Int {
        get { lock.withLock { _preferred } }
        set { lock.withLock { _preferred = newValue } }
    }

    var token: String? {
        get { lock.withLock { _token } }
        set { lock.withLock { _token = newValue } }
    }
}
