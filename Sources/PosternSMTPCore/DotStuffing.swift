/// The wire form of message data (RFC 5321 §4.5.2): CRLF line endings, a `.` doubled at the
/// start of a line, and the terminating `.` line.
public enum DotStuffing {
    public static func encode(_ message: some Collection<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(message.count + message.count / 40 + 8)
        var atLineStart = true
        var previous: UInt8 = 0
        for byte in message {
            if atLineStart && byte == UInt8(ascii: ".") { out.append(UInt8(ascii: ".")) }
            if byte == UInt8(ascii: "\n") && previous != UInt8(ascii: "\r") { out.append(UInt8(ascii: "\r")) }
            out.append(byte)
            atLineStart = byte == UInt8(ascii: "\n")
            previous = byte
        }
        if !atLineStart { out += [UInt8(ascii: "\r"), UInt8(ascii: "\n")] }
        out += [UInt8(ascii: "."), UInt8(ascii: "\r"), UInt8(ascii: "\n")]
        return out
    }
}
