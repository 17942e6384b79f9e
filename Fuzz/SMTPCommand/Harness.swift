import FuzzSupport
import PosternSMTPCore

/// One command line as a client sends it: the parser answers, never traps.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let line = String(decoding: input(data, size), as: UTF8.self)
    _ = SMTPCommandParser.parse(line)
    _ = SMTPCommandParser.parse(line, defaultDomain: "example.com")
    return 0
}

@_cdecl("fuzz_SMTPCommand_main")
public func entry(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { fuzz($0, $1) }
}
