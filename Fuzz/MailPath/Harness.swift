import FuzzSupport
import PosternSMTPCore

/// A path as it follows `MAIL FROM:` or `RCPT TO:`; what parses prints back and parses again the same.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let text = String(decoding: input(data, size), as: UTF8.self)
    for allowNull in [true, false] {
        guard case .success(let path) = MailPath.parse(Substring(text), allowNull: allowNull) else { continue }
        let again = MailPath.parse(Substring("<\(path)>"), allowNull: allowNull)
        if case .success(let reparsed) = again, reparsed != path {
            fatalError("\(text.debugDescription) parsed as \(path), which parses back as \(reparsed)")
        }
    }
    return 0
}

@_cdecl("fuzz_MailPath_main")
public func entry(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { fuzz($0, $1) }
}
