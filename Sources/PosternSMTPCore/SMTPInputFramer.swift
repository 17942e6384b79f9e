import NIOCore

/// Turns the bytes a client sends into command lines and message data, without I/O.
///
/// The session handler owns it, so that it can switch to data mode the instant it accepts
/// DATA and drop everything buffered the instant it accepts STARTTLS (swift-notes §2:
/// plaintext pipelined behind STARTTLS must never reach the TLS session).
public struct SMTPInputFramer {
    /// RFC 5321 §4.5.3.1.6: a text line is at most 1000 octets with its CRLF. Commands are
    /// held to the same limit (§4.5.3.1.4's 512 grows with every extension's parameters).
    public static let defaultLineLimit = 1000

    public enum Mode: Sendable, Equatable {
        case command
        case data
    }

    public enum Event: Equatable {
        /// A command line, CRLF (or a bare LF) removed.
        case line(String)
        /// A command line longer than the limit; its bytes were discarded up to its end.
        case lineTooLong
        /// Message bytes, dot-unstuffed, CRLFs kept.
        case data(ByteBuffer)
        /// The `.` line that ends the message; the framer is back in command mode.
        case endOfData
    }

    public private(set) var mode: Mode = .command
    private var buffer: ByteBuffer
    private let lineLimit: Int
    /// Set while the rest of an overlong command line is being thrown away.
    private var discarding = false
    /// In data mode: the previous bytes were CRLF, so a `.` here is at a line start. Only a
    /// CRLF starts a line: `\n.\r\n` is not an end of data (the SMTP smuggling class).
    private var atLineStart = true

    public init(lineLimit: Int = SMTPInputFramer.defaultLineLimit, allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        self.lineLimit = lineLimit
        self.buffer = allocator.buffer(capacity: 1024)
    }

    public mutating func append(_ bytes: inout ByteBuffer) {
        // A client that pipelines without pause may never let the buffer drain: give back the
        // bytes already framed once they outweigh the ones waiting, so the buffer holds at
        // most twice what waits (amortised: each byte moves at most once per doubling).
        if buffer.readerIndex > 0 && buffer.readerIndex >= buffer.readableBytes { buffer.discardReadBytes() }
        buffer.writeBuffer(&bytes)
    }

    /// Bytes received and not yet framed.
    public var bufferedByteCount: Int { buffer.readableBytes }

    /// Bytes the buffer keeps, framed ones included (what it costs in memory).
    public var retainedByteCount: Int { buffer.writerIndex }

    /// Switches to data mode after `354`.
    public mutating func beginData() {
        mode = .data
        atLineStart = true
        sawBareLineEnding = false
    }

    /// The message being read (or the last one) held a CR not followed by LF or a LF not
    /// preceded by CR. Only CRLF ends a line here, but a downstream MTA might end one at a
    /// bare LF or CR and so see another message boundary: such a message is refused, as
    /// Postfix's `smtpd_forbid_bare_newline = reject` does.
    public private(set) var sawBareLineEnding = false

    /// Forgets everything buffered; returns how many bytes that was (for the log).
    public mutating func discardBuffered() -> Int {
        let count = buffer.readableBytes
        buffer.clear()
        discarding = false
        return count
    }

    /// The next event the buffered bytes make, or nil when more bytes are needed.
    public mutating func next() -> Event? {
        defer { if buffer.readableBytes == 0 { buffer.discardReadBytes() } }
        switch mode {
        case .command: return nextLine()
        case .data: return nextData()
        }
    }

    private mutating func nextLine() -> Event? {
        while true {
            let view = buffer.readableBytesView
            guard let newline = view.firstIndex(of: UInt8(ascii: "\n")) else {
                if view.count > lineLimit || (discarding && !view.isEmpty) {
                    // Too long already: drop what is here and keep dropping up to the newline.
                    let wasDiscarding = discarding
                    buffer.moveReaderIndex(forwardBy: view.count)
                    discarding = true
                    if !wasDiscarding { return .lineTooLong }
                }
                return nil
            }
            let length = newline - view.startIndex
            if discarding {
                buffer.moveReaderIndex(forwardBy: length + 1)
                discarding = false
                continue
            }
            guard length + 1 <= lineLimit else {
                buffer.moveReaderIndex(forwardBy: length + 1)
                return .lineTooLong
            }
            var lineBytes = buffer.readSlice(length: length + 1)!
            var count = length
            if count > 0, lineBytes.getInteger(at: lineBytes.readerIndex + count - 1, as: UInt8.self) == UInt8(ascii: "\r") {
                count -= 1
            }
            return .line(lineBytes.readString(length: count) ?? "")
        }
    }

    private mutating func nextData() -> Event? {
        let view = buffer.readableBytesView
        guard let first = view.first else { return nil }
        if atLineStart && first == UInt8(ascii: ".") {
            guard view.count >= 3 || (view.count == 2 && view[view.startIndex + 1] != UInt8(ascii: "\r")) else {
                return nil  // "." or ".\r": not yet known whether this ends the message
            }
            if view[view.startIndex + 1] == UInt8(ascii: "\r") && view[view.startIndex + 2] == UInt8(ascii: "\n") {
                buffer.moveReaderIndex(forwardBy: 3)
                mode = .command
                return .endOfData
            }
            buffer.moveReaderIndex(forwardBy: 1)  // dot-unstuffing (RFC 5321 §4.5.2)
            atLineStart = false
            return nextData()
        }
        // Everything up to and including the next CRLF, or all there is.
        var end = view.endIndex
        var crlf = false
        var searchFrom = view.startIndex
        while searchFrom < view.endIndex, let newline = view[searchFrom...].firstIndex(of: UInt8(ascii: "\n")) {
            let afterCR = newline > view.startIndex ? view[newline - 1] == UInt8(ascii: "\r") : pendingCR
            if afterCR {
                end = newline + 1
                crlf = true
                break
            }
            searchFrom = newline + 1
        }
        let count = end - view.startIndex
        if !sawBareLineEnding { noteBareLineEndings(view[view.startIndex..<end]) }
        pendingCR = !crlf && view[end - 1] == UInt8(ascii: "\r")
        atLineStart = crlf
        return .data(buffer.readSlice(length: count)!)
    }

    /// The last data byte handed out was a CR, so a LF first in the next read ends a line.
    private var pendingCR = false

    private mutating func noteBareLineEndings(_ bytes: ByteBufferView.SubSequence) {
        var previous: UInt8 = pendingCR ? 0x0d : 0
        for byte in bytes {
            if (previous == 0x0d) != (byte == 0x0a) {
                sawBareLineEnding = true
                return
            }
            previous = byte
        }
    }
}
