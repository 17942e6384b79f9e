/// Assembles multi-line replies (`250-…` … `250 …`) from the lines a server sends.
public struct SMTPReplyParser {
    private var code: Int?
    private var lines: [String] = []

    public init() {}

    public enum ParseError: Error, Equatable {
        /// Not `ddd`, `ddd-text` or `ddd text`, or a continuation with another code.
        case malformed(String)
    }

    /// Feeds one line; returns the reply when this line completes one.
    public mutating func feed(_ line: String) throws(ParseError) -> SMTPReply? {
        let bytes = Array(line.utf8)
        guard bytes.count >= 3, bytes[0...2].allSatisfy({ (0x30...0x39).contains($0) }),
            let value = Int(String(decoding: bytes[0...2], as: UTF8.self)), (200...599).contains(value)
        else { throw .malformed(line) }
        if let code, code != value { throw .malformed(line) }
        let separator = bytes.count > 3 ? bytes[3] : UInt8(ascii: " ")
        guard separator == UInt8(ascii: " ") || separator == UInt8(ascii: "-") else { throw .malformed(line) }
        code = value
        lines.append(bytes.count > 4 ? String(decoding: bytes[4...], as: UTF8.self) : "")
        guard separator == UInt8(ascii: " ") else { return nil }
        let reply = SMTPReply(value, lines)
        code = nil
        lines = []
        return reply
    }
}
