import NIOCore
import NIOEmbedded
import PosternTLS

/// Moves bytes between an in-memory TLS client and an `EmbeddedChannel` whose pipeline holds the
/// server's TLS handler, until neither has anything to say (handler tests of the TLS channel
/// and of the engine).
public func pump(_ channel: EmbeddedChannel, _ client: TLSConnection) throws {
    for _ in 0..<10 {
        _ = try? client.handshake()
        let toServer = client.takeOutput()
        if !toServer.isEmpty { try channel.writeInbound(ByteBuffer(bytes: toServer)) }
        var sent = false
        while let out = try channel.readOutbound(as: ByteBuffer.self) {
            out.withUnsafeReadableBytes { client.feed($0) }
            sent = true
        }
        if toServer.isEmpty && !sent { return }
    }
}

/// Counts the flushes that carry bytes to the socket: on a real channel each is one write(2).
/// Put it first in a pipeline, nearest the socket.
public final class SocketWriteCounter: ChannelOutboundHandler {
    public typealias OutboundIn = ByteBuffer
    private var unflushed = 0
    public private(set) var writes = 0

    public init() {}

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        unflushed += 1
        context.write(data, promise: promise)
    }

    public func flush(context: ChannelHandlerContext) {
        if unflushed > 0 { writes += 1 }
        unflushed = 0
        context.flush()
    }
}
