import Foundation
import NIOCore
import PosternTLS

/// What the TLS handler tells the protocol above it (SMTP in the engine, HTTP in posternweb).
/// Three kinds of failure are kept apart (style.md §19), in logs, counters and delivery's
/// "TLS was required" alike: the handshake failed; a record or I/O error came after it; the
/// peer closed the connection without close_notify.
public enum TLSEvent {
    case handshakeCompleted(TLSHandshakeInfo, PeerCheck)
    case handshakeFailed(String)
    /// A TLS error after the handshake (a bad record, a failed write).
    case failedAfterHandshake(String)
    /// The connection ended while the session was active and no close_notify had come.
    case closedWithoutNotify
}

/// The negotiated session, as the layer above logs and decides with it.
public struct TLSHandshakeInfo: Sendable, Equatable {
    public var protocolVersion: String
    public var cipher: String
    public var clientCertificateSubject: String?
    public var clientCertificateVerified: Bool
    /// When the peer's certificate expires (the server's, on the client side).
    public var peerCertificateNotAfter: Date? = nil
}

/// What is known of the peer's certificate after the handshake.
public struct PeerCheck: Sendable, Equatable {
    /// The chain verified against the context's authorities.
    public var chainVerified: Bool
    /// OpenSSL's sentence for the verification result.
    public var verifyResult: String
    /// The first of the expected names the certificate matches, if any.
    public var matchedName: String?
}

/// Drives a `TLSConnection` in the pipeline: ciphertext in from the socket, plaintext up;
/// plaintext writes encrypted down. Added at the head of a live pipeline after the `220`
/// to STARTTLS has left in plaintext (style.md §9), or first of all where TLS starts with the
/// connection (posternweb's HTTPS).
public final class STARTTLSHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    /// Where the TLS session is.
    private enum State {
        /// Handshake in progress; writes wait.
        case handshaking
        /// Records flow both ways.
        case active
        /// close_notify sent or received, or a fatal error: nothing more is read or written.
        case closed
    }

    private let connection: TLSConnection
    private var state = State.handshaking
    private var pendingWrites: [(ByteBuffer, EventLoopPromise<Void>?)] = []
    /// Handshake records or tickets written while reading and not flushed yet: they go out
    /// with the reply the same read produces, or at the end of the read (one write, not two).
    private var outputUnflushed = false
    private var handshakeTimer: Scheduled<Void>?
    private let handshakeTimeout: TimeAmount
    /// Plaintext read per SSL_read call; a TLS record carries at most 16 KiB.
    private static let readSize = 16 * 1024

    /// Names the peer's certificate is checked against (delivery: the domain and the MX host).
    private let expectedNames: [String]

    public init(connection: TLSConnection, handshakeTimeout: TimeAmount = .seconds(30), expectedNames: [String] = []) {
        self.connection = connection
        self.handshakeTimeout = handshakeTimeout
        self.expectedNames = expectedNames
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        handshakeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: handshakeTimeout) { [self] in
            guard state == .handshaking else { return }
            fail(context: context, reason: "handshake timed out")
        }
        // A client speaks first: its ClientHello goes out now.
        if connection.context.role == .client {
            _ = advanceHandshake(context: context)
            flushQueuedOutput(context: context)
        }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        handshakeTimer?.cancel()
        for (_, promise) in pendingWrites { promise?.fail(ChannelError.ioOnClosedChannel) }
        pendingWrites = []
    }

    public func channelInactive(context: ChannelHandlerContext) {
        if state == .active {
            // Neither side said close_notify: a truncation attack looks the same (RFC 8446 §6.1).
            state = .closed
            context.fireUserInboundEventTriggered(TLSEvent.closedWithoutNotify)
        }
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let ciphertext = unwrapInboundIn(data)
        guard state != .closed else { return }
        ciphertext.withUnsafeReadableBytes { connection.feed($0) }
        if state == .handshaking && !advanceHandshake(context: context) { return }
        readPlaintext(context: context)
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        context.fireChannelReadComplete()
        // The layer above usually flushed its replies, and the records queued with them.
        flushQueuedOutput(context: context)
    }

    /// Runs the handshake as far as it goes; true once it is complete.
    private func advanceHandshake(context: ChannelHandlerContext) -> Bool {
        do {
            switch try connection.handshake() {
            case .wantsMoreData:
                queueOutput(context: context)
                return false
            case .complete:
                state = .active
                handshakeTimer?.cancel()
                // TLS 1.3 tickets: they leave with the reply to what the client sent with its
                // Finished (EHLO, after STARTTLS), or at the end of this read.
                queueOutput(context: context)
                let peer = connection.peerCertificate
                let info = TLSHandshakeInfo(
                    protocolVersion: connection.protocolVersion, cipher: connection.cipherName,
                    clientCertificateSubject: peer?.subject, clientCertificateVerified: connection.peerVerified,
                    peerCertificateNotAfter: peer?.notAfter)
                let check = PeerCheck(chainVerified: connection.peerVerified,
                                      verifyResult: connection.peerVerificationText,
                                      matchedName: expectedNames.first { peer?.matchesHost($0) ?? false })
                context.fireUserInboundEventTriggered(TLSEvent.handshakeCompleted(info, check))
                writePending(context: context)
                return true
            }
        } catch {
            fail(context: context, reason: error.reasons.joined(separator: "; "))
            return false
        }
    }

    private func readPlaintext(context: ChannelHandlerContext) {
        while state == .active {
            // No more than the bytes fed can decrypt to: an SMTP command's record needs a few
            // dozen bytes, not a 16 KiB buffer per read; nothing fed, nothing to read.
            let size = min(connection.bufferedInput, STARTTLSHandler.readSize)
            guard size > 0 else {
                queueOutput(context: context)
                return
            }
            var buffer = context.channel.allocator.buffer(capacity: size)
            var result = TLSConnection.ReadResult.wantsMoreData
            do {
                try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { raw in
                    result = try connection.read(into: raw)
                    if case .bytes(let n) = result { return n }
                    return 0
                }
            } catch let error as TLSError {
                fail(context: context, reason: error.reason)
                return
            } catch {
                fail(context: context, reason: "\(error)")
                return
            }
            switch result {
            case .bytes:
                context.fireChannelRead(wrapInboundOut(buffer))
            case .wantsMoreData:
                queueOutput(context: context)
                return
            case .closed:
                // The peer's close_notify: answer it and close.
                state = .closed
                connection.shutdown()
                flushOutput(context: context)
                context.close(promise: nil)
                return
            }
        }
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let plaintext = unwrapOutboundIn(data)
        switch state {
        case .handshaking:
            pendingWrites.append((plaintext, promise))
        case .active:
            encrypt(context: context, plaintext, promise: promise)
        case .closed:
            promise?.fail(ChannelError.ioOnClosedChannel)
        }
    }

    public func flush(context: ChannelHandlerContext) {
        // During the handshake, writes wait and are flushed when it completes.
        if state != .handshaking {
            outputUnflushed = false
            context.flush()
        }
    }

    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if state == .active && mode == .all {
            // One-way shutdown: after QUIT nothing more is read, so close_notify and go. It
            // leaves in the same write as what was written before it and not flushed (the
            // reply to QUIT), and the connection closes once both are out.
            state = .closed
            connection.shutdown()
            outputUnflushed = false
            // A peer that never reads them does not hold the connection: it closes without
            // them after the handshake timeout.
            var closed = false
            let finish = {
                guard !closed else { return }
                closed = true
                context.close(mode: mode, promise: promise)
            }
            let giveUp = context.eventLoop.assumeIsolated().scheduleTask(in: handshakeTimeout) { finish() }
            context.writeAndFlush(wrapOutboundOut(takeOutput(context: context))).assumeIsolated().whenComplete { _ in
                giveUp.cancel()
                finish()
            }
            return
        }
        context.close(mode: mode, promise: promise)
    }

    private func encrypt(context: ChannelHandlerContext, _ plaintext: ByteBuffer, promise: EventLoopPromise<Void>?) {
        do {
            try plaintext.withUnsafeReadableBytes { raw in try connection.write(raw) }
        } catch let error as TLSError {
            promise?.fail(error)
            fail(context: context, reason: error.reason)
            return
        } catch {
            promise?.fail(error)
            fail(context: context, reason: "\(error)")
            return
        }
        let output = takeOutput(context: context)
        context.write(wrapOutboundOut(output), promise: promise)
    }

    private func writePending(context: ChannelHandlerContext) {
        let writes = pendingWrites
        pendingWrites = []
        for (buffer, promise) in writes { encrypt(context: context, buffer, promise: promise) }
        // A flush asked for during the handshake concerned only these writes; with none, the
        // tickets wait for the reply this read produces (or for the read's end).
        if !writes.isEmpty {
            outputUnflushed = false
            context.flush()
        }
    }

    private func takeOutput(context: ChannelHandlerContext) -> ByteBuffer {
        let count = connection.pendingOutput
        var buffer = context.channel.allocator.buffer(capacity: count)
        if count > 0 {
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { connection.readOutput(into: $0) }
        }
        return buffer
    }

    /// Handshake records, tickets, alerts: whatever OpenSSL has for the peer, sent now.
    private func flushOutput(context: ChannelHandlerContext) {
        guard connection.pendingOutput > 0 else { return }
        outputUnflushed = false
        context.writeAndFlush(wrapOutboundOut(takeOutput(context: context)), promise: nil)
    }

    /// Sends what `queueOutput` wrote, unless a flush since has sent it already.
    private func flushQueuedOutput(context: ChannelHandlerContext) {
        guard outputUnflushed else { return }
        outputUnflushed = false
        context.flush()
    }

    /// Whatever OpenSSL has for the peer, written to go out at the next flush: the end of
    /// the read at the latest (`channelReadComplete`).
    private func queueOutput(context: ChannelHandlerContext) {
        guard connection.pendingOutput > 0 else { return }
        context.write(wrapOutboundOut(takeOutput(context: context)), promise: nil)
        outputUnflushed = true
    }

    private func fail(context: ChannelHandlerContext, reason: String) {
        guard state != .closed else { return }
        let duringHandshake = state == .handshaking
        state = .closed
        handshakeTimer?.cancel()
        flushOutput(context: context)  // the alert, so the peer learns why
        for (_, promise) in pendingWrites { promise?.fail(ChannelError.ioOnClosedChannel) }
        pendingWrites = []
        context.fireUserInboundEventTriggered(
            duringHandshake ? TLSEvent.handshakeFailed(reason) : TLSEvent.failedAfterHandshake(reason))
        context.close(promise: nil)
    }
}
