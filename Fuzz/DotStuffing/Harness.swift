import FuzzSupport
import NIOCore
import PosternSMTPCore

/// A message dot-stuffed for sending, then read back by the framer as a receiver would:
/// the framer ends the data exactly at the terminator, never before it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let message = Array(input(data, size))
    let stuffed = DotStuffing.encode(message)
    var framer = SMTPInputFramer()
    framer.beginData()
    var buffer = ByteBuffer(bytes: stuffed)
    framer.append(&buffer)
    var ended = false
    while let event = framer.next() {
        if ended { fatalError("events after the end of data") }
        if case .endOfData = event { ended = true }
    }
    if !ended { fatalError("the stuffed message never ended") }
    return 0
}

@_cdecl("fuzz_DotStuffing_main")
public func entry(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { fuzz($0, $1) }
}
