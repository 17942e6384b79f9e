import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import PosternTLS
import PosternTLSChannel
import Synchronization

/// The TLS context new connections get; a commit that changes `sslconfig GUI` or the
/// interface's certificate swaps it, and connections already open keep the one they began with.
public final class TLSContextSource: Sendable {
    private let context: Mutex<TLSContext>

    public init(_ context: TLSContext) { self.context = Mutex(context) }

    public var current: TLSContext { context.withLock { $0 } }

    public func replace(with new: TLSContext) { context.withLock { $0 = new } }
}

/// HTTPS from the first byte over the project's OpenSSL memory-BIO handler (the one STARTTLS
/// uses), so `sslconfig GUI` methods and cipher strings apply exactly as OpenSSL reads them.
/// Hummingbird's own TLS wrapper has the same shape around NIOSSL; this one adds our handler
/// first and then lets the wrapped HTTP/1 channel set up the rest of the pipeline.
struct OpenSSLTLSChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let source: TLSContextSource
    /// How long a client may take to finish the handshake before it is dropped.
    let handshakeTimeout: TimeAmount

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let connection: TLSConnection
            do {
                connection = try TLSConnection(context: source.current)
            } catch {
                logger.error("TLS connection could not be made: \(error)")
                throw error
            }
            try channel.pipeline.syncOperations.addHandler(
                STARTTLSHandler(connection: connection, handshakeTimeout: handshakeTimeout), position: .first)
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension OpenSSLTLSChannel: HTTPChannelHandler where Base: HTTPChannelHandler {
    var responder: HTTPChannelHandler.Responder { base.responder }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 inside the project's OpenSSL TLS. A connection that sends nothing for
    /// `idleTimeout` after its handshake (or between requests) is closed: without it, idle
    /// sockets could be held open until the process runs out of descriptors.
    static func http1(tls source: TLSContextSource, handshakeTimeout: TimeAmount = .seconds(30),
                      idleTimeout: TimeAmount) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            OpenSSLTLSChannel(base: HTTP1Channel(responder: responder, configuration: .init(idleTimeout: idleTimeout)),
                              source: source, handshakeTimeout: handshakeTimeout)
        }
    }
}
