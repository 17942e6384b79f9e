import AsyncHTTPClient
import Foundation
import NIOCore
import PosternConfig

extension EtcdClient {
    /// Watches one key from `startRevision` with progress notifications, calling `receive`
    /// for every message of the stream until it returns false, the stream ends, or an error.
    /// The gateway streams newline-separated `{"result": WatchResponse}` objects. The end of
    /// the stream is the caller's cue to re-read and watch again (level-triggered).
    public func watch(
        key: Data, startRevision: Int64, receive: (WatchResponse) async throws -> Bool
    ) async throws {
        let create = WatchRequest(createRequest: WatchCreateRequest(
            key: key, startRevision: EtcdInt(startRevision), progressNotify: true))
        let payload = try JSONCoding.compact.encode(create)
        var failures: [String: String] = [:]
        let endpoints = settings.endpoints
        let first = state.preferred
        for step in 0..<endpoints.count {
            let endpoint = endpoints[(first + step) % endpoints.count]
            var request = HTTPClientRequest(url: endpoint + "/v3/watch")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "Grpc-Metadata-hasleader", value: "true")
            request.body = .bytes(ByteBuffer(bytes: payload))
            let response: HTTPClientResponse
            do {
                if let token = try await token(endpoint: endpoint) { request.headers.add(name: "Authorization", value: token) }
                // A watch lives as long as the engine does; the caller cancels the task to end it.
                response = try await http.execute(request, timeout: .hours(24 * 365))
            } catch {
                failures[endpoint] = Self.describe(error)
                continue
            }
            guard response.status == .ok else {
                failures[endpoint] = "HTTP \(response.status.code)"
                continue
            }
            var pending = Data()
            for try await chunk in response.body {
                pending.append(contentsOf: chunk.readableBytesView)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = pending[pending.startIndex..<newline]
                    pending = Data(pending[(newline + 1)...])
                    guard !line.isEmpty else { continue }
                    let envelope: StreamEnvelope<WatchResponse>
                    do { envelope = try JSONCoding.decoder.decode(StreamEnvelope<WatchResponse>.self, from: line) } catch {
                        throw EtcdError(kind: .malformed("watch: \(error)"))
                    }
                    if let error = envelope.error { throw EtcdError(kind: .refused(error.code.value, error.message)) }
                    guard let result = envelope.result else { continue }
                    if try await !receive(result) { return }
                }
            }
            return  // the stream ended: the caller re-reads
        }
        throw EtcdError(kind: .unreachable(failures))
    }
}
