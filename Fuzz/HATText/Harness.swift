import FuzzSupport
import PosternConfig

/// A HAT import file (`hostaccess import`): parsed or refused with an error, never a trap;
/// what parses renders to text that parses again to the same table.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let text = String(decoding: input(data, size), as: UTF8.self)
    let defaults = FactoryDefaults.configuration.listeners[0].hostAccess.defaultParameters
    guard let table = try? HATText.parse(text, defaults: defaults) else { return 0 }
    let rendered = HATText.render(table)
    guard let again = try? HATText.parse(rendered, defaults: defaults) else {
        fatalError("rendered table does not parse:\n\(rendered)")
    }
    if again != table { fatalError("render/parse changed the table:\n\(rendered)") }
    return 0
}

@_cdecl("fuzz_HATText_main")
public func entry(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { fuzz($0, $1) }
}
