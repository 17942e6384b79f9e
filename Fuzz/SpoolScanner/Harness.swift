import Foundation
import FuzzSupport
import PosternSpool

/// Bytes as a queue segment file after a crash or disk damage: recovery scans it, keeps what
/// checks and skips the rest, never trapping; every record it keeps can be read.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let segments = Workspace.directory.appendingPathComponent("segments")
    try? FileManager.default.createDirectory(at: segments, withIntermediateDirectories: true)
    let file = segments.appendingPathComponent("1.seg")
    _ = FileManager.default.createFile(atPath: file.path, contents: Data(input(data, size)))
    let spool = Spool(directory: Workspace.directory)
    for entry in spool.entries() {
        guard (try? spool.read(entry)) != nil else { fatalError("a record recovery kept cannot be read: \(entry)") }
    }
    return 0
}

/// One scratch queue per process (libFuzzer runs inputs one after another).
enum Workspace {
    static let directory: URL = {
        var template = Array((NSTemporaryDirectory() + "/postern-fuzz-spool.XXXXXX").utf8CString)
        guard let path = mkdtemp(&template) else { fatalError("no temporary directory") }
        return URL(fileURLWithPath: String(cString: path))
    }()
}

@_cdecl("fuzz_SpoolScanner_main")
public func entry(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { fuzz($0, $1) }
}
