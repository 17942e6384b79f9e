import NIOCore
import Testing
@testable import PosternSMTPCore

/// The framer gives back what it has framed even when its buffer never drains (issue 12 §2).
@Suite struct FramerBoundTests {
    @Test func aBufferThatNeverDrainsStaysBounded() {
        var framer = SMTPInputFramer()
        let batch = String(repeating: "NOOP\r\n", count: 1000)  // 6,000 bytes a read
        for _ in 0..<1000 {
            var bytes = ByteBuffer(string: batch + "NO")  // always a partial line left behind
            framer.append(&bytes)
            while case .line = framer.next() {}
            var rest = ByteBuffer(string: "OP\r\n")
            framer.append(&rest)
        }
        // Six megabytes went through; what is kept is a few reads' worth.
        #expect(framer.retainedByteCount < 4 * 6_010)
    }

    @Test func framingIsUnchangedByReclaiming() {
        var framer = SMTPInputFramer()
        var lines: [String] = []
        for i in 0..<500 {
            var bytes = ByteBuffer(string: "NOOP \(i)\r\nRS")
            framer.append(&bytes)
            while case .line(let line) = framer.next() { lines.append(line) }
            var rest = ByteBuffer(string: "ET\r\n")
            framer.append(&rest)
        }
        while case .line(let line) = framer.next() { lines.append(line) }
        #expect(lines.count == 1000)
        #expect(lines[0] == "NOOP 0" && lines[1] == "RSET" && lines[998] == "NOOP 499" && lines[999] == "RSET")
    }
}
