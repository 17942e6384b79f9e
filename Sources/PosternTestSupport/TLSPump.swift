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
