import FuzzSupport
import NIOCore
import PosternSMTPCore

/// Bytes from a client, cut at a point the first byte picks, in command mode and after DATA:
/// the framer never traps, and no command line it hands up is longer than its limit.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = input(data, size)
    let cut = size == 0 ? 0 : Int(bytes[0]) % (size + 1)
    for startInData in [false, true] {
        var framer = SMTPInputFramer(lineLimit: 64)
        if startInData { framer.beginData() }
        for part in [bytes[..<cut], bytes[cut...]] {
            var buffer = ByteBuffer(bytes: part)
            framer.append(&buffer)
            while let event = framer.next() {
                // Invalid UTF-8 reads as U+FFFD (3 bytes in UTF-8): count scalars, one per byte at most.
                if case .line(let line) = event, line.unicodeScalars.count > 64 {
                    fatalError("a line of \(line.unicodeScalars.count) characters")
                }
            }
        }
    }
    return 0
}

@_cdecl("fuzz_InputFramer_main")
public func entry(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { fuzz($0, $1) }
}
