import FuzzSupport
@testable import PosternCLI

/// A RAT import file (`rcptaccess import`): parsed or refused with a sentence, never a trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let text = String(decoding: input(data, size), as: UTF8.self)
    _ = RecipientAccessText.parse(text)
    return 0
}

@_cdecl("fuzz_RATText_main")
public func entry(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { fuzz($0, $1) }
}
