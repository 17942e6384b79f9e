import Foundation
import FuzzSupport
import PosternConfig

/// A configuration file as the CLI and the engine read it: decoded and validated, or
/// refused with problems, never a trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = Data(input(data, size))
    if let configuration = try? CanonicalJSON.decode(Configuration.self, from: bytes) {
        _ = configuration.validate()
    }
    return 0
}

@_cdecl("fuzz_ConfigDecoder_main")
public func entry(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { fuzz($0, $1) }
}
